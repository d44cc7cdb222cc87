"""The mediator's desk: cases ordered by their next deadline, and each case's timeline.

Deadlines come from every clock that runs in a case: the procedure's timers, the
neutral evaluation's submission and decision dates, and the platform's time to confirm
an agreed measure. A timeline puts past events and these future dates on one axis and
says what happens if nobody acts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache

from sqlalchemy import Integer, bindparam, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from odr.accounts.models import Account, Party
from odr.cases.models import Case, Event
from odr.conduct.services import health_safety_cases
from odr.extensions import db
from odr.extensions import gettext as _
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
from odr.models_base import UTCDateTime, utcnow
from odr.pagination import keyset_list
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
    rows: list[DeskRow]  # the page asked for, in the desk's order (every case when no limit is given)
    counts: dict
    appointments: list
    options: dict
    next_cursor: str | None = None  # the following page; None: the last


DeskKey = tuple[int, datetime, int]  # the desk's order: see ``row_key``


@dataclass(frozen=True)
class _Standing:
    """What the desk's order and counts need of one case: columns and aggregates, no objects."""

    key: DeskKey
    overdue: bool
    due_this_week: bool
    overdue_measures: int
    languages: list[str]


def mediator_desk(
    mediator: Account,
    filters: dict | None = None,
    now: datetime | None = None,
    *,
    limit: int | None = None,
    cursor: str | None = None,
) -> Desk:
    """The mediator's cases, ordered by the next deadline, with overdue and due-this-week marked.

    Every case's place and marks come from one aggregate of its clocks' dates (``_standings``); only the
    ``limit`` rows shown after ``cursor`` are built with their next date's words, so a desk of hundreds of
    cases builds one page of rows. The counts cover every case."""
    now = now or utcnow()
    filters = {k: v for k, v in (filters or {}).items() if v}
    finals = final_states()
    claimant, respondent = aliased(Party), aliased(Party)
    with_pending_measures = select(Measure.case_id).where(Measure.status == MeasureStatus.PENDING)
    on_desk = Case.mediator_id == mediator.id, or_(Case.state.not_in(finals), Case.id.in_(with_pending_measures))
    cases = db.session.execute(
        select(
            Case.id,
            Case.jurisdiction,
            Case.state,
            claimant.preferred_language.label("claimant_language"),
            respondent.preferred_language.label("respondent_language"),
        )
        .join(claimant, Case.claimant_party_id == claimant.id)
        .join(respondent, Case.respondent_party_id == respondent.id)
        .where(*on_desk)
        .order_by(Case.id)
    ).all()
    languages = {c.id: sorted({c.claimant_language, c.respondent_language}) for c in cases}
    options = {
        "jurisdiction": sorted({c.jurisdiction for c in cases}),
        "stage": sorted({c.state for c in cases}),
        "language": sorted({lang for c in cases for lang in languages[c.id]}),
    }
    shown = [
        case
        for case in cases
        if (not filters.get("jurisdiction") or case.jurisdiction == filters["jurisdiction"])
        and (not filters.get("stage") or case.state == filters["stage"])
        and (not filters.get("language") or filters["language"] in languages[case.id])
    ]
    standings = _standings(mediator, shown, languages, finals, now)
    ordered = sorted(standings.values(), key=lambda s: s.key)
    page = (
        keyset_list(ordered, lambda s: s.key, [int, datetime, int], limit=limit, cursor=cursor)
        if limit is not None
        else None
    )
    rows = _rows(page.items if page else ordered, finals)
    appointments = pending_appointments(mediator)
    counts = {
        "open_cases": sum(1 for c in cases if c.state not in finals),
        "awaiting_acceptance": len(appointments),
        "overdue": sum(1 for s in ordered if s.overdue),
        "due_this_week": sum(1 for s in ordered if s.due_this_week),
        "unconfirmed_measures_overdue": sum(s.overdue_measures for s in ordered),
        "workload": open_case_load().get(mediator.id, 0),
    }
    return Desk(
        rows=rows,
        counts=counts,
        appointments=appointments,
        options=options,
        next_cursor=page.next_cursor if page else None,
    )


def _standings(mediator: Account, shown, languages: dict, finals, now: datetime) -> dict[int, _Standing]:
    """Each shown case's place on the desk and its marks, from the earliest date of each of its clocks (the
    clocks ``upcoming_for`` lists) and its measures confirmed late, aggregated by the database in one query."""
    earliest = {
        row.case_id: (row.at, row.late)
        for row in db.session.execute(_earliest_clocks(), {"mediator_id": mediator.id, "now": now})
    }
    fast = health_safety_cases([c.id for c in shown])
    standings = {}
    for c in shown:
        at, late_measures = earliest.get(c.id, (None, 0))
        # A settled or decided case stays on the desk only for its measures: none of its own clocks is due any
        # more, so only a measure the platform confirmed late flags it.
        closed = c.state in finals
        first = None if closed else at
        standings[c.id] = _Standing(
            key=(0 if c.id in fast and not closed else 1, first if first is not None else FAR, c.id),
            overdue=bool(late_measures) if closed else bool(first and first < now),
            due_this_week=bool(first and now <= first < now + WEEK),
            overdue_measures=int(late_measures or 0),
            languages=languages[c.id],
        )
    return standings


@cache
def _earliest_clocks():
    """Per case of a mediator (``:mediator_id``): the earliest date of its clocks and how many of its measures the
    platform has not confirmed by their date (before ``:now``). Built once: only its values change."""
    mediators_cases = select(Case.id).where(Case.mediator_id == bindparam("mediator_id"))
    late = cast(Measure.confirm_by < bindparam("now", type_=UTCDateTime), Integer)
    clocks = union_all(
        select(Deadline.case_id, Deadline.due_at.label("at"), literal(0).label("late")).where(
            Deadline.case_id.in_(mediators_cases), Deadline.status == DeadlineStatus.PENDING
        ),
        *(
            select(NeutralEvaluation.case_id, at, literal(0)).where(
                NeutralEvaluation.case_id.in_(mediators_cases), NeutralEvaluation.status == EvaluationStatus.OPEN
            )
            for at in (NeutralEvaluation.submissions_due_at, NeutralEvaluation.decision_due_at)
        ),
        select(BlindBidding.case_id, BlindBidding.closes_at, literal(0)).where(
            BlindBidding.case_id.in_(mediators_cases), BlindBidding.status == BiddingStatus.OPEN
        ),
        select(Measure.case_id, Measure.confirm_by, late).where(
            Measure.case_id.in_(mediators_cases), Measure.status == MeasureStatus.PENDING
        ),
    ).subquery()
    return select(clocks.c.case_id, func.min(clocks.c.at).label("at"), func.sum(clocks.c.late).label("late")).group_by(
        clocks.c.case_id
    )


def _rows(standings: list[_Standing], finals) -> list[DeskRow]:
    """The rows shown, each with its case and the words of its next date."""
    ids = [s.key[2] for s in standings]
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(ids)))} if ids else {}
    dues = upcoming_for(list(cases.values()))
    return [
        DeskRow(
            case=cases[s.key[2]],
            next_due=dues[s.key[2]][0] if dues[s.key[2]] and cases[s.key[2]].state not in finals else None,
            overdue=s.overdue,
            due_this_week=s.due_this_week,
            overdue_measures=s.overdue_measures,
            languages=s.languages,
            health_safety=s.key[0] == 0,
        )
        for s in standings
    ]


FAR = datetime.max.replace(tzinfo=timezone.utc)


def row_key(row: DeskRow) -> DeskKey:
    """The desk's order: health-and-safety cases first, then the next date of any clock (cases without one
    last), then the case."""
    return (0 if row.health_safety else 1, row.next_due.at if row.next_due else FAR, row.case.id)


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
