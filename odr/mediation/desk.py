"""The mediator's desk: cases ordered by their next deadline, and each case's timeline.

Deadlines come from every clock that runs in a case: the procedure's timers, the
neutral evaluation's submission and decision dates, and the platform's time to confirm
an agreed measure. A timeline puts past events and these future dates on one axis and
says what happens if nobody acts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from odr.accounts.models import Account
from odr.cases.models import Case, Event
from odr.conduct.services import queue_marks
from odr.extensions import db
from odr.mediation.measures import measure_title
from odr.mediation.models import (
    BiddingStatus,
    BlindBidding,
    EvaluationStatus,
    Measure,
    MeasureStatus,
    NeutralEvaluation,
)
from odr.mediation.services import open_case_load, pending_appointments
from odr.models_base import utcnow
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import final_states
from odr.procedure.titles import state_label, timer_label
from odr.vocabulary import event_label

WEEK = timedelta(days=7)


@dataclass
class Due:
    at: datetime
    label: str
    consequence: str
    citation: str = ""


def upcoming(case: Case) -> list[Due]:
    """Every future date of a case with what happens if nobody acts by then, soonest first."""
    return upcoming_for([case])[case.id]


def upcoming_for(cases: list[Case]) -> dict[int, list[Due]]:
    """``upcoming`` for many cases at once: one query per kind of clock, however many cases."""
    ids = [c.id for c in cases]
    dues: dict[int, list[Due]] = {case_id: [] for case_id in ids}
    if not ids:
        return dues
    # What a deadline's end does, worded once per stage it leads to (the desk lists hundreds of deadlines).
    moves_to: dict[str, str] = {}
    # The columns a Due shows, not the deadlines as objects (hundreds of them on a busy desk).
    for d in db.session.execute(
        select(Deadline.case_id, Deadline.due_at, Deadline.timer, Deadline.consequence, Deadline.citation)
        .where(Deadline.case_id.in_(ids), Deadline.status == DeadlineStatus.PENDING)
        .order_by(Deadline.due_at, Deadline.id)
    ):
        if d.consequence not in moves_to:
            moves_to[d.consequence] = _(
                "If nobody acts, the case moves to: %(state)s.", state=state_label(d.consequence)
            )
        dues[d.case_id].append(Due(d.due_at, timer_label(d.timer), moves_to[d.consequence], d.citation))
    for evaluation in db.session.scalars(
        select(NeutralEvaluation).where(
            NeutralEvaluation.case_id.in_(ids), NeutralEvaluation.status == EvaluationStatus.OPEN
        )
    ):
        dues[evaluation.case_id].append(
            Due(
                evaluation.submissions_due_at,
                _("Neutral evaluation: submissions close"),
                _("A side that has not submitted is evaluated on what the other side filed."),
            )
        )
        dues[evaluation.case_id].append(
            Due(
                evaluation.decision_due_at,
                _("Neutral evaluation: decision due"),
                _("If the neutral has not decided, the mediator is alerted on the desk."),
            )
        )
    for b in db.session.scalars(
        select(BlindBidding).where(BlindBidding.case_id.in_(ids), BlindBidding.status == BiddingStatus.OPEN)
    ):
        dues[b.case_id].append(
            Due(
                b.closes_at,
                _("Blind bidding closes"),
                _("If the bids have not met by then, bidding ends without settlement and no bid is revealed."),
            )
        )
    for m in _pending_measures(ids):
        dues[m.case_id].append(
            Due(
                m.confirm_by,
                _("Platform to confirm: %(measure)s", measure=measure_title(m.kind.value)),
                _("If the platform has not confirmed, the measure is flagged as overdue."),
            )
        )
    return {case_id: sorted(items, key=lambda d: d.at) for case_id, items in dues.items()}


def _pending_measures(case_ids: list[int]) -> list[Measure]:
    return list(
        db.session.scalars(
            select(Measure)
            .where(Measure.case_id.in_(case_ids), Measure.status == MeasureStatus.PENDING)
            .order_by(Measure.id)
        )
    )


@dataclass
class DeskRow:
    case: Case
    next_due: Due | None
    overdue: bool
    due_this_week: bool
    overdue_measures: int
    languages: list[str] = field(default_factory=list)
    health_safety: bool = False  # on the health-and-safety fast track: first on the desk


@dataclass
class Desk:
    rows: list[DeskRow]
    counts: dict
    appointments: list
    options: dict


def mediator_desk(mediator: Account, filters: dict | None = None, now: datetime | None = None) -> Desk:
    """The mediator's cases, ordered by the next deadline, with overdue and due-this-week marked."""
    now = now or utcnow()
    filters = {k: v for k, v in (filters or {}).items() if v}
    with_pending_measures = select(Measure.case_id).where(Measure.status == MeasureStatus.PENDING)
    cases = list(
        db.session.scalars(
            select(Case)
            .where(
                Case.mediator_id == mediator.id,
                or_(Case.state.not_in(final_states()), Case.id.in_(with_pending_measures)),
            )
            .options(joinedload(Case.claimant), joinedload(Case.respondent))
            .order_by(Case.id)
        )
    )
    options = {
        "jurisdiction": sorted({c.jurisdiction for c in cases}),
        "stage": sorted({c.state for c in cases}),
        "language": sorted({lang for c in cases for lang in _languages(c)}),
    }
    shown = [
        case
        for case in cases
        if (not filters.get("jurisdiction") or case.jurisdiction == filters["jurisdiction"])
        and (not filters.get("stage") or case.state == filters["stage"])
        and (not filters.get("language") or filters["language"] in _languages(case))
    ]
    # Every clock of every shown case in one query per kind of clock, not a round of queries per case.
    dues = upcoming_for(shown)
    late_measures: dict[int, int] = {}
    for m in _pending_measures([c.id for c in shown]):
        if m.confirm_by < now:
            late_measures[m.case_id] = late_measures.get(m.case_id, 0) + 1
    rows = []
    finals = final_states()
    fast, _scores = queue_marks([c.id for c in shown])
    for case in shown:
        # A settled or decided case stays on the desk only for its measures: none of its own clocks is due any
        # more, so only a measure the platform confirmed late flags it.
        closed = case.state in finals
        first = dues[case.id][0] if dues[case.id] and not closed else None
        rows.append(
            DeskRow(
                case=case,
                next_due=first,
                overdue=bool(late_measures.get(case.id)) if closed else bool(first and first.at < now),
                due_this_week=bool(first and now <= first.at < now + WEEK),
                overdue_measures=late_measures.get(case.id, 0),
                languages=_languages(case),
                health_safety=case.id in fast and not closed,
            )
        )
    rows.sort(key=row_key)
    appointments = pending_appointments(mediator)
    counts = {
        "open_cases": sum(1 for c in cases if c.state not in final_states()),
        "awaiting_acceptance": len(appointments),
        "overdue": sum(1 for r in rows if r.overdue),
        "due_this_week": sum(1 for r in rows if r.due_this_week),
        "unconfirmed_measures_overdue": sum(r.overdue_measures for r in rows),
        "workload": open_case_load().get(mediator.id, 0),
    }
    return Desk(rows=rows, counts=counts, appointments=appointments, options=options)


FAR = datetime.max.replace(tzinfo=timezone.utc)


def row_key(row: DeskRow) -> tuple[int, datetime, int]:
    """The desk's order: health-and-safety cases first, then the next date of any clock (cases without one
    last), then the case."""
    return (0 if row.health_safety else 1, row.next_due.at if row.next_due else FAR, row.case.id)


def _languages(case: Case) -> list[str]:
    return sorted({case.claimant.preferred_language, case.respondent.preferred_language})


@dataclass
class Entry:
    at: datetime
    future: bool
    label: str
    detail: str = ""
    role: str = ""


def timeline(case: Case, now: datetime | None = None) -> list[Entry]:
    """Past events and future deadlines of a case on one axis, oldest first.

    Events carry no confidential content (caucus messages and blind bids leave only a
    content-free trace), so every reader of the case may see all of them.
    """
    now = now or utcnow()
    entries = [
        Entry(e.created_at, False, event_label(e.kind), _event_detail(e), e.actor_case_role)
        for e in db.session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq))
    ]
    # An obligation whose date has passed is still outstanding: it stands at "now", marked overdue.
    entries += [
        Entry(d.at, True, d.label, d.consequence)
        if d.at >= now
        else Entry(now, True, _("Overdue: %(what)s", what=d.label), d.consequence)
        for d in upcoming(case)
    ]
    return sorted(entries, key=lambda e: (e.at, e.future))


def _event_detail(event: Event) -> str:
    p = event.payload or {}
    if event.kind == "state_changed":
        return f"{state_label(p.get('from', ''))} → {state_label(p.get('to', ''))}"
    if event.kind == "deadline_set":
        return _(
            "%(timer)s: moves to %(state)s",
            timer=timer_label(p.get("timer", "")),
            state=state_label(p.get("consequence", "")),
        )
    if event.kind == "blind_bidding_settled":
        return f"{p.get('amount')} {p.get('currency')}"
    if event.kind == "blind_bid_submitted":
        return _("Round %(round)s", round=p.get("round"))
    return ""
