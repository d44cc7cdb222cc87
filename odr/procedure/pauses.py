"""Pauses asked for with proof: a participant asks that time lost beyond its control not count against a running
period, and whom the rule names decides with reasons (China: SPC Reply, Fa Shi [2020] No. 9, Art. 3, time lost to
notarization or authentication, up to 20 working days; Platform Rule 12).

Granted, the days are added to the period as the rule's ``combination`` says (``extend_deadline``); refused,
nothing changes. Either way the request, its proof and the decision with its reasons stay on the case's timeline.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.services import Upload, discard, store_evidence
from odr.domain_events import commit
from odr.errors import NotAllowed, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.procedure.engine import Extension
from odr.procedure.jurisdictions import DOCUMENT_TYPES
from odr.procedure.models import Deadline, DeadlineStatus, PauseRequest, PauseStatus
from odr.procedure.notices import placeholder_refusal, says_enough
from odr.procedure.pause_outcomes import record_outcome
from odr.procedure.services import case_day, extend_deadline, procedure_of
from odr.procedure.signals import pause_requested
from odr.validation import clean_text
from odr.vocabulary import CaseRole, EventKind

# The reason says what was notarized or authenticated, where, and why it took the time asked for; the
# decision says why it is granted or refused. Shorter texts cannot say that (a CJK character counts as two).
MIN_REASON = 20


def pending_pause_requests(case) -> list[PauseRequest]:
    """The requests of a case waiting for a decision (at most one per deadline)."""
    return list(
        db.session.scalars(
            select(PauseRequest)
            .where(PauseRequest.case_id == case.id, PauseRequest.status == PauseStatus.PENDING)
            .order_by(PauseRequest.id)
        )
    )


def _rule(case, deadline: Deadline) -> Extension:
    timer = procedure_of(case).timer(deadline.timer)
    rule = timer.pause_on_request if timer else None
    if rule is None:
        raise NotAllowed(_("The rule behind this deadline allows no pause on request."), code="not_extendable")
    return rule


def _running(case, deadline_id: int, at: datetime) -> Deadline:
    deadline = db.session.scalar(
        select(Deadline).where(Deadline.id == deadline_id, Deadline.case_id == case.id).with_for_update()
    )
    if deadline is None or deadline.status != DeadlineStatus.PENDING:
        raise NotAllowed(_("This deadline is not running."), code="not_running")
    if at > deadline.due_at:
        raise NotAllowed(_("This deadline has already passed."), code="deadline_passed")
    return deadline


def _taken(deadline: Deadline) -> int:
    return sum(int(p["count"]) for p in deadline.computation.get("pauses", []))


def request_pause(
    account: Account,
    case_id: int,
    deadline_id: int,
    data: dict,
    proof: Upload | None,
    *,
    remote_addr: str = "",
    at: datetime,
) -> PauseRequest:
    """Ask, with the reason and a document proving the delay, that days not count against a running period."""
    case = get_case(account, case_id, for_update=True)
    deadline = _running(case, deadline_id, at)
    rule = _rule(case, deadline)
    roles = case_roles(account, case)
    if not rule.requested_by & roles:
        raise NotAllowed(_("Your role in this case does not allow this action."), code="wrong_role")
    if rule.effective_from and case_day(case, at) < rule.effective_from:
        raise NotAllowed(_("The rule behind this deadline allows no pause on request."), code="not_extendable")
    if db.session.scalar(
        select(PauseRequest.id).where(
            PauseRequest.deadline_id == deadline.id, PauseRequest.status == PauseStatus.PENDING
        )
    ):
        raise NotAllowed(_("A request for a pause of this deadline is already waiting for a decision."), code="pending")
    fields: dict[str, str] = {}
    rule_text = str(rule.citation)
    reason = clean_text(data.get("reason"), fields, "reason", max_length=2000)
    if reason and "reason" not in fields and not says_enough(reason, MIN_REASON):
        fields["reason"] = placeholder_refusal(_("the reason for the delay"), MIN_REASON, rule_text)
    count = _count(data.get("count"), rule.max_count - _taken(deadline), rule_text, fields)
    if proof is None:
        fields["proof"] = _(
            "Attach the document that shows the delay (PDF, PNG, JPEG or WebP). Required by %(rule)s.", rule=rule_text
        )
    elif storage.peek_media_type(proof.stream) not in DOCUMENT_TYPES:
        fields["proof"] = _(
            "The file sent is not a PDF, PNG, JPEG or WebP document (its content was checked, not its name)."
        )
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    assert proof is not None  # refused above without it
    stored: list[storage.StoredFile] = []
    try:
        (document,) = store_evidence(case, None, account, [proof], remote_addr, stored, element="pause_proof")
        db.session.flush()
        request = PauseRequest(
            case_id=case.id,
            deadline_id=deadline.id,
            count=count,
            reason=reason,
            proof_id=document.id,
            requested_by_id=account.id,
            requested_at=at,
        )
        db.session.add(request)
        db.session.flush()
        events.record(
            case,
            EventKind.PAUSE_REQUESTED,
            at,
            actor=account,
            role=CaseRole(sorted(rule.requested_by & roles)[0]),
            payload={
                "request_id": request.id,
                "timer": deadline.timer,
                "count": count,
                "unit": rule.unit,
                "reason": reason,
                "proof_sha256": document.sha256,
                "citation": rule_text,
            },
        )
        pause_requested.publish(case, request=request, at=at)
        commit()
    except BaseException:
        db.session.rollback()
        discard(stored)
        raise
    return request


def _count(raw, left: int, rule: str, fields: dict) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= left:
        fields["count"] = (
            _("Ask for between 1 and %(left)s working days (%(rule)s).", left=left, rule=rule)
            if left > 0
            else _("No days are left to pause under %(rule)s.", rule=rule)
        )
        return 0
    return raw


def decide_pause(account: Account, case_id: int, request_id: int, data: dict, *, at: datetime) -> PauseRequest:
    """Grant (all or part of the days asked for) or refuse a pause, with reasons."""
    case = get_case(account, case_id, for_update=True)
    request = db.session.scalar(
        select(PauseRequest).where(PauseRequest.id == request_id, PauseRequest.case_id == case.id).with_for_update()
    )
    if request is None or request.status != PauseStatus.PENDING:
        raise NotAllowed(_("This request is not waiting for a decision."), code="not_pending")
    deadline = _running(case, request.deadline_id, at)
    rule = _rule(case, deadline)
    roles = case_roles(account, case)
    if not rule.roles & roles:
        raise NotAllowed(_("Your role in this case does not allow this action."), code="wrong_role")
    fields: dict[str, str] = {}
    decision = data.get("decision")
    if decision not in ("grant", "refuse"):
        fields["decision"] = _("Choose: grant or refuse.")
    reasons = clean_text(data.get("reasons"), fields, "reasons", max_length=2000)
    if reasons and "reasons" not in fields and not says_enough(reasons, MIN_REASON):
        fields["reasons"] = placeholder_refusal(_("the reasons for the decision"), MIN_REASON, str(rule.citation))
    count = request.count
    if decision == "grant" and data.get("count") not in (None, ""):
        count = _count(data.get("count"), request.count, str(rule.citation), fields)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    try:
        if decision == "grant":
            # The days are added as the rule reads (its ``combination``), within its maximum.
            extend_deadline(case, deadline.id, count, request.reason, account, roles, at)
        record_outcome(
            case,
            request,
            PauseStatus.GRANTED if decision == "grant" else PauseStatus.REFUSED,
            deadline,
            at,
            count=count,
            reasons=reasons,
            actor=account,
            role=CaseRole(sorted(rule.roles & roles)[0]),
        )
        commit()
    except BaseException:
        db.session.rollback()
        raise
    return request
