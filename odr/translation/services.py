"""Translation of filings: who needs which language, the background jobs, flags and human translations.

Rows are the system of record: a filing's translation is requested as a pending row in the reader's
language, a job claims it, and it ends done, failed (after retries with back-off) or unavailable
(no model for the pair). A party may flag a machine translation; the mediator may replace it with a
human translation. The original text is always authoritative.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from odr.accounts.models import Account, Role
from odr.cases import events
from odr.cases.access import case_roles, get_case, visible_filings
from odr.cases.models import Case, Filing
from odr.cases.signals import filing_recorded, participant_joined
from odr.domain_events import DomainEvent
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.queue import huey, job_context, periodic_job
from odr.translation import glossary as glossary_data
from odr.translation.engine import PIVOT, engine_for
from odr.translation.models import (
    UNAVAILABLE_PREFIX,
    Translation,
    TranslationFlag,
    TranslationOrigin,
    TranslationStatus,
)
from odr.translation.pipeline import NoModel, Pipeline
from odr.validation import check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 4
TRANSLATED_TERMS = ("licence",)  # the free-text terms of an offer or settlement
FIRST_RETRY = timedelta(seconds=30)  # then 2 min, 8 min: x4 each time
LEASE = timedelta(minutes=10)  # a claimed job whose worker died is taken again after this
BATCH_ROWS = 200  # rows one job takes at most
# Set while a job that will take every due row waits in the queue: filings arriving meanwhile add no job of
# their own (one job, one batch, instead of a job per filing that finds its rows already taken).
WAITING_JOB = "translation:job-waiting"


def pipeline() -> Pipeline:
    cfg = current_app.config["ODR"]
    return Pipeline(engine_for(cfg["ARGOS_PACKAGES_DIR"]), glossary_data.load(cfg["GLOSSARY_DIR"]))


def backoff(attempts: int) -> timedelta:
    return FIRST_RETRY * 4 ** (attempts - 1)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- who reads what ----------------------------------------------------------------------------


def reader_language(account: Account, original: str) -> str | None:
    """The language this reader needs a filing written in ``original`` in; None when they read that language."""
    languages = account.reading_languages
    if not languages or original in languages:
        return None
    return languages[0]


def needed_languages(filing: Filing) -> set[str]:
    """The languages of every other participant: both parties, the mediator, the court once exported to."""
    case: Case = filing.case
    parties = [case.claimant, case.respondent] + ([case.court] if case.court is not None else [])
    caucus = getattr(filing, "caucus_party_id", None)
    if caucus is not None:  # a private caucus message: only that party and the mediator read it
        parties = [p for p in parties if p.id == caucus]
    needed = {p.preferred_language for p in parties if p is not None}
    if case.mediator is not None and filing.language not in case.mediator.reading_languages:
        needed.update(case.mediator.reading_languages[:1])
    needed.discard(filing.language)
    return needed


def machine_translations(filing: Filing, languages) -> list[Translation]:
    """A machine translation of ``filing`` per language, pending (or unavailable without a model); not added."""
    engine = pipeline().engine
    rows = []
    for language in sorted(languages):
        row = Translation(
            filing_id=filing.id,
            source_language=filing.language,
            target_language=language,
            origin=TranslationOrigin.MACHINE,
            source_sha256=_sha256(filing.text),
            status=TranslationStatus.PENDING,
        )
        if engine.route(filing.language, language) is None:
            _mark_unavailable(row, engine)
        rows.append(row)
    return rows


def request_translations(filing: Filing, languages=None) -> list[int]:
    """Record a machine translation per missing language (pending, or unavailable without a model).

    Returns the pending ids, for the caller to enqueue after this commit."""
    wanted = set(languages) if languages is not None else needed_languages(filing)
    wanted.discard(filing.language)
    have = set(
        db.session.scalars(
            select(Translation.target_language).where(
                Translation.filing_id == filing.id, Translation.origin == TranslationOrigin.MACHINE
            )
        )
    )
    rows = machine_translations(filing, wanted - have)
    if not rows:
        return []
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
        db.session.commit()
    except IntegrityError:  # another request recorded them first
        db.session.rollback()
        return []
    return [t.id for t in rows if t.status == TranslationStatus.PENDING]


def enqueue(ids: list[int]) -> None:
    """Queue a job for new pending rows, unless one is already waiting: that one will take them too.

    The job clears the mark before it reads what is due, so a row committed after the read always
    finds the mark cleared and queues a job of its own; the minute sweep clears a mark left behind."""
    if not ids or not huey.put_if_empty(WAITING_JOB, True):
        return
    try:
        translate_task()
    except Exception:
        huey.delete(WAITING_JOB)
        raise


# sender: the Filing; data: pending (its machine translations waiting for the engine), queued once committed
translations_requested = DomainEvent("translations-requested", "Machine translations of a filing were requested.")


@filing_recorded.in_transaction.connect
def on_filing_recorded(filing: Filing, **_extra) -> None:
    """A new filing's translations are recorded with it, in its own transaction (one commit, not a second after
    it; nothing can have translated a filing not yet committed), and queued once it is committed."""
    rows = machine_translations(filing, needed_languages(filing))
    db.session.add_all(rows)
    pending = [row for row in rows if row.status == TranslationStatus.PENDING]
    if pending:
        translations_requested.publish(filing, pending=pending)


@translations_requested.after_commit.connect
def on_translations_committed(filing: Filing, *, pending: list[Translation], **_extra) -> None:
    try:
        enqueue([inspect(row).identity[0] for row in pending])  # the ids without reloading the committed rows
    except Exception:  # the filing is committed; the minute sweep queues what is still pending
        log.exception("could not queue the translations of filing %s", filing.id)


@participant_joined.after_commit.connect
def on_participant_joined(case: Case, **_extra) -> None:
    """After a participant joined a case (cases.signals.participant_joined): the filings already there,
    in the newcomer's language."""
    try:
        enqueue(request_for_case(case))
    except Exception:  # the join is committed; the sweep asks again
        db.session.rollback()
        log.exception("could not request translations for case %s", case.id)


def request_for_case(case: Case) -> list[int]:
    """Every filing of the case in every current reader's language; the pending ids to enqueue."""
    ids: list[int] = []
    for filing in list(case.filings):
        ids += request_translations(filing)
    return ids


def request_missing(limit: int = 500) -> list[int]:
    """The sweep's catch-all: filings of cases with a mediator or a court that lack a reader's translation.

    A court joins through an export taken inside other transactions (a deadline, a decision); a
    receiver that failed leaves nothing behind. Whatever the channel, the next sweep requests it."""
    from odr.procedure.services import final_states  # closed cases get no new readers

    ids: list[int] = []
    cases = db.session.scalars(
        select(Case)
        .where(or_(Case.mediator_id.is_not(None), Case.court_party_id.is_not(None)), Case.state.not_in(final_states()))
        .order_by(Case.id)
    )
    for case in cases:
        have = {
            (row.filing_id, row.target_language)
            for row in db.session.execute(
                select(Translation.filing_id, Translation.target_language)
                .join(Filing, Filing.id == Translation.filing_id)
                .where(Filing.case_id == case.id, Translation.origin == TranslationOrigin.MACHINE)
            )
        }
        for filing in case.filings:
            if any((filing.id, language) not in have for language in needed_languages(filing)):
                ids += request_translations(filing)
        if len(ids) >= limit:
            break
    return ids


# -- the jobs ----------------------------------------------------------------------------------


def _claim(ids: list[int], now: datetime) -> list[Translation]:
    """Take the rows that are still pending and due, in one statement: another worker may hold some."""
    if not ids:
        return []
    claimed = list(
        db.session.scalars(
            update(Translation)
            .where(
                Translation.id.in_(ids),
                Translation.status == TranslationStatus.PENDING,
                Translation.origin == TranslationOrigin.MACHINE,
                or_(Translation.next_attempt_at.is_(None), Translation.next_attempt_at <= now),
            )
            .values(attempts=Translation.attempts + 1, next_attempt_at=now + LEASE)
            .returning(Translation.id)
        )
    )
    if not claimed:
        db.session.rollback()
        return []
    db.session.commit()
    return list(db.session.scalars(select(Translation).where(Translation.id.in_(claimed)).order_by(Translation.id)))


def process(ids: list[int], now: datetime | None = None) -> list[tuple[int, int]]:
    """Translate the given pending rows, grouped by language pair, one engine batch per group.

    A failing batch is split in halves until the filings that fail are alone: only they carry the
    error and are retried; their neighbours are done. Returns (delay in seconds, id) for each retry."""
    now = now or utcnow()
    translations = _claim(ids, now)
    retries: list[tuple[int, int]] = []
    groups: dict[tuple[str, str], list[Translation]] = {}
    for translation in translations:
        groups.setdefault((translation.source_language, translation.target_language), []).append(translation)
    work = pipeline()
    for (source, target), group in groups.items():
        try:
            route = work.route(source, target)
            outcomes = _translate_isolating(work, group, source, target)
        except NoModel:
            for translation in group:
                _mark_unavailable(translation, work.engine)
            db.session.commit()
            continue
        finished = utcnow()
        for translation, outcome in outcomes:
            if isinstance(outcome, Exception):
                delay = _record_failure(translation, outcome, now)
                if delay is not None:
                    retries.append((int(delay.total_seconds()), translation.id))
                continue
            outcome, terms = outcome
            translation.status = TranslationStatus.DONE
            translation.text = outcome.text
            translation.terms = terms or None
            translation.segments, translation.memory_hits = outcome.segments, outcome.memory_hits
            translation.incomplete = outcome.incomplete
            translation.untranslated = outcome.untranslated or None
            translation.engine = work.engine.label
            translation.model = " → ".join(m.name for m in route)
            translation.model_version = " → ".join(m.version for m in route)
            translation.pivot = route[0].to_code if len(route) > 1 else None
            translation.glossary_version = work.glossary.version
            translation.next_attempt_at = None
            translation.last_error = ""
            translation.completed_at = finished
        db.session.commit()
    return retries


def _texts(filing: Filing) -> tuple[list[str], dict[str, str]]:
    """What of a filing is translated: its text, and its free-text terms (an offer's licence)."""
    terms = {
        key: filing.terms[key]
        for key in TRANSLATED_TERMS
        if isinstance(filing.terms, dict) and isinstance(filing.terms.get(key), str) and filing.terms[key].strip()
    }
    return [filing.text, *terms.values()], terms


def _translate_isolating(work: Pipeline, group: list[Translation], source: str, target: str) -> list[tuple]:
    """(translation, (Result, terms) or the exception) for each; a failing batch is bisected down to its culprits."""
    try:
        parts = [_texts(t.filing) for t in group]
        with db.session.begin_nested():  # the memory rows of a failed batch go with it
            results = iter(work.translate([text for texts, _terms in parts for text in texts], source, target))
        outcomes = []
        for translation, (_all, terms) in zip(group, parts, strict=True):
            main = next(results)
            translated_terms = {key: next(results) for key in terms}
            for result in translated_terms.values():
                main.untranslated += result.untranslated
            outcomes.append((translation, (main, {k: r.text for k, r in translated_terms.items()})))
        return outcomes
    except NoModel:
        raise
    except Exception as exc:  # the engine or a package failed on something in this batch
        if len(group) == 1:
            log.warning("translation %s (%s->%s) failed: %s", group[0].id, source, target, exc)
            return [(group[0], exc)]
        middle = len(group) // 2
        return _translate_isolating(work, group[:middle], source, target) + _translate_isolating(
            work, group[middle:], source, target
        )


def _record_failure(translation: Translation, exc: Exception, now: datetime) -> timedelta | None:
    """Back off, then give up after MAX_ATTEMPTS; the error stays on the row for mediators and admins."""
    translation.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if translation.attempts >= MAX_ATTEMPTS:
        translation.status = TranslationStatus.FAILED
        translation.next_attempt_at = None
        translation.completed_at = now
        return None
    delay = backoff(translation.attempts)
    translation.next_attempt_at = now + delay
    return delay


def missing_models(engine, source: str, target: str) -> str:
    """What an operator would install for the pair: the direct model, or the missing half through English."""
    models = engine.models()
    if PIVOT in (source, target):
        return f"{source}->{target}"
    halves = [f"{a}->{b}" for a, b in ((source, PIVOT), (PIVOT, target)) if (a, b) not in models]
    return f"{source}->{target}" + (f" (or {' + '.join(halves)})" if halves else "")


def _mark_unavailable(translation: Translation, engine) -> None:
    translation.status = TranslationStatus.UNAVAILABLE
    translation.next_attempt_at = None
    translation.last_error = UNAVAILABLE_PREFIX + missing_models(
        engine, translation.source_language, translation.target_language
    )


def _due(now: datetime, limit: int, among: list[int] | None = None) -> list[int]:
    query = select(Translation.id).where(
        Translation.status == TranslationStatus.PENDING,
        Translation.origin == TranslationOrigin.MACHINE,
        or_(Translation.next_attempt_at.is_(None), Translation.next_attempt_at <= now),
    )
    if among is not None:
        query = query.where(Translation.id.in_(among))
    return list(db.session.scalars(query.order_by(Translation.id).limit(limit)))


@periodic_job("translation_sweep", "Request what a case's readers lack, retry due translations, pick up lost jobs.")
def sweep() -> int:
    """The periodic catch-all: missing requests first, then every row whose time has come."""
    huey.delete(WAITING_JOB)  # a mark whose job was lost would hold back every later job
    enqueue(request_missing())
    return process_due()


def process_due(now: datetime | None = None, limit: int = BATCH_ROWS) -> int:
    """Every pending row whose time has come (new, retry due, or a dead worker's lease run out)."""
    now = now or utcnow()
    ids = _due(now, limit)
    process(ids, now)
    return len(ids)


def process_job(ids: list[int] | None = None, now: datetime | None = None) -> list[tuple[int, int]]:
    """A queued job: the rows it names (a retry), and with them every other row due now (up to BATCH_ROWS).

    The job queued for new filings names none (see ``enqueue``): it takes all that waits and translates
    it in one batch per pair, and queues the next job when more waits than one job takes."""
    now = now or utcnow()
    mine = _due(now, BATCH_ROWS, among=ids) if ids is not None else []
    if ids is not None and not mine:  # an earlier job took them with its batch: one query, and done
        return []
    due = _due(now, BATCH_ROWS)
    retries = process(list(dict.fromkeys([*mine, *due])), now)
    if len(due) == BATCH_ROWS:
        enqueue(due)
    return retries


def reopen_after_install() -> list[int]:
    """After a model is installed: rows that waited for it, or failed, become pending again with fresh attempts."""
    engine = pipeline().engine
    reopened = []
    for translation in db.session.scalars(
        select(Translation).where(
            Translation.origin == TranslationOrigin.MACHINE,
            Translation.status.in_([TranslationStatus.UNAVAILABLE, TranslationStatus.FAILED]),
        )
    ):
        if engine.route(translation.source_language, translation.target_language) is not None:
            translation.status = TranslationStatus.PENDING
            translation.attempts = 0
            translation.next_attempt_at = None
            translation.completed_at = None
            reopened.append(translation.id)
    db.session.commit()
    return reopened


# -- the queue, for administrators ---------------------------------------------------------------


def queue_overview(account: Account, limit: int = 200) -> dict:
    """Counts by state and the machine translations not done, with their pair, attempts and last error."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator can see the translation queue."))
    counts = {
        status: count
        for status, count in db.session.execute(
            select(Translation.status, func.count())
            .where(Translation.origin == TranslationOrigin.MACHINE)
            .group_by(Translation.status)
        )
    }
    rows = list(
        db.session.scalars(
            select(Translation)
            .where(
                Translation.origin == TranslationOrigin.MACHINE,
                or_(Translation.status != TranslationStatus.DONE, Translation.incomplete.is_(True)),
            )
            .order_by(Translation.id.desc())
            .limit(limit)
        )
    )
    return {"counts": {status: counts.get(status, 0) for status in TranslationStatus}, "rows": rows}


def do_requeue(account: Account) -> list[int]:
    """An administrator queues again the failed and unavailable translations that a model now serves."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator can queue translations again."))
    ids = reopen_after_install()
    enqueue(ids)
    return ids


# -- reading -----------------------------------------------------------------------------------


def translations_of(filing: Filing) -> list[Translation]:
    return translations_by_filing([filing.id]).get(filing.id, [])


def translations_by_filing(filing_ids: list[int]) -> dict[int, list[Translation]]:
    """The translations of many filings in one query (with their translators and flags), by filing."""
    found: dict[int, list[Translation]] = {}
    if not filing_ids:
        return found
    for t in db.session.scalars(_TRANSLATIONS_OF_FILINGS, {"filing_ids": filing_ids}):
        found.setdefault(t.filing_id, []).append(t)
    return found


# Built once: the case page and the case document read it at every view.
_TRANSLATIONS_OF_FILINGS = (
    select(Translation)
    .where(Translation.filing_id.in_(bindparam("filing_ids", expanding=True)))
    .options(selectinload(Translation.translator), selectinload(Translation.flags))
    .order_by(Translation.target_language, Translation.origin, Translation.id)
)


def for_reader(account: Account, filing: Filing) -> dict:
    """What one reader sees of a filing: the original, and the translation into their language if needed.

    Reading writes nothing: translations are requested when a filing arrives and when a reader joins."""
    language = reader_language(account, filing.language)
    view = {"language": language, "human": None, "machine": None, "installable": False}
    if language is None:
        return view
    rows = [t for t in translations_of(filing) if t.target_language == language]
    view["human"] = next((t for t in rows if t.origin == TranslationOrigin.HUMAN), None)
    view["machine"] = next((t for t in rows if t.origin == TranslationOrigin.MACHINE), None)
    return view


# -- flags and human translations ------------------------------------------------------------------


def _translation_in_case(account: Account, case_id: int, translation_id: int) -> tuple[Case, Translation]:
    case = get_case(account, case_id)
    translation = db.session.scalar(
        select(Translation)
        .join(Filing, Filing.id == Translation.filing_id)
        .where(Translation.id == translation_id, Filing.case_id == case.id)
    )
    if translation is None or translation.filing not in visible_filings(account, case):
        raise NotFound(_("This translation does not exist, or you may not see it."))
    return case, translation


def flag(account: Account, case_id: int, translation_id: int, reason, at: datetime | None = None) -> TranslationFlag:
    """A party reports a wrong machine translation; the mediator sees the flag next to it."""
    case, translation = _translation_in_case(account, case_id, translation_id)
    roles = case_roles(account, case) & {CaseRole.CLAIMANT, CaseRole.RESPONDENT}
    if not roles:
        raise NotAllowed(_("Only the parties can flag a translation."), code="wrong_role")
    if translation.origin != TranslationOrigin.MACHINE or translation.status != TranslationStatus.DONE:
        raise NotAllowed(_("Only a finished machine translation can be flagged."), code="not_flaggable")
    fields: dict[str, str] = {}
    reason = clean_text(reason, fields, "reason", max_length=2000)
    if fields:
        raise ValidationFailed(_("Say what is wrong with the translation."), fields)
    existing = next((f for f in translation.open_flags if f.account_id == account.id), None)
    if existing is not None:  # one open flag per reader: a second report updates the reason
        existing.reason = reason
        db.session.commit()
        return existing
    at = at or utcnow()
    role = sorted(roles)[0]
    item = TranslationFlag(translation=translation, account_id=account.id, case_role=role, reason=reason, created_at=at)
    db.session.add(item)
    if translation.filing.caucus_party_id is not None:
        _caucus_activity(case, at, account, role)
    else:
        events.record(
            case,
            EventKind.TRANSLATION_FLAGGED,
            at,
            actor=account,
            role=role,
            payload={
                "filing_id": translation.filing_id,
                "translation_id": translation.id,
                "language": translation.target_language,
            },
        )
    db.session.commit()
    return item


def _caucus_activity(case, at: datetime, account: Account, role) -> None:
    """An act about a private caucus message: the shared timeline (and the court's bundle, which carries the
    whole chain) learns only that the caucus moved, like the message's own event; nothing of which message,
    its language or a digest. The flag or translation itself is read only with the message."""
    events.record(case, EventKind.CAUCUS_ACTIVITY, at, actor=account, role=role)


def add_human_translation(
    account: Account, case_id: int, filing_id: int, language, text, at: datetime | None = None
) -> Translation:
    """The mediator replaces the machine translation with their own; open flags on it are resolved."""
    case = get_case(account, case_id, for_update=True)
    if CaseRole.MEDIATOR not in case_roles(account, case):
        raise NotAllowed(_("Only the case's mediator can add a human translation."), code="wrong_role")
    filing = next((f for f in visible_filings(account, case) if f.id == filing_id), None)
    if filing is None:
        raise NotFound(_("This filing does not exist, or you may not see it."))
    fields: dict[str, str] = {}
    language = check_language(language, fields)
    text = clean_text(text, fields, "text")
    if not fields and language == filing.language:
        fields["language"] = _("The filing is already in this language.")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    at = at or utcnow()
    human = db.session.scalar(
        select(Translation).where(
            Translation.filing_id == filing.id,
            Translation.target_language == language,
            Translation.origin == TranslationOrigin.HUMAN,
        )
    )
    if human is None:
        human = Translation(
            filing_id=filing.id,
            source_language=filing.language,
            target_language=language,
            origin=TranslationOrigin.HUMAN,
            requested_at=at,
        )
        db.session.add(human)
    human.status, human.text, human.translator_id = TranslationStatus.DONE, text, account.id
    human.source_sha256, human.engine, human.completed_at = _sha256(filing.text), "human", at
    for item in db.session.scalars(
        select(TranslationFlag)
        .join(Translation)
        .where(
            Translation.filing_id == filing.id,
            Translation.target_language == language,
            TranslationFlag.resolved_at.is_(None),
        )
    ):
        item.resolved_at = at
    if filing.caucus_party_id is not None:
        _caucus_activity(case, at, account, CaseRole.MEDIATOR)
    else:
        events.record(
            case,
            EventKind.HUMAN_TRANSLATION_ADDED,
            at,
            actor=account,
            role=CaseRole.MEDIATOR,
            payload={"filing_id": filing.id, "language": language, "text_sha256": _sha256(text)},
        )
    db.session.commit()
    return human


@huey.task()
def translate_task(ids: list[int] | None = None):
    """Translate what is due now (a retry names its rows); failures are retried later with back-off."""
    if ids is None:
        huey.delete(WAITING_JOB)  # before reading what is due: later filings queue the next job
    with job_context():
        retries = process_job(ids)
    for delay, translation_id in retries:
        translate_task.schedule(([translation_id],), delay=delay)
