"""How a request for a pause ends, recorded by one function whichever way it ends: granted or refused with
reasons by whom the rule names (odr.procedure.pauses), or lapsed when its period ends undecided (the sweep).
Each outcome goes on the case's timeline and is served on the parties (``pause_decision`` in ``rules/``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.models import Case
from odr.extensions import db
from odr.procedure.engine import Timer
from odr.procedure.models import Deadline, PauseRequest, PauseStatus
from odr.procedure.signals import pause_decided
from odr.vocabulary import CaseRole, EventKind

DECISIONS = {PauseStatus.GRANTED: "grant", PauseStatus.REFUSED: "refuse", PauseStatus.LAPSED: "lapse"}


def record_outcome(
    case: Case,
    request: PauseRequest,
    status: PauseStatus,
    deadline: Deadline,
    at: datetime,
    *,
    count: int | None = None,
    reasons: str = "",
    actor: Account | None = None,
    role: CaseRole = CaseRole.SYSTEM,
) -> None:
    """Close the request as ``status`` (the caller has moved the deadline for a grant) and announce it."""
    request.status = status
    request.granted_count = count if status == PauseStatus.GRANTED else None
    request.decided_by_id = actor.id if actor is not None else None
    request.decided_at, request.decision_reasons = at, reasons
    events.record(
        case,
        EventKind.PAUSE_DECIDED,
        at,
        actor=actor,
        role=role,
        payload={
            "request_id": request.id,
            "decision": DECISIONS[status],
            "count": request.granted_count,
            "reasons": reasons,
            "due_at": deadline.due_at.isoformat(),
        },
    )
    pause_decided.publish(case, request=request, at=at)


def lapse_pending(case: Case, deadline: Deadline, timer: Timer | None, at: datetime) -> None:
    """The period ended with a request still undecided: it lapses and the period's consequence stands. A period
    (``timer``: the deadline's, as ``pauses._rule`` reads it) whose rule allows no pause on request has none."""
    if timer is None or timer.pause_on_request is None:
        return
    for request in db.session.scalars(
        select(PauseRequest)
        .where(PauseRequest.deadline_id == deadline.id, PauseRequest.status == PauseStatus.PENDING)
        .with_for_update()
    ):
        record_outcome(case, request, PauseStatus.LAPSED, deadline, at)
