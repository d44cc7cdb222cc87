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
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case, visible_filings
from odr.cases.models import Case, Filing
from odr.cases.signals import filing_recorded
from odr.errors import NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.models_base import utcnow
from odr.queue import huey, job_context, periodic_job
from odr.translation import glossary as glossary_data
from odr.translation.engine import engine_for
from odr.translation.models import (
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
FIRST_RETRY = timedelta(seconds=30)  # then 2 min, 8 min: x4 each time
LEASE = timedelta(minutes=10)  # a claimed job whose worker died is taken again after this


def pipeline() -> Pipeline:
    cfg = current_app.config["ODR"]
    return Pipeline(engine_for(cfg["ARGOS_PACKAGES_DIR"]), glossary_data.load(cfg["GLOSSARY_DIR"]))


def backoff(attempts: int) -> timedelta:
    return FIRST_RETRY * 4 ** (attempts - 1)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- who reads what ----------------------------------------------------------------------------

def reader_language(account: Account, filing: Filing) -> str | None:
    """The language this reader needs the filing in; None when they read the original's language."""
    languages = account.reading_languages
    if not languages or filing.language in languages:
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


def request_translations(filing: Filing, languages=None) -> list[int]:
    """Record a machine translation per missing language (pending, or unavailable without a model).

    Returns the pending ids, for the caller to enqueue after this commit."""
    wanted = set(languages) if languages is not None else needed_languages(filing)
    wanted.discard(filing.language)
    have = set(db.session.scalars(select(Translation.target_language).where(
        Translation.filing_id == filing.id, Translation.origin == TranslationOrigin.MACHINE)))
    missing = sorted(wanted - have)
    if not missing:
        return []
    engine = pipeline().engine
    rows = []
    for language in missing:
        available = engine.route(filing.language, language) is not None
        rows.append(Translation(filing_id=filing.id, source_language=filing.language, target_language=language,
                                origin=TranslationOrigin.MACHINE, source_sha256=_sha256(filing.text),
                                status=TranslationStatus.PENDING if available else TranslationStatus.UNAVAILABLE))
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
        db.session.commit()
    except IntegrityError:  # another request recorded them first
        db.session.rollback()
        return []
    return [t.id for t in rows if t.status == TranslationStatus.PENDING]


def enqueue(ids: list[int]) -> None:
    if ids:
        translate_task(ids)


@filing_recorded.after_commit.connect
def on_filing_committed(filing: Filing, **_extra) -> None:
    """After a filing is committed (cases.signals.filing_recorded), its translations start."""
    try:
        enqueue(request_translations(filing))
    except Exception:  # never fail the filing's answer; the next reader or the sweep asks again
        db.session.rollback()
        log.exception("could not request translations of filing %s", filing.id)


# -- the jobs ----------------------------------------------------------------------------------

def _claim(ids: list[int], now: datetime) -> list[Translation]:
    claimed = []
    for translation_id in ids:
        result = db.session.execute(update(Translation).where(
            Translation.id == translation_id, Translation.status == TranslationStatus.PENDING,
            Translation.origin == TranslationOrigin.MACHINE,
            or_(Translation.next_attempt_at.is_(None), Translation.next_attempt_at <= now),
        ).values(attempts=Translation.attempts + 1, next_attempt_at=now + LEASE))
        if result.rowcount == 1:
            claimed.append(translation_id)
    db.session.commit()
    return list(db.session.scalars(select(Translation).where(Translation.id.in_(claimed)))) if claimed else []


def process(ids: list[int], now: datetime | None = None) -> list[tuple[int, int]]:
    """Translate the given pending rows, grouped by language pair, one engine batch per group.

    Returns (delay in seconds, id) for each row to retry later."""
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
            results = work.translate([t.filing.text for t in group], source, target)
        except NoModel:
            for translation in group:
                translation.status = TranslationStatus.UNAVAILABLE
                translation.next_attempt_at = None
            db.session.commit()
            continue
        except Exception as exc:  # the engine or a package failed: back off, then give up
            db.session.rollback()
            log.warning("translation %s->%s failed: %s", source, target, exc)
            for translation in db.session.scalars(select(Translation).where(
                    Translation.id.in_([t.id for t in group]))):
                translation.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if translation.attempts >= MAX_ATTEMPTS:
                    translation.status = TranslationStatus.FAILED
                    translation.next_attempt_at = None
                    translation.completed_at = now
                else:
                    delay = backoff(translation.attempts)
                    translation.next_attempt_at = now + delay
                    retries.append((int(delay.total_seconds()), translation.id))
            db.session.commit()
            continue
        finished = utcnow()
        for translation, result in zip(group, results, strict=True):
            translation.status = TranslationStatus.DONE
            translation.text = result.text
            translation.segments, translation.memory_hits = result.segments, result.memory_hits
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


@periodic_job("translation_sweep", "Retry due translations and pick up lost jobs.")
def process_due(now: datetime | None = None, limit: int = 200) -> int:
    """Every pending row whose time has come (new, retry due, or a dead worker's lease run out)."""
    now = now or utcnow()
    ids = list(db.session.scalars(select(Translation.id).where(
        Translation.status == TranslationStatus.PENDING, Translation.origin == TranslationOrigin.MACHINE,
        or_(Translation.next_attempt_at.is_(None), Translation.next_attempt_at <= now),
    ).order_by(Translation.id).limit(limit)))
    process(ids, now)
    return len(ids)


def reopen_unavailable() -> list[int]:
    """After a model is installed: rows that waited for it become pending again."""
    engine = pipeline().engine
    reopened = []
    for translation in db.session.scalars(select(Translation).where(
            Translation.status == TranslationStatus.UNAVAILABLE)):
        if engine.route(translation.source_language, translation.target_language) is not None:
            translation.status = TranslationStatus.PENDING
            translation.attempts = 0
            reopened.append(translation.id)
    db.session.commit()
    return reopened


# -- reading -----------------------------------------------------------------------------------

def translations_of(filing: Filing) -> list[Translation]:
    return list(db.session.scalars(select(Translation).where(Translation.filing_id == filing.id)
                                   .order_by(Translation.target_language, Translation.origin)))


def for_reader(account: Account, filing: Filing) -> dict:
    """What one reader sees of a filing: the original, and the translation into their language if needed.

    A missing translation is requested here (a mediator assigned later, a court after export)."""
    language = reader_language(account, filing)
    view = {"language": language, "human": None, "machine": None, "installable": False}
    if language is None:
        return view
    rows = [t for t in translations_of(filing) if t.target_language == language]
    view["human"] = next((t for t in rows if t.origin == TranslationOrigin.HUMAN), None)
    view["machine"] = next((t for t in rows if t.origin == TranslationOrigin.MACHINE), None)
    if view["machine"] is None:
        enqueue(request_translations(filing, [language]))
        view["machine"] = db.session.scalar(select(Translation).where(
            Translation.filing_id == filing.id, Translation.target_language == language,
            Translation.origin == TranslationOrigin.MACHINE))
    return view


# -- flags and human translations ------------------------------------------------------------------

def _translation_in_case(account: Account, case_id: int, translation_id: int) -> tuple[Case, Translation]:
    case = get_case(account, case_id)
    translation = db.session.scalar(select(Translation).join(Filing, Filing.id == Translation.filing_id).where(
        Translation.id == translation_id, Filing.case_id == case.id))
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
    item = TranslationFlag(translation=translation, account_id=account.id, case_role=role, reason=reason,
                           created_at=at)
    db.session.add(item)
    events.record(case, EventKind.TRANSLATION_FLAGGED, at, actor=account, role=role,
                  payload={"filing_id": translation.filing_id, "translation_id": translation.id,
                           "language": translation.target_language})
    db.session.commit()
    return item


def add_human_translation(account: Account, case_id: int, filing_id: int, language, text,
                          at: datetime | None = None) -> Translation:
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
    human = db.session.scalar(select(Translation).where(
        Translation.filing_id == filing.id, Translation.target_language == language,
        Translation.origin == TranslationOrigin.HUMAN))
    if human is None:
        human = Translation(filing_id=filing.id, source_language=filing.language, target_language=language,
                            origin=TranslationOrigin.HUMAN, requested_at=at)
        db.session.add(human)
    human.status, human.text, human.translator_id = TranslationStatus.DONE, text, account.id
    human.source_sha256, human.engine, human.completed_at = _sha256(filing.text), "human", at
    for item in db.session.scalars(select(TranslationFlag).join(Translation).where(
            Translation.filing_id == filing.id, Translation.target_language == language,
            TranslationFlag.resolved_at.is_(None))):
        item.resolved_at = at
    events.record(case, EventKind.HUMAN_TRANSLATION_ADDED, at, actor=account, role=CaseRole.MEDIATOR,
                  payload={"filing_id": filing.id, "language": language, "text_sha256": _sha256(text)})
    db.session.commit()
    return human


@huey.task()
def translate_task(ids: list[int]):
    """Translate new filings now; failures are retried later with back-off."""
    with job_context():
        retries = process(ids)
    for delay, translation_id in retries:
        translate_task.schedule(([translation_id],), delay=delay)
