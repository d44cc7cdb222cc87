"""The health-and-safety fast track: risk terms screen each new notice and its listings' titles.

A match (or a health-and-safety product category) puts the case on the expedited track (shorter periods
where they are the platform's own, ``rules/tracks/health-safety.yaml``), first in every queue, and takes
the listings down provisionally at once where the procedure has not already. The provisional measure ends
at the procedure's first step after the notice (its own measure then governs, or none stands) or when a
reviewer or the mediator clears the match with a reason: the case then returns to the standard periods,
counted from the same start, and keeps everything filed. Counterfeit health-and-safety goods, once a person
confirms them with reasons, suspend the seller's account under the conduct policy's account measures.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import bindparam, select

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import PRODUCT_CATEGORIES, Case, FilingKind, product_category_title
from odr.conduct.models import AccountMeasure, HealthSafetyScreen, MeasureStatus, ScreenStatus
from odr.conduct.services import serve_measure
from odr.conduct.signals import account_measure_required, provisional_measure_required
from odr.config import rules_file
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import transaction_memo, utcnow
from odr.notifications.deliveries import serve
from odr.procedure.engine import Citation, ProcedureError, _citation
from odr.procedure.services import measures_standing, procedure_of, set_track
from odr.procedure.signals import consequences_due, state_entered
from odr.procedure.tracks import EXPEDITED, STANDARD
from odr.validation import check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

MIN_REASON = 10  # a reason shorter than this explains nothing
CLEARING_ROLES = {CaseRole.ADMIN, CaseRole.PLATFORM, CaseRole.MEDIATOR}
DECIDER_ROLES = {"admin": CaseRole.ADMIN, "mediator": CaseRole.MEDIATOR}


# --- the policy as data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    text: str  # as the list writes it
    folded: str  # as it is matched
    language: str  # the list it comes from ("standards": every language)
    category: str


@dataclass(frozen=True)
class TermList:
    language: str
    source: dict
    terms: tuple[Term, ...]


@dataclass(frozen=True)
class HealthSafetyPolicy:
    version: str
    effective_from: date
    categories: frozenset[str]
    fold: dict[int, str]
    proclitics: tuple[str, ...]
    lists: tuple[TermList, ...]
    provisional_measure: str
    provisional_citation: Citation
    legal_basis: Citation
    counterfeit_measure: str
    suspension_days: int
    deciders: frozenset[str]
    counterfeit_citation: Citation

    def normalise(self, text: str) -> str:
        """NFKC (width), case-folded, without combining marks nor the tatweel, with the fold table applied."""
        text = unicodedata.normalize("NFKC", text).casefold()
        text = "".join(c for c in text if unicodedata.category(c) != "Mn" and c != "\u0640")
        return text.translate(self.fold)

    def find(self, text: str) -> list[Term]:
        """Every term found as a whole term in ``text``, once (from the first list that has it), longest first."""
        folded = self.normalise(text)
        found: dict[str, Term] = {}
        for term_list in self.lists:
            for term in term_list.terms:
                if term.folded not in found and self._whole(folded, term.folded):
                    found[term.folded] = term
        return sorted(found.values(), key=lambda t: (-len(t.folded), t.language, t.text))

    def _whole(self, text: str, term: str) -> bool:
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if self._left_ok(text, start, term) and _right_ok(text, end, term):
                return True
            start = text.find(term, start + 1)
        return False

    def _left_ok(self, text: str, start: int, term: str) -> bool:
        if start == 0 or not _continues(text[start - 1], term[0]):
            return True
        if _script(term[0]) == "arabic":
            # A proclitic (the article, a conjunction, a preposition) written onto the word.
            return any(
                text.endswith(p, 0, start) and (start == len(p) or not _continues(text[start - len(p) - 1], p[0]))
                for p in self.proclitics
            )
        return False


def _script(char: str) -> str:
    """The class of writing a character belongs to, as far as word boundaries go."""
    code = ord(char)
    if 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x31F0 <= code <= 0x31FF:
        return "cjk"  # written without spaces: no word boundary to check
    if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
        return "hangul"
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F:
        return "arabic"
    return "alphabetic" if char.isalnum() else "other"


def _continues(neighbour: str, edge: str) -> bool:
    """Whether ``neighbour`` continues the word that the term's ``edge`` character begins or ends."""
    kind = _script(edge)
    return kind not in ("cjk", "other") and neighbour.isalnum() and _script(neighbour) == kind


def _right_ok(text: str, end: int, term: str) -> bool:
    if end == len(text) or _script(term[-1]) == "hangul":  # a Korean particle may follow (마스크를)
        return True
    return not _continues(text[end], term[-1])


def parse(data: dict) -> HealthSafetyPolicy:
    categories = frozenset(data["health_safety_categories"])
    unknown = categories - set(PRODUCT_CATEGORIES)
    if unknown:
        raise ProcedureError(f"health_safety_categories: unknown product categories {sorted(unknown)}")
    fold = {ord(k): str(v) for k, v in (data.get("fold") or {}).items() if len(str(k)) == 1}
    lists = []
    draft = HealthSafetyPolicy(
        version="",
        effective_from=date.min,
        categories=categories,
        fold=fold,
        proclitics=(),
        lists=(),
        provisional_measure="",
        provisional_citation=Citation("", ""),
        legal_basis=Citation("", ""),
        counterfeit_measure="",
        suspension_days=0,
        deciders=frozenset(),
        counterfeit_citation=Citation("", ""),
    )
    for language, raw in data["risk_terms"].items():
        source = raw.get("source") or {}
        if not source.get("title") or not source.get("link") or not source.get("note"):
            raise ProcedureError(f"risk_terms.{language} needs a source with a title, a link and a note")
        terms = []
        for category, words in (raw.get("terms") or {}).items():
            if category not in categories:
                raise ProcedureError(f"risk_terms.{language}: {category} is not a health-and-safety category")
            terms += [Term(str(w), draft.normalise(str(w)), language, category) for w in words]
        lists.append(TermList(language, dict(source), tuple(terms)))
    provisional = data["provisional_measure"]
    counterfeit = data["counterfeit_confirmed"]
    days = counterfeit.get("suspension_days")
    if counterfeit.get("measure") != "suspend_account" or not isinstance(days, int) or days < 1:
        raise ProcedureError("counterfeit_confirmed: measure suspend_account with suspension_days above 0")
    return HealthSafetyPolicy(
        version=str(data["version"]),
        effective_from=date.fromisoformat(str(data["effective_from"])),
        categories=categories,
        fold=fold,
        proclitics=tuple(sorted((draft.normalise(p) for p in data.get("arabic_proclitics") or []), key=len)),
        lists=tuple(lists),
        provisional_measure=str(provisional["measure"]),
        provisional_citation=_citation(provisional.get("citation"), "provisional_measure"),
        legal_basis=_citation(provisional.get("legal_basis"), "provisional_measure.legal_basis"),
        counterfeit_measure="suspend_account",
        suspension_days=days,
        deciders=frozenset(counterfeit["deciders"]),
        counterfeit_citation=_citation(counterfeit.get("citation"), "counterfeit_confirmed"),
    )


@lru_cache(maxsize=4)
def _load(path: str) -> HealthSafetyPolicy:
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def health_safety_policy() -> HealthSafetyPolicy:
    return _load(rules_file("policy", "health_safety.yaml"))


# --- screening a new notice -------------------------------------------------------------------------------


def screen(case: Case) -> tuple[list[dict], list[str]]:
    """What in the notice and its listings points to health and safety: term matches (where each was found)
    and the health-and-safety categories declared."""
    rules = health_safety_policy()
    notice = next((f for f in case.filings if f.kind == FilingKind.NOTICE), None)
    texts = [("notice_title", case.title), ("notice_text", notice.text if notice is not None else "")]
    texts += [(f"listing_title:{item.locator}", item.title) for item in case.listings if item.title]
    matches = []
    for where, text in texts:
        for term in rules.find(text or ""):
            matches.append({"term": term.text, "language": term.language, "category": term.category, "where": where})
    declared = [case.product_category] + [item.product_category for item in case.listings]
    categories = sorted({c for c in declared if c in rules.categories} | {m["category"] for m in matches})
    return matches, categories


_SCREENS = select(HealthSafetyScreen).where(HealthSafetyScreen.case_id.in_(bindparam("case_ids", expanding=True)))


def screen_of(case: Case) -> HealthSafetyScreen | None:
    """The case's screen, read once per transaction (every change of state of a case asks)."""
    known = _screens_read()
    if case.id not in known:
        _read_screens([case.id])
    return known[case.id]


def _screens_read() -> dict[int, HealthSafetyScreen | None]:
    # None: the case has no screen. A screen made in the transaction is put here (``_screen_new_notice``).
    return transaction_memo(db.session, "health_safety_screens")


def _read_screens(case_ids: list[int]) -> None:
    found = {screen.case_id: screen for screen in db.session.scalars(_SCREENS, {"case_ids": case_ids})}
    _screens_read().update({case_id: found.get(case_id) for case_id in case_ids})


@consequences_due.in_transaction.connect
def _on_consequences_due(_sender: Any, *, cases: list[Case], **_data: Any) -> None:
    _read_screens([case.id for case in cases if case.id not in _screens_read()])


def on_fast_track(case: Case) -> bool:
    found = screen_of(case)
    return found is not None and found.status != ScreenStatus.CLEARED


def _serve_step(case: Case, act: str, at: datetime, step: dict[str, Any], only: frozenset[str] | None = None) -> None:
    """Tell the parties a step of the fast track in their language, with its rule (Platform Rule 20)."""
    serve(case, act, at, data={"health_safety": step, "reference": case.reference}, only=only)


def _provisional(case: Case, found: HealthSafetyScreen, measure: str, at: datetime, ended_by: str = "") -> None:
    rules = health_safety_policy()
    ground = f"health_safety provisional {measure}: {rules.provisional_citation}"
    if measure == "take_down":
        found.provisional_from = at
        events.record(
            case,
            EventKind.PROVISIONAL_MEASURE_ORDERED,
            at,
            payload={
                "listings": [item.locator for item in case.listings],
                "citation": rules.provisional_citation.as_dict(),
                "legal_basis": rules.legal_basis.as_dict(),
            },
        )
        # Under the Digital Services Act the seller's statement of reasons (Art. 17) already tells it.
        only = frozenset({CaseRole.CLAIMANT}) if procedure_of(case).complaints is not None else None
        step = {"step": "provisional", "citation": rules.provisional_citation.as_dict()}
        _serve_step(case, "provisional_measure", at, step, only)
    else:
        found.provisional_until, found.provisional_ended_by = at, ended_by
        events.record(case, EventKind.PROVISIONAL_MEASURE_ENDED, at, payload={"ended_by": ended_by})
        if ended_by == "procedure_measure":
            return  # the procedure's own measure stands on the listings: nothing to restore
        if ended_by != "cleared":  # the clearing's own delivery says so
            step = {"step": "provisional_ended", "citation": rules.provisional_citation.as_dict()}
            _serve_step(case, "provisional_measure_ended", at, step)
    provisional_measure_required.publish(case, at=at, measure=measure, ground=ground)


@state_entered.in_transaction.connect
def _on_state_entered(case: Case, *, at: datetime, cause: str, **_data) -> None:
    if cause == "notice":
        _screen_new_notice(case, at)
        return
    found = screen_of(case)
    if found is not None and found.provisional_in_force:
        # The procedure took its first step: its own measure governs the listings from now on, or none stands.
        standing = measures_standing(case)
        _provisional(case, found, "restore", at, "procedure_measure" if standing else "procedure_step")


def _screen_new_notice(case: Case, at: datetime) -> None:
    rules = health_safety_policy()
    if at.date() < rules.effective_from:
        return  # notices filed before the fast track existed are not screened
    matches, categories = screen(case)
    if not matches and not categories:
        return
    found = HealthSafetyScreen(
        case_id=case.id, matches=matches, categories=categories, policy_version=rules.version, matched_at=at
    )
    db.session.add(found)
    _screens_read()[case.id] = found
    events.record(
        case,
        EventKind.HEALTH_SAFETY_MATCHED,
        at,
        payload={"matches": matches, "categories": categories, "policy_version": rules.version},
    )
    set_track(case, EXPEDITED, at, reason={"cause": "health_safety_match"})
    step = {
        "step": "fast_track",
        "terms": sorted({m["term"] for m in matches}),
        "categories": categories,
        "citation": rules.provisional_citation.as_dict(),
    }
    _serve_step(case, "health_safety_fast_track", at, step)
    if not measures_standing(case):
        _provisional(case, found, "take_down", at)


# --- a person's decisions: clearing a false positive, confirming counterfeits ------------------------------


def _reason(data: dict, fields: dict, name: str) -> str:
    text = clean_text(data.get(name), fields, name, max_length=5000)
    if text and len(text) < MIN_REASON and name not in fields:
        fields[name] = _("Give the reason in at least %(count)s characters.", count=MIN_REASON)
    return text


def _open_screen(account: Account, case_id: int, allowed: set[CaseRole]) -> tuple[Case, HealthSafetyScreen, CaseRole]:
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & allowed
    if not roles:
        raise Forbidden(_("Only a reviewer or the case's mediator decides on the health-and-safety fast track."))
    found = screen_of(case)
    if found is None or found.status != ScreenStatus.EXPEDITED:
        raise NotAllowed(_("This case is not on the health-and-safety fast track."), code="not_fast_tracked")
    return case, found, CaseRole(sorted(roles)[0])


def do_clear(account: Account, case_id: int, data: dict, at: datetime | None = None) -> HealthSafetyScreen:
    """A reviewer or the mediator finds the match false: the reason is recorded, the case returns to the standard
    periods counted from the same start, and a provisional measure still standing is lifted."""
    case, found, role = _open_screen(account, case_id, CLEARING_ROLES)
    fields: dict[str, str] = {}
    reason = _reason(data, fields, "reason")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    at = at or utcnow()
    found.status, found.reason, found.decided_by_id, found.decided_at = ScreenStatus.CLEARED, reason, account.id, at
    events.record(
        case, EventKind.HEALTH_SAFETY_CLEARED, at, actor=account, role=role, payload={"reason": reason, "role": role}
    )
    set_track(case, STANDARD, at, reason={"cause": "health_safety_cleared"})
    _serve_step(case, "health_safety_cleared", at, {"step": "cleared", "reason": reason})
    if found.provisional_in_force:
        _provisional(case, found, "restore", at, "cleared")
    commit()
    return found


def do_confirm_counterfeit(
    account: Account, case_id: int, data: dict, at: datetime | None = None
) -> HealthSafetyScreen:
    """A reviewer or the mediator confirms, with reasons, that the listings offer counterfeit health-and-safety
    goods: the seller's account is suspended under the policy, with a statement of reasons and an appeal."""
    rules = health_safety_policy()
    allowed = {DECIDER_ROLES[d] for d in rules.deciders if d in DECIDER_ROLES}
    case, found, role = _open_screen(account, case_id, allowed)
    fields: dict[str, str] = {}
    reasons = _reason(data, fields, "reasons")
    language = check_language(data.get("language") or account.reading_languages[0], fields, "language")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    at = at or utcnow()
    ends_at = at + timedelta(days=rules.suspension_days)
    measure = AccountMeasure(
        party_id=case.respondent_party_id,
        policy="health_safety",
        kind=rules.counterfeit_measure,
        jurisdiction=case.jurisdiction,
        case_id=case.id,
        starts_at=at,
        ends_at=ends_at,
        reasons={
            "policy": "health_safety",
            "policy_version": rules.version,
            "case_reference": case.reference,
            "categories": found.categories,
            "matches": found.matches,
            "reasons": reasons,
            "reasons_language": language,
            "decided_by_role": role,
            "suspension_days": rules.suspension_days,
            "citation": rules.counterfeit_citation.as_dict(),
            "automated": False,
            "appeal": "The seller may appeal once; an administrator decides with reasons.",
        },
    )
    db.session.add(measure)
    db.session.flush()
    found.status, found.reason, found.decided_by_id, found.decided_at = ScreenStatus.CONFIRMED, reasons, account.id, at
    found.account_measure_id = measure.id
    events.record(
        case,
        EventKind.COUNTERFEIT_CONFIRMED,
        at,
        actor=account,
        role=role,
        payload={"conduct_measure_id": measure.id, "kind": measure.kind, "until": ends_at.isoformat()},
    )
    account_measure_required.publish(
        case,
        at=at,
        kind=measure.kind,
        party=case.respondent,
        ground=f"health_safety {rules.counterfeit_citation.instrument}",
        details={"conduct_measure_id": measure.id, "until": ends_at.isoformat()},
    )
    serve_measure(measure, at)
    commit()
    return found


def may_decide(account: Account, case: Case) -> bool:
    return bool(case_roles(account, case) & CLEARING_ROLES)


def screen_json(found: HealthSafetyScreen, case: Case) -> dict[str, Any]:
    return {
        "status": found.status,
        "matches": found.matches,
        "categories": found.categories,
        "category_titles": [product_category_title(c) for c in found.categories],
        "policy_version": found.policy_version,
        "track": EXPEDITED if found.status != ScreenStatus.CLEARED else STANDARD,
        "procedure": procedure_of(case).code,
        "provisional_measure": {
            "from": found.provisional_from.isoformat() if found.provisional_from else None,
            "until": found.provisional_until.isoformat() if found.provisional_until else None,
            "ended_by": found.provisional_ended_by or None,
            "in_force": found.provisional_in_force,
        },
        "reason": found.reason or None,
        "decided_at": found.decided_at.isoformat() if found.decided_at else None,
        "account_measure_id": found.account_measure_id,
        "account_measure_in_force": bool(
            found.account_measure_id
            and db.session.scalar(
                select(AccountMeasure.id).where(
                    AccountMeasure.id == found.account_measure_id, AccountMeasure.status == MeasureStatus.IN_FORCE
                )
            )
        ),
    }
