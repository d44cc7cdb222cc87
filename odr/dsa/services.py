"""Decisions on notices (DSA Art. 16), internal complaints (Art. 20) and certified out-of-court bodies (Art. 21).

A notice under the EU procedure opens in ``notice_review``: nothing happens to the listings until a platform
reviewer (an administrator or the platform client's moderators) records a reasoned decision. Software only
triages (the completeness check already passed, a suggested outcome, the priority of trusted flaggers'
notices); the statement of reasons says what was automated.

Internal complaints are a lane beside the procedure's states: the seller and the notifier may each complain
for six months from when they were informed of the decision (the receipt of its delivery under the
jurisdiction's receipt rule), whatever the case's stage; a reviewer decides each one with reasons. No timer
decides a complaint.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import Integer, case, cast, func, select

from odr.accounts.models import Account, Role
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case, FilingKind
from odr.conduct.models import HealthSafetyScreen, NoticeTriage, ScreenStatus
from odr.conduct.services import check_notice_processing, trusted_flagger_for
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.notifications.deliveries import receipt, serve
from odr.pagination import Page, keyset
from odr.procedure.deadlines import compute_due
from odr.procedure.engine import ComplaintRule
from odr.procedure.services import carry_out, procedure_of, take_transition, where_counted
from odr.procedure.signals import measures_required, state_entered
from odr.validation import clean_text
from odr.vocabulary import CaseRole, EventKind

from .models import (
    Complaint,
    ComplaintStatus,
    DecisionGround,
    NoticeOutcome,
    NoticeReview,
    ReviewStatus,
    StatementOfReasons,
)
from .reasons import end_statement

# The transitions of rules/eu-dsa.yaml that a reasoned decision takes.
RESTRICT, NO_ACTION, RESTRICT_ON_COMPLAINT = "restrict", "take_no_action", "restrict_on_complaint"
# Platform roles whose people decide notices and complaints: the operator's staff and the platform client's
# moderators (DSA Art. 20(6): under the supervision of appropriately qualified staff). Never a mediator.
REVIEWER_ROLES = {Role.ADMIN: CaseRole.ADMIN, Role.PLATFORM_CLIENT: CaseRole.PLATFORM}
# Explanations shorter than this are not a reason (a notice whose explanation was "x" is flagged by triage).
MIN_EXPLANATION = 20


def reviewer_role(account: Account) -> CaseRole:
    role = REVIEWER_ROLES.get(account.role)
    if role is None:
        raise Forbidden(_("Only the platform's reviewers decide notices and complaints."))
    return role


def under_dsa(case: Case) -> bool:
    return procedure_of(case).complaints is not None


# -- the review of each notice ---------------------------------------------------------------------------


def _notice_explanation(case: Case) -> str:
    notice = next((f for f in case.filings if f.kind == FilingKind.NOTICE), None)
    if notice is None:
        return ""
    elements = (notice.terms or {}).get("elements") or {}
    return str(elements.get("explanation") or notice.text or "")


def triage(case: Case) -> dict:
    """What software says about a new notice, to order and pre-fill the reviewer's work, never to decide."""
    explanation = _notice_explanation(case)
    words = len(explanation.split())
    flags = []
    if len(explanation.strip()) < MIN_EXPLANATION or words < 4:
        flags.append("explanation_too_short")
    return {
        "completeness_check": "passed",  # a notice missing an Art. 16(2) element opens no case
        "explanation_words": words,
        "flags": flags,
        "suggested_outcome": NoticeOutcome.NO_ACTION.value if flags else NoticeOutcome.RESTRICT.value,
    }


@state_entered.in_transaction.connect
def _on_state_entered(case: Case, *, at: datetime, previous: str, state: str, cause: str, **_data) -> None:
    procedure = procedure_of(case)
    if procedure.complaints is None:
        return
    if cause == "notice" and state == procedure.initial:
        review = NoticeReview(case_id=case.id, status=ReviewStatus.PENDING, triage=triage(case), created_at=at)
        db.session.add(review)
        events.record(case, EventKind.NOTICE_AWAITS_DECISION, at, payload={"triage": review.triage})
        # A registered trusted flagger's notice (odr/conduct registry, DSA Art. 22) is decided with priority.
        flagger = trusted_flagger_for(case, at)
        if flagger is not None:
            mark_trusted_flagger(case, f"{flagger.name}, {flagger.member_state} {flagger.reference}", at)
    elif procedure.states[state].outcome == "withdrawn":
        pending = review_of(case)
        if pending is not None and pending.status == ReviewStatus.PENDING:
            pending.status = ReviewStatus.WITHDRAWN
        end_statement(case, at, "withdrawal")


@measures_required.in_transaction.connect
def _on_measures(case: Case, *, at: datetime, measure: str, **_data) -> None:
    if measure == "restore" and under_dsa(case):
        end_statement(case, at, "measure_lifted")


def review_of(case: Case) -> NoticeReview | None:
    return db.session.scalar(select(NoticeReview).where(NoticeReview.case_id == case.id))


def mark_trusted_flagger(case: Case, reference: str, at: datetime) -> NoticeReview:
    """The notifier is a trusted flagger (DSA Art. 22; the registry names ``reference``): its notice is decided
    with priority, first in the reviewers' queue. The caller commits."""
    review = review_of(case)
    if review is None:
        raise NotAllowed(_("This notice is not waiting for a decision."), code="no_review")
    review.priority, review.trusted_flagger = True, reference[:300]
    events.record(case, EventKind.NOTICE_PRIORITY_SET, at, payload={"trusted_flagger": review.trusted_flagger})
    return review


@dataclass
class QueueRow:
    review: NoticeReview
    age_days: int
    health_safety: bool = False  # on the health-and-safety fast track (odr/conduct/health_safety.py)
    triage_score: int | None = None  # odr/conduct/triage.py: orders the queue, decides nothing


# The queue's order: health-and-safety cases first, then trusted flaggers' notices, then the higher triage
# score, then the oldest. Each key ascending, so one keyset order serves the whole key.
_FAST = case((HealthSafetyScreen.status.in_([ScreenStatus.EXPEDITED, ScreenStatus.CONFIRMED]), 1), else_=0)
_SCORE = func.coalesce(NoticeTriage.score, 0)
QUEUE_ORDER = [
    -_FAST,
    -cast(NoticeReview.priority, Integer),
    -_SCORE,
    NoticeReview.created_at,
    NoticeReview.id,
]


def _queue_query():
    return (
        select(NoticeReview, _FAST.label("fast"), NoticeTriage.score)
        .outerjoin(HealthSafetyScreen, HealthSafetyScreen.case_id == NoticeReview.case_id)
        .outerjoin(NoticeTriage, NoticeTriage.case_id == NoticeReview.case_id)
        .where(NoticeReview.status == ReviewStatus.PENDING)
    )


def _row(found: tuple, now: datetime) -> QueueRow:
    review, fast, score = found[0], found[1], found[2]
    return QueueRow(review, (now - review.created_at).days, bool(fast), score)


def review_queue(account: Account, now: datetime | None = None) -> list[QueueRow]:
    """Notices waiting for a decision: health-and-safety cases first, trusted flaggers' next, then by triage
    score and age."""
    reviewer_role(account)
    now = now or utcnow()
    found = db.session.execute(_queue_query().order_by(*QUEUE_ORDER).limit(500)).all()
    return [_row(tuple(r), now) for r in found]


def review_queue_page(
    account: Account, limit: int, cursor: str | None, now: datetime | None = None
) -> tuple[list[QueueRow], Page]:
    """One page of ``review_queue``, in its order (keyset on the same key)."""
    reviewer_role(account)
    now = now or utcnow()
    page = keyset(
        _queue_query(),
        QUEUE_ORDER,
        limit=limit,
        cursor=cursor,
        descending=False,
        rows=True,
        key_of=lambda r: (-int(r[1]), -int(r[0].priority), -int(r[2] or 0), r[0].created_at, r[0].id),
    )
    return [_row(r, now) for r in page.items], page


def _reviewed_case(case_id: int) -> Case:
    case = db.session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise NotFound(_("This case does not exist."))
    return case


def decide_notice(account: Account, case_id: int, data: dict, at: datetime | None = None) -> NoticeReview:
    """A reviewer's reasoned decision on a notice (DSA Art. 16(5)-(6)): restrict the listings or take no action.
    The notifier and the seller are served the decision with the redress open to them."""
    if account.role not in REVIEWER_ROLES:
        get_case(account, case_id)  # an outsider learns nothing of the case: not found
    role = reviewer_role(account)
    at = at or utcnow()
    case = _reviewed_case(case_id)
    review = review_of(case)
    if review is None:
        get_case(account, case_id)  # not in the review lane: a reviewer who may not read the case learns nothing
    if review is None or review.status != ReviewStatus.PENDING:
        raise NotAllowed(_("This notice is not waiting for a decision."), code="no_review")
    fields: dict[str, str] = {}
    outcome = _choice(NoticeOutcome, data.get("outcome"), fields, "outcome")
    ground = _choice(DecisionGround, data.get("ground") or "illegal_content", fields, "ground")
    legal_ground = clean_text(data.get("legal_ground"), fields, "legal_ground", max_length=500)
    explanation = clean_text(data.get("explanation"), fields, "explanation", max_length=2000)
    facts = clean_text(data.get("facts"), fields, "facts", max_length=5000)
    if explanation and len(explanation) < MIN_EXPLANATION and "explanation" not in fields:
        fields["explanation"] = _("Explain the decision in at least %(count)s characters.", count=MIN_EXPLANATION)
    language = str(data.get("language") or account.reading_languages[0])[:8]
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    review.outcome, review.ground = outcome, ground
    review.legal_ground, review.explanation, review.facts, review.language = legal_ground, explanation, facts, language
    review.used_suggestion = bool(data.get("used_suggestion")) and outcome.value == review.triage.get(
        "suggested_outcome"
    )
    review.automated_detection = False  # the listing came to the platform by a notice, not by detection
    review.status, review.decided_by_id, review.decided_at = ReviewStatus.DECIDED, account.id, at
    try:
        take_transition(
            case, RESTRICT if outcome == NoticeOutcome.RESTRICT else NO_ACTION, account, {role}, at, by_decision=True
        )
        payload = decision_payload(review)
        events.record(case, EventKind.NOTICE_DECIDED, at, actor=account, role=role, payload=payload)
        serve(case, "notice_decision", at, data=payload)
        commit()
    except BaseException:
        db.session.rollback()
        raise
    return review


def decision_payload(review: NoticeReview) -> dict:
    return {
        "review_id": review.id,
        "outcome": review.outcome.value if review.outcome else None,
        "ground": review.ground.value if review.ground else None,
        "legal_ground": review.legal_ground,
        "explanation": review.explanation,
        "language": review.language,
        "priority": review.priority,
        "automated": {"detection": review.automated_detection, "suggestion_used": review.used_suggestion},
        "redress": ["internal_complaint", "out_of_court_bodies", "court"],
    }


def _choice(enum_cls, value, fields: dict, name: str):
    try:
        return enum_cls(value)
    except ValueError:
        fields[name] = _("Choose one of: %(values)s.", values=", ".join(m.value for m in enum_cls))
        return None


# -- internal complaints -------------------------------------------------------------------------------------


@dataclass
class Window:
    """The complaint window of one role: from when it was informed of the decision, to the end of the period."""

    act: str
    informed_at: datetime | None  # None: not informed yet, so the window has not started
    way: str | None
    ends_at: datetime | None
    explanation: dict | None


def _decision_at(case: Case, role: str) -> datetime | None:
    """When the decision the role may complain about was taken (the latest one)."""
    if role == CaseRole.RESPONDENT:
        sor = latest_statement(case)
        return sor.created_at if sor else None
    review = review_of(case)
    return review.decided_at if review and review.status == ReviewStatus.DECIDED else None


def complaint_window(case: Case, role: str) -> Window | None:
    """The Art. 20 window of ``role`` in the case, or None where there is no decision to complain about."""
    rule: ComplaintRule | None = procedure_of(case).complaints
    if rule is None or role not in rule.informed_by:
        return None
    decided_at = _decision_at(case, role)
    if decided_at is None:
        return None
    act = rule.informed_by[role]
    received = receipt(case, act, role, since=decided_at)
    if received is None:
        return Window(act, None, None, None, None)
    informed_at, way = received
    place = where_counted(case, procedure_of(case))
    due = compute_due(
        rule.period,
        informed_at,
        place.time_zone,
        place.calendar,
        roll_forward=place.roll_forward and rule.roll_forward,
    )
    return Window(act, informed_at, way, due.due_at, dict(due.explanation, citation=rule.citation.as_dict()))


def latest_statement(case: Case) -> StatementOfReasons | None:
    return db.session.scalar(
        select(StatementOfReasons)
        .where(StatementOfReasons.case_id == case.id)
        .order_by(StatementOfReasons.id.desc())
        .limit(1)
    )


def file_complaint(account: Account, case_id: int, data: dict, at: datetime | None = None) -> Complaint:
    """The seller or the notifier complains against the platform's decision (DSA Art. 20(1))."""
    at = at or utcnow()
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & {CaseRole.CLAIMANT, CaseRole.RESPONDENT}
    rule = procedure_of(case).complaints
    if rule is None:
        raise NotAllowed(_("This case's procedure has no internal complaint."), code="no_internal_complaints")
    if not roles:
        raise NotAllowed(_("Only the seller and the notifier may complain."), code="wrong_role")
    role = sorted(roles)[0]
    if role == CaseRole.CLAIMANT:
        # DSA Art. 23(2): a notifier whose notices' processing is suspended has its complaints suspended too.
        check_notice_processing(account, at, complaint=True)
    window = complaint_window(case, role)
    if window is None:
        raise NotAllowed(_("There is no decision to complain about yet."), code="no_decision")
    if window.ends_at is not None and at > window.ends_at:
        raise NotAllowed(
            _(
                "Too late: an internal complaint can be made for six months from when you were informed of the "
                "decision (%(informed)s); that period ended on %(ends)s (%(rule)s).",
                informed=window.informed_at.isoformat() if window.informed_at else "",
                ends=window.ends_at.isoformat(),
                rule=str(rule.citation),
            ),
            code="complaint_period_over",
            details={
                "informed_at": window.informed_at.isoformat() if window.informed_at else None,
                "window_ends_at": window.ends_at.isoformat(),
            },
        )
    already = db.session.scalar(
        select(Complaint.id).where(
            Complaint.case_id == case.id, Complaint.role == role, Complaint.status == ComplaintStatus.OPEN
        )
    )
    if already is not None:
        raise NotAllowed(_("Your complaint in this case is still being decided."), code="complaint_open")
    fields: dict[str, str] = {}
    text = clean_text(data.get("text"), fields, "text", max_length=10000)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    complaint = Complaint(
        case_id=case.id,
        role=role,
        account_id=account.id,
        against=window.act,
        text=text,
        language=str(data.get("language") or account.reading_languages[0])[:8],
        filed_at=at,
        informed_at=window.informed_at,
        window_ends_at=window.ends_at,
        status=ComplaintStatus.OPEN,
    )
    db.session.add(complaint)
    db.session.flush()
    events.record(
        case,
        EventKind.COMPLAINT_FILED,
        at,
        actor=account,
        role=CaseRole(role),
        payload={
            "complaint_id": complaint.id,
            "against": window.act,
            "informed_at": window.informed_at.isoformat() if window.informed_at else None,
            "window_ends_at": window.ends_at.isoformat() if window.ends_at else None,
            "stage": case.state,
        },
    )
    commit()
    return complaint


@dataclass
class ComplaintRow:
    complaint: Complaint
    age_days: int


def open_complaints(account: Account, now: datetime | None = None) -> list[ComplaintRow]:
    """Complaints waiting for a decision, oldest first, with their age (decided without undue delay)."""
    reviewer_role(account)
    now = now or utcnow()
    rows = db.session.scalars(
        select(Complaint).where(Complaint.status == ComplaintStatus.OPEN).order_by(Complaint.filed_at).limit(500)
    ).all()
    return [ComplaintRow(c, (now - c.filed_at).days) for c in rows]


def open_complaints_page(
    account: Account, limit: int, cursor: str | None, now: datetime | None = None
) -> tuple[list[ComplaintRow], Page]:
    """One page of ``open_complaints``, oldest first (keyset on the filing instant and id)."""
    reviewer_role(account)
    now = now or utcnow()
    page = keyset(
        select(Complaint).where(Complaint.status == ComplaintStatus.OPEN),
        [Complaint.filed_at, Complaint.id],
        limit=limit,
        cursor=cursor,
        descending=False,
    )
    return [ComplaintRow(c, (now - c.filed_at).days) for c in page.items], page


def decide_complaint(account: Account, complaint_id: int, data: dict, at: datetime | None = None) -> Complaint:
    """A reviewer decides a complaint with reasons (DSA Art. 20(4)-(6)). Upheld, the decision is reversed at
    once: the seller's listings are restored (the platform receives the measure), or the notifier's notice is
    acted on. Either way both parties are served the decision and the out-of-court bodies open to them."""
    role = reviewer_role(account)
    at = at or utcnow()
    complaint = db.session.scalar(select(Complaint).where(Complaint.id == complaint_id).with_for_update())
    if complaint is None:
        raise NotFound(_("This complaint does not exist."))
    if complaint.status != ComplaintStatus.OPEN:
        raise NotAllowed(_("This complaint has already been decided."), code="decided")
    fields: dict[str, str] = {}
    outcome = data.get("outcome")
    if outcome not in {ComplaintStatus.UPHELD.value, ComplaintStatus.REJECTED.value}:
        fields["outcome"] = _("Choose upheld or rejected.")
    reasons = clean_text(data.get("reasons"), fields, "reasons", max_length=5000)
    if reasons and len(reasons) < MIN_EXPLANATION and "reasons" not in fields:
        fields["reasons"] = _("Explain the decision in at least %(count)s characters.", count=MIN_EXPLANATION)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    case = _reviewed_case(complaint.case_id)
    complaint.status = ComplaintStatus(outcome)
    complaint.reasons, complaint.decided_by_id, complaint.decided_at = reasons, account.id, at
    try:
        if complaint.status == ComplaintStatus.UPHELD:
            _reverse(case, complaint, account, role, at)
        payload = {
            "complaint_id": complaint.id,
            "complainant": complaint.role,
            "outcome": complaint.status.value,
            "reasons": reasons,
            "filed_at": complaint.filed_at.isoformat(),
            "out_of_court_bodies": [body["id"] for body in out_of_court_bodies()],
            "voluntary_platform_mediation": _mediation_open(case, at),
        }
        events.record(case, EventKind.COMPLAINT_DECIDED, at, actor=account, role=role, payload=payload)
        serve(case, "complaint_decision", at, data=payload)
        commit()
    except BaseException:
        db.session.rollback()
        raise
    return complaint


def _reverse(case: Case, complaint: Complaint, account: Account, role: CaseRole, at: datetime) -> None:
    if complaint.role == CaseRole.RESPONDENT:
        statement = latest_statement(case)
        if statement is None or statement.content.get("duration", {}).get("ended_at"):
            return  # the restriction already ended
        end_statement(case, at, "complaint_upheld")
        carry_out("lift_measures", case, at)  # the platform receives the restore measures at once
        return
    review = review_of(case)
    if case.state == "no_action" and review is not None:
        review.outcome = NoticeOutcome.RESTRICT
        review.explanation = complaint.reasons
        review.decided_by_id, review.decided_at = account.id, at
        take_transition(case, RESTRICT_ON_COMPLAINT, account, {role}, at, by_decision=True)


def _mediation_open(case: Case, at: datetime) -> bool:
    """Whether the parties may still choose the platform's voluntary mediation (a request, never a timer)."""
    procedure = procedure_of(case)
    transition = procedure.transition("request_mediation")
    return transition is not None and case.state in transition.sources


# -- certified out-of-court dispute settlement bodies (Art. 21) -----------------------------------------------


@lru_cache(maxsize=4)
def _bodies(folder: str) -> tuple[dict, ...]:
    raw = yaml.safe_load((Path(folder) / "EU.yaml").read_text(encoding="utf-8")) or {}
    return tuple(raw.get("out_of_court_bodies") or ())


def out_of_court_bodies() -> list[dict]:
    """The certified bodies of jurisdictions/EU.yaml, each with its source and how sure we are of it."""
    return list(_bodies(current_app.config["ODR"]["JURISDICTIONS_DIR"]))


def statements(case: Case) -> list[StatementOfReasons]:
    return list(
        db.session.scalars(
            select(StatementOfReasons).where(StatementOfReasons.case_id == case.id).order_by(StatementOfReasons.id)
        )
    )
