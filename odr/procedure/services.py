"""Moving cases through their procedure: transitions, timers, and the deadline sweep."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.models import Case
from odr.errors import NotAllowed
from odr.export.services import export_to_court
from odr.extensions import db
from odr.models_base import utcnow
from odr.procedure.deadlines import compute_due
from odr.procedure.engine import Procedure, Registry, Transition, registry
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.titles import state_label


def procedures() -> Registry:
    return registry(current_app.config["ODR"]["RULES_DIR"])


def final_states() -> set[str]:
    """Names of the states that end a case, across all procedures."""
    return {name for p in procedures().procedures.values() for name, s in p.states.items() if s.final}


def procedure_of(case: Case) -> Procedure:
    return procedures().get(case.procedure_code, case.procedure_version)


def enter_state(case: Case, state: str, at: datetime, *, actor: Account | None = None,
                role: str = "system", cause: str, clock_start: datetime | None = None) -> None:
    """Put the case in ``state``: close the timers of the old state, start those of the new one.

    ``clock_start`` is when the new state's periods begin, if not ``at``: a state entered
    because a period ran out begins when it ran out, however late the sweep noticed.
    """
    clock_start = clock_start or at
    procedure = procedure_of(case)
    previous = case.state
    db.session.execute(
        update(Deadline).where(Deadline.case_id == case.id, Deadline.status == DeadlineStatus.PENDING)
        .values(status=DeadlineStatus.CANCELLED, closed_at=at))
    case.state = state
    case.state_entered_at = at
    events.record(case, "state_changed", at, actor=actor, role=role,
                  payload={"from": previous, "to": state, "cause": cause})
    for action in procedure.state(state).on_enter:
        ENTRY_ACTIONS[action](case, at)
    zone = case_time_zone(case, procedure)
    for timer in procedure.timers_for(state, clock_start.date()):
        due = compute_due(timer.period, clock_start, zone)
        deadline = Deadline(case_id=case.id, procedure_code=procedure.code,
                            procedure_version=procedure.version, timer=timer.name, state=state,
                            consequence=timer.target, citation=str(timer.citation)[:500],
                            due_at=due.due_at, computation=due.explanation, created_at=at)
        db.session.add(deadline)
        events.record(case, "deadline_set", at, payload={
            "timer": timer.name, "due_at": due.due_at.isoformat(), "consequence": timer.target})


ENTRY_ACTIONS = {"export_to_court": export_to_court}


def case_time_zone(case: Case, procedure: Procedure) -> str:
    return procedure.time_zone


def allowed_transitions(case: Case, roles: set[str], at: datetime) -> list[Transition]:
    """Transitions the holder of ``roles`` may take now that are not triggered by a filing."""
    procedure = procedure_of(case)
    return [t for t in procedure.transitions_from(case.state, at.date())
            if t.roles & roles and t.on_request]


def take_transition(case: Case, name: str, actor: Account | None, roles: set[str], at: datetime,
                    *, by_filing: bool = False) -> Transition:
    """Take a transition on a participant's request (or, with ``by_filing``, as the effect of a filing)."""
    procedure = procedure_of(case)
    transition = procedure.transition(name)
    if transition is None:
        raise NotAllowed(_("Unknown action %(name)s.", name=name), code="unknown_action")
    if case.state not in transition.sources or not transition.in_force(at.date()):
        raise NotAllowed(_("This action is not possible while the case is in the state “%(state)s”.",
                           state=state_title(case)), code="wrong_state")
    if transition.when is not None and "system" not in roles:
        raise NotAllowed(_("The platform takes this step by itself when its conditions are met."),
                         code="automatic_step")
    acting = transition.roles & roles
    if not acting:
        raise NotAllowed(_("Your role in this case does not allow this action."), code="wrong_role")
    if transition.filing and not by_filing:
        raise NotAllowed(_("This action is taken by filing a document."), code="needs_filing")
    enter_state(case, transition.target, at, actor=actor, role=sorted(acting)[0], cause=transition.name)
    return transition


def state_title(case: Case) -> str:
    return state_label(case.state)


def sweep_deadlines(now: datetime | None = None, batch: int = 500) -> int:
    """Apply the consequence of every pending deadline that has run out; return how many were applied.

    Idempotent and safe with several workers: each deadline is claimed with a conditional
    update (pending -> applied) in the same transaction as its consequence, so a deadline
    that another worker (or an earlier run) claimed is skipped. Reads only what is due.
    """
    now = now or utcnow()
    applied = 0
    while True:
        due = db.session.scalars(
            select(Deadline.id).where(Deadline.status == DeadlineStatus.PENDING, Deadline.due_at < now)
            .order_by(Deadline.due_at).limit(batch)).all()
        if not due:
            return applied
        for deadline_id in due:
            applied += _apply_one(deadline_id, now)


def _apply_one(deadline_id: int, now: datetime) -> int:
    claimed = db.session.execute(
        update(Deadline).where(Deadline.id == deadline_id, Deadline.status == DeadlineStatus.PENDING)
        .values(status=DeadlineStatus.APPLIED, closed_at=now))
    if claimed.rowcount != 1:
        db.session.rollback()
        return 0
    deadline = db.session.get(Deadline, deadline_id)
    case = db.session.scalar(select(Case).where(Case.id == deadline.case_id).with_for_update())
    if case.state != deadline.state:
        # The case moved on without the timer being closed; nothing to apply.
        deadline.status = DeadlineStatus.CANCELLED
        db.session.commit()
        return 0
    events.record(case, "deadline_expired", now, payload={
        "timer": deadline.timer, "due_at": deadline.due_at.isoformat(), "citation": deadline.citation})
    enter_state(case, deadline.consequence, now, cause=deadline.timer, clock_start=deadline.due_at)
    # enter_state cancels the pending deadlines of the old state; this one is already applied.
    db.session.commit()
    return 1


def pending_deadlines(case: Case) -> list[Deadline]:
    return list(db.session.scalars(select(Deadline).where(
        Deadline.case_id == case.id, Deadline.status == DeadlineStatus.PENDING).order_by(Deadline.due_at)))
