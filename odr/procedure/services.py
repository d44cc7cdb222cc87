"""Moving cases through their procedure: transitions, timers, and the deadline sweep."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import configure_mappers, joinedload

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case, Event, FilingKind
from odr.domain_events import commit
from odr.errors import NotAllowed, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.procedure import jurisdictions
from odr.procedure.calendars import Calendar
from odr.procedure.deadlines import compute_due
from odr.procedure.engine import Procedure, Registry, Timer, Transition, registry
from odr.procedure.models import CaseProcedure, Deadline, DeadlineStatus
from odr.procedure.pause_outcomes import lapse_pending
from odr.procedure.signals import ENTRY_ACTIONS, consequences_due, measures_required, state_entered
from odr.procedure.titles import state_label, timer_label
from odr.procedure.tracks import STANDARD, track
from odr.queue import periodic_job
from odr.validation import clean_text
from odr.vocabulary import CaseRole, EventKind


def procedures() -> Registry:
    return registry(current_app.config["ODR"]["RULES_DIR"])


def final_states() -> set[str]:
    """Names of the states that end a case, across all procedures."""
    return set(procedures().final_states)


def procedure_of(case: Case) -> Procedure:
    return procedures().get(case.procedure_code, case.procedure_version)


# The statements of every consequence of the sweep, built once: their construction cost about as much as sending them.
# The closed deadlines are found in the session by the ids the UPDATE returns ("fetch"), not by testing its criteria
# against every deadline the session holds ("evaluate"): a batch of the sweep holds hundreds.
_CLOSE_PENDING = (
    update(Deadline)
    .where(Deadline.case_id == bindparam("of_case"), Deadline.status == DeadlineStatus.PENDING)
    .values(status=DeadlineStatus.CANCELLED, closed_at=bindparam("at"))
    .execution_options(synchronize_session="fetch")
)
# The claim returns the deadline it claimed (no second read); nothing when another worker took it.
_CLAIM = (
    update(Deadline)
    .where(Deadline.id == bindparam("deadline_id"), Deadline.status == DeadlineStatus.PENDING)
    .values(status=DeadlineStatus.APPLIED, closed_at=bindparam("at"))
    .returning(Deadline)
    .execution_options(synchronize_session=False, populate_existing=True)
)
# The same for several deadlines at once (a batch of the sweep): those still pending, claimed in one statement.
_CLAIM_MANY = (
    update(Deadline)
    .where(Deadline.id.in_(bindparam("deadline_ids", expanding=True)), Deadline.status == DeadlineStatus.PENDING)
    .values(status=DeadlineStatus.APPLIED, closed_at=bindparam("at"))
    .returning(Deadline)
    .execution_options(synchronize_session=False, populate_existing=True)
)


@cache
def _lock_cases() -> Select:
    """Cases locked in the order of their ids (so that two sweepers never wait on each other in a circle), with
    their procedure choice (where the next period is counted), not in a query of their own. Built at first use:
    ``Case.procedure_choice`` is a backref, there once the mappers are configured."""
    configure_mappers()
    return (
        select(Case)
        .where(Case.id.in_(bindparam("case_ids", expanding=True)))
        .order_by(Case.id)
        .options(joinedload(Case.procedure_choice))
        .with_for_update(of=Case)
    )


def enter_state(
    case: Case,
    state: str,
    at: datetime,
    *,
    actor: Account | None = None,
    role: CaseRole = CaseRole.SYSTEM,
    cause: str,
    clock_start: datetime | None = None,
) -> None:
    """Put the case in ``state``: close the timers of the old state, start those of the new one.

    ``clock_start`` is when the new state's periods begin, if not ``at``: a state entered
    because a period ran out begins when it ran out, however late the sweep noticed.
    """
    clock_start = clock_start or at
    procedure = procedure_of(case)
    previous = case.state
    if cause != "notice":  # a notice's case opens in this transaction, with no timers yet to close
        db.session.execute(_CLOSE_PENDING, {"of_case": case.id, "at": at})
    case.state = state
    case.state_entered_at = at
    payload: dict[str, object] = {"from": previous, "to": state, "cause": cause}
    if state in REFERRAL_STATES or "export_to_court" in procedure.state(state).on_enter:
        # The parties are told which body receives (or would receive) the case and what it does.
        route = referral_route(case, at=at)
        if route is not None:
            payload["referral"] = {
                "body": route.body,
                "kind": route.kind,
                "rule": str(route.citation) if route.citation else None,
            }
    change = events.record(case, EventKind.STATE_CHANGED, at, actor=actor, role=role, payload=payload)
    for action in procedure.state(state).on_enter:
        carry_out(action, case, at)
    place = where_counted(case, procedure)
    # The rule in force on the day the clock starts, where it runs, governs the period.
    local_day = clock_start.astimezone(ZoneInfo(place.time_zone)).date()
    for timer in procedure.timers_for(state, local_day):
        if timer.receipt is None:  # a period from receipt starts when the delivery is received
            _start(case, procedure, timer, clock_start, place, at)
    # ``recorded_at``: the change's time on the chain, ``at`` or later (a chain's times never decrease).
    state_entered.publish(case, at=at, previous=previous, state=state, cause=cause, recorded_at=change.created_at)


# The step where facilitated settlement has ended and a party may refer the case (Platform Rule 7).
REFERRAL_STATES = {"final_stage_open"}


def referral_route(case: Case, jurisdiction=None, at: datetime | None = None) -> "jurisdictions.EscalationRoute | None":
    """The body that receives this case if it is referred today, under its jurisdiction's routes."""
    if jurisdiction is None:
        choice = choice_of(case)
        jurisdiction = jurisdictions.get(choice.jurisdiction if choice else case.jurisdiction)
    if jurisdiction is None:
        return None
    return jurisdiction.escalation_for(case.right_type.value, case_day(case, at or utcnow()))


def _start(
    case: Case,
    procedure: Procedure,
    timer: Timer,
    start: datetime,
    place: "Place",
    at: datetime,
    receipt: dict | None = None,
) -> Deadline:
    timer = on_track(case, timer, start, place)
    due = _due(timer, start, place)
    computation = dict(due.explanation, receipt=receipt) if receipt else due.explanation
    deadline = Deadline(
        case_id=case.id,
        procedure_code=procedure.code,
        procedure_version=procedure.version,
        timer=timer.name,
        state=case.state,
        consequence=timer.target,
        citation=str(timer.citation)[:500],
        due_at=due.due_at,
        computation=computation,
        created_at=at,
    )
    db.session.add(deadline)
    events.record(
        case,
        EventKind.DEADLINE_SET,
        at,
        payload={"timer": timer.name, "due_at": due.due_at.isoformat(), "consequence": timer.target},
    )
    return deadline


def timers_awaiting_receipt(case: Case) -> list[Timer]:
    """The current state's periods that start at the receipt of a delivery and have not started yet."""
    procedure = procedure_of(case)
    day = case_day(case, case.state_entered_at)
    awaiting = [t for t in procedure.timers_for(case.state, day) if t.receipt]
    if not awaiting:
        return []  # most states have none: nothing to read
    started = set(
        db.session.scalars(
            select(Deadline.timer).where(
                Deadline.case_id == case.id, Deadline.state == case.state, Deadline.created_at >= case.state_entered_at
            )
        )
    )
    return [t for t in awaiting if t.name not in started]


def start_at_receipt(case: Case, timer: Timer, received_at: datetime, receipt: dict, at: datetime) -> Deadline:
    """Start a period whose law counts it from the receipt of a delivery; ``receipt`` says how it was received
    and under which rule (shown in "why this date?"). The caller checks it has not started yet."""
    procedure = procedure_of(case)
    return _start(case, procedure, timer, received_at, where_counted(case, procedure), at, receipt)


def on_track(case: Case, timer: Timer, start: datetime, place: "Place") -> Timer:
    """The timer as the case's track runs it (the expedited track's period, where one applies on the day it
    starts)."""
    choice = choice_of(case)
    data = track(choice.track) if choice is not None and choice.track else None
    if data is None:
        return timer
    return data.timer(timer, start.astimezone(ZoneInfo(place.time_zone)).date())


def set_track(case: Case, name: str, at: datetime, *, reason: dict) -> list[Deadline]:
    """Put the case on a track and recount its running periods from the day each started, with the pauses
    already granted: the old deadline is closed and a new one set, both on the timeline. The caller commits."""
    choice = choice_of(case)
    track(name)  # an unknown track is refused before anything changes
    if choice is None or (choice.track or STANDARD) == name:
        return []
    choice.track = name
    events.record(case, EventKind.TRACK_CHANGED, at, payload={"track": name, **reason})
    procedure = procedure_of(case)
    place = where_counted(case, procedure)
    recounted = []
    running = db.session.scalars(
        select(Deadline).where(Deadline.case_id == case.id, Deadline.status == DeadlineStatus.PENDING)
    ).all()
    for old in running:
        timer = procedure.timer(old.timer)
        if timer is None:
            continue
        start = datetime.fromisoformat(old.computation["start"])
        period = on_track(case, timer, start, place).period
        if (period.count, period.unit) == (old.computation.get("count"), old.computation.get("unit")):
            continue
        old.status, old.closed_at = DeadlineStatus.CANCELLED, at
        new = _start(case, procedure, timer, start, place, at, old.computation.get("receipt"))
        pauses = old.computation.get("pauses") or []
        if pauses:
            due = _due(on_track(case, timer, start, place), start, place, pauses)
            new.due_at, new.computation = due.due_at, dict(due.explanation, receipt=old.computation.get("receipt"))
        recounted.append(new)
    return recounted


def _due(timer: Timer, start: datetime, place: "Place", extensions=()):
    return compute_due(
        timer.period,
        start,
        place.time_zone,
        place.calendar,
        roll_forward=place.roll_forward and timer.roll_forward,
        pauses=list(extensions),
    )


class Place:
    """Where a case's periods are counted: time zone, working-day calendar, holiday roll-forward."""

    def __init__(self, time_zone: str, calendar: Calendar | None, roll_forward: bool):
        self.time_zone, self.calendar, self.roll_forward = time_zone, calendar, roll_forward


def where_counted(case: Case, procedure: Procedure) -> Place:
    choice = choice_of(case)
    if choice is None:
        # Cases opened before procedures were chosen per case: the procedure's time zone, weekdays.
        return Place(procedure.time_zone, None, False)
    jurisdiction = jurisdictions.get(choice.jurisdiction)
    calendar = None
    if jurisdiction is not None:
        member = jurisdiction.member_states.get(choice.calendar)
        calendar = member.calendar if member else jurisdiction.calendar
    return Place(choice.time_zone, calendar, choice.roll_forward)


def choice_of(case: Case) -> CaseProcedure | None:
    return case.procedure_choice


def record_choice(case: Case, choice) -> CaseProcedure:
    """Keep the procedure choice with the case: its calendar, time zone and reasons."""
    row = CaseProcedure(
        case=case,
        jurisdiction=choice.jurisdiction.code,
        market=choice.market,
        calendar=choice.calendar.code if choice.calendar else choice.jurisdiction.code,
        time_zone=choice.time_zone,
        roll_forward=choice.roll_forward,
        reasons=choice.reasons,
    )
    db.session.add(row)
    db.session.flush()
    return row


def carry_out(action: str, case: Case, at: datetime) -> None:
    """Announce a rule's entry action; the domain that carries it out does so in this transaction."""
    domain_event, data = ENTRY_ACTIONS[action]
    if domain_event is measures_required and data["measure"] == "restore" and not measures_standing(case):
        # Nothing was taken down under the procedure (JP: the measure waits for the seller's answer):
        # there is nothing to lift, and nobody is told that something was.
        return
    if domain_event is measures_required:
        # The event says under which rule; the platform receives (and confirms) each measure.
        state = procedure_of(case).state(case.state)
        taken = data["measure"] == "take_down"
        # The proportionate measure the notice asked for (not purchasable in named regions, one element removed)
        # stands in for a take-down of every listing everywhere.
        requested = notice_measure(case) if taken else None
        payload: dict = {"listings": [item.locator for item in case.listings], "state": case.state}
        if requested:
            payload["measure"] = requested
        events.record(case, EventKind.MEASURE_TAKEN if taken else EventKind.MEASURE_LIFTED, at, payload=payload)
        ground = f"{case.procedure_code} {case.procedure_version}: {state.citation}"
        domain_event.publish(case, at=at, **data, ground=ground, requested=requested)
        return
    domain_event.publish(case, at=at, **data)


def notice_measure(case: Case) -> dict | None:
    """The measure the case's notice asked for where it asked for one (``check_notice_measure``), else None."""
    notice = next((f for f in case.filings if f.kind == FilingKind.NOTICE), None)
    if notice is None:
        return None
    return dict((notice.terms or {}).get("measure") or {}) or None


def measures_standing(case: Case) -> bool:
    """Whether a measure the procedure took on the listings still stands (taken and not lifted since)."""
    last = db.session.scalar(
        select(Event.kind)
        .where(Event.case_id == case.id, Event.kind.in_([EventKind.MEASURE_TAKEN, EventKind.MEASURE_LIFTED]))
        .order_by(Event.seq.desc())
        .limit(1)
    )
    return last == EventKind.MEASURE_TAKEN


def case_time_zone(case: Case, procedure: Procedure) -> str:
    """The time zone ``where_counted`` gives, without looking up the calendar (a list asks it of every case)."""
    choice = choice_of(case)
    return choice.time_zone if choice is not None else procedure.time_zone


def case_day(case: Case, at: datetime):
    """The date of ``at`` where the case's rules run: the day a rule's effective dates are read on."""
    return at.astimezone(ZoneInfo(case_time_zone(case, procedure_of(case)))).date()


def allowed_transitions(case: Case, roles: set[str], at: datetime) -> list[Transition]:
    """Transitions the holder of ``roles`` may take now that are not triggered by a filing."""
    procedure = procedure_of(case)
    return [t for t in procedure.transitions_from(case.state, case_day(case, at)) if t.roles & roles and t.on_request]


def take_transition(
    case: Case,
    name: str,
    actor: Account | None,
    roles: set[str],
    at: datetime,
    *,
    by_filing: bool = False,
    by_decision: bool = False,
) -> Transition:
    """Take a transition on a participant's request (or, with ``by_filing``, as the effect of a filing; with
    ``by_decision``, as the effect of a reasoned decision its domain recorded)."""
    procedure = procedure_of(case)
    transition = procedure.transition(name)
    if transition is None:
        raise NotAllowed(_("Unknown action %(name)s.", name=name), code="unknown_action")
    if case.state not in transition.sources or not transition.in_force(case_day(case, at)):
        raise NotAllowed(
            _("This action is not possible while the case is in the state “%(state)s”.", state=state_title(case)),
            code="wrong_state",
        )
    if transition.when is not None and CaseRole.SYSTEM not in roles:
        raise NotAllowed(
            _("The platform takes this step by itself when its conditions are met."), code="automatic_step"
        )
    acting = transition.roles & roles
    if not acting:
        raise NotAllowed(_("Your role in this case does not allow this action."), code="wrong_role")
    if transition.filing and not by_filing:
        raise NotAllowed(_("This action is taken by filing a document."), code="needs_filing")
    if transition.decision and not by_decision:
        raise NotAllowed(_("This step is taken by a reasoned decision, with its reasons."), code="needs_decision")
    lapsed = db.session.scalar(
        select(Deadline)
        .where(
            Deadline.case_id == case.id,
            Deadline.status == DeadlineStatus.PENDING,
            Deadline.state == case.state,
            Deadline.due_at < at,
        )
        .order_by(Deadline.due_at)
        .limit(1)
    )
    if lapsed is not None:
        # The period ran out before this step; its consequence is due (the sweep applies it).
        raise NotAllowed(
            _(
                "Too late: the period “%(period)s” for this step ended on %(due)s.",
                period=timer_label(lapsed.timer),
                due=lapsed.due_at.isoformat(),
            ),
            code="deadline_passed",
        )
    for action in transition.actions:
        carry_out(action, case, at)
    enter_state(case, transition.target, at, actor=actor, role=sorted(acting)[0], cause=transition.name)
    return transition


def state_title(case: Case) -> str:
    return state_label(case.state)


@periodic_job("deadline_sweep", "Apply the consequence of every deadline that has run out.")
def sweep_deadlines(now: datetime | None = None, batch: int = 100) -> int:
    """Apply the consequence of every pending deadline that has run out; return how many were applied.

    Reads only what is due, and applies it in batches: one transaction and one commit for up to ``batch``
    consequences, since the commit (a disk flush) is what each consequence cost when it had its own. Each
    deadline is still applied exactly once with several workers: it is claimed with a conditional update
    (pending -> applied) in the transaction of its consequence, and a worker skips what another has claimed
    (on PostgreSQL it does not even wait for them: the due rows are read with SKIP LOCKED).
    """
    now = now or utcnow()
    applied = 0
    while True:
        due = db.session.execute(
            select(Deadline.id, Deadline.case_id)
            .where(Deadline.status == DeadlineStatus.PENDING, Deadline.due_at < now)
            .order_by(Deadline.due_at, Deadline.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        ).all()
        if not due:
            db.session.rollback()  # end the read's transaction (and its row locks)
            return applied
        try:
            applied += _apply_batch([(row.id, row.case_id) for row in due], now)
        except BaseException:
            db.session.rollback()  # nothing of the batch is applied; the next run takes it again
            raise
        commit()


def _apply_batch(due: list[tuple[int, int]], now: datetime) -> int:
    """Apply the consequences of ``due`` (deadline and case ids, in the order they fell due) in the current
    transaction; return how many were applied.

    What each consequence would read alone is read for the batch in one statement each: the first due deadline of
    each case is claimed, the cases are locked, then the ends of their chains read (and, on ``consequences_due``,
    what the domains that follow each change of state read of each case). A case's later deadlines in
    the batch are claimed one by one when their turn comes, as its earlier consequence may cancel them (a case
    that left the state of a period does not lapse it); a consequence touches its own case only, so claiming the
    others' first deadlines ahead changes nothing of what is applied.
    """
    first_of_case: dict[int, int] = {}
    for deadline_id, case_id in due:
        first_of_case.setdefault(case_id, deadline_id)
    claimed = {
        d.id: d for d in db.session.scalars(_CLAIM_MANY, {"deadline_ids": list(first_of_case.values()), "at": now})
    }
    locked = {
        c.id: c for c in db.session.scalars(_lock_cases(), {"case_ids": sorted({d.case_id for d in claimed.values()})})
    }
    events.read_chain_ends(list(locked))
    consequences_due.publish(None, cases=list(locked.values()), at=now)
    applied = 0
    for deadline_id, case_id in due:
        deadline = claimed.get(deadline_id) or db.session.scalar(_CLAIM, {"deadline_id": deadline_id, "at": now})
        if deadline is None:
            continue  # another worker took it, or an earlier consequence in the batch closed it
        case = locked.get(case_id) or db.session.scalars(_lock_cases(), {"case_ids": [case_id]}).one()
        applied += _apply(deadline, case, now)
    return applied


def _apply_one(deadline_id: int, now: datetime) -> int:
    """One deadline in its own transaction (what a worker does with a single due row)."""
    deadline = db.session.scalar(_CLAIM, {"deadline_id": deadline_id, "at": now})
    applied = 0
    if deadline is not None:
        applied = _apply(deadline, db.session.scalars(_lock_cases(), {"case_ids": [deadline.case_id]}).one(), now)
    commit()
    return applied


def _apply(deadline: Deadline, case: Case, now: datetime) -> int:
    """Apply the consequence of a claimed deadline to its locked case in the current transaction; 0 if the case
    has left the deadline's state (the deadline is then cancelled)."""
    if case.state != deadline.state:
        # The case moved on without the timer being closed; nothing to apply.
        deadline.status = DeadlineStatus.CANCELLED
        return 0
    events.record(
        case,
        EventKind.DEADLINE_EXPIRED,
        now,
        payload={"timer": deadline.timer, "due_at": deadline.due_at.isoformat(), "citation": deadline.citation},
    )
    timer = procedure_of(case).timer(deadline.timer)
    lapse_pending(case, deadline, timer, now)
    for action in timer.actions if timer else ():
        carry_out(action, case, deadline.due_at)
    # enter_state cancels the pending deadlines of the old state; this one is already applied.
    enter_state(case, deadline.consequence, now, cause=deadline.timer, clock_start=deadline.due_at)
    return 1


# Built once: every case page and case document reads it (building a statement costs about what sending it does).
_PENDING_DEADLINES = (
    select(Deadline)
    .where(Deadline.case_id == bindparam("case_id"), Deadline.status == DeadlineStatus.PENDING)
    .order_by(Deadline.due_at)
)


def pending_deadlines(case: Case) -> list[Deadline]:
    return list(db.session.scalars(_PENDING_DEADLINES, {"case_id": case.id}))


def extend_deadline(
    case: Case, deadline_id: int, count: int, reason: str, actor: Account, roles: set[str], at: datetime
) -> Deadline:
    """Add time to a running period where its rule allows (a pause or an extension), up to its maximum.

    The due instant is computed again from the original start with all extensions, so the
    explanation stays complete. The caller commits.
    """
    deadline = db.session.scalar(
        select(Deadline).where(Deadline.id == deadline_id, Deadline.case_id == case.id).with_for_update()
    )
    if deadline is None or deadline.status != DeadlineStatus.PENDING:
        raise NotAllowed(_("This deadline is not running."), code="not_running")
    procedure = procedure_of(case)
    timer = procedure.timer(deadline.timer)
    rule = timer.extension if timer else None
    if timer is None or rule is None:
        raise NotAllowed(_("The rule behind this deadline allows no pause or extension."), code="not_extendable")
    if not rule.roles & roles:
        raise NotAllowed(_("Your role in this case does not allow this action."), code="wrong_role")
    if at > deadline.due_at:
        raise NotAllowed(_("This deadline has already passed."), code="deadline_passed")
    taken = sum(int(p["count"]) for p in deadline.computation.get("pauses", []))
    if not isinstance(count, int) or isinstance(count, bool) or count <= 0 or taken + count > rule.max_count:
        raise ValidationFailed(
            _("Add between 1 and %(left)s days.", left=rule.max_count - taken),
            {"count": _("At most %(max)s days in all under %(rule)s.", max=rule.max_count, rule=str(rule.citation))},
        )
    extensions = deadline.computation.get("pauses", []) + [
        {
            "count": count,
            "unit": rule.unit,
            "reason": reason[:500],
            "ordered_at": at.isoformat(),
            "ordered_by": actor.id if actor else None,
        }
    ]
    start = datetime.fromisoformat(deadline.computation["start"])
    place = where_counted(case, procedure)
    due = _due(on_track(case, timer, start, place), start, place, extensions)
    deadline.due_at, deadline.computation = due.due_at, due.explanation
    events.record(
        case,
        EventKind.DEADLINE_EXTENDED,
        at,
        actor=actor,
        role=sorted(rule.roles & roles)[0],
        payload={
            "timer": deadline.timer,
            "count": count,
            "unit": rule.unit,
            "due_at": due.due_at.isoformat(),
            "citation": str(rule.citation),
        },
    )
    return deadline


def order_extension(
    account: Account, case_id: int, deadline_id: int, data: dict, at: datetime | None = None
) -> Deadline:
    """A participant (the mediator, where the rule says so) adds time to a running deadline."""
    case = get_case(account, case_id, for_update=True)
    fields: dict[str, str] = {}
    reason = clean_text(data.get("reason"), fields, "reason", max_length=500)
    count = data.get("count")
    if isinstance(count, str) and count.strip().isdigit():
        count = int(count.strip())
    if not isinstance(count, int) or isinstance(count, bool):
        fields["count"] = _("Enter a whole number of days.")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    try:
        deadline = extend_deadline(case, deadline_id, count, reason, account, case_roles(account, case), at or utcnow())
        commit()
    except BaseException:
        db.session.rollback()
        raise
    return deadline
