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
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import (
    BindParameter,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    extract,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import aliased

from odr.accounts.models import Account, Party
from odr.cases.models import Case, Event, case_reference
from odr.conduct.services import health_safety_fast_track
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
from odr.mediation.services import pending_appointments
from odr.models_base import utcnow
from odr.pagination import RowId, keyset_list
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import final_states
from odr.procedure.titles import state_label, timer_label
from odr.vocabulary import event_label, per_locale

WEEK = timedelta(days=7)


@dataclass
class Due:
    at: datetime
    label: str
    consequence: str
    citation: str = ""


# The clocks a case may have running, in the order ``upcoming`` lists two that fall due at the same instant.
DEADLINE, SUBMISSIONS, DECISION, BIDDING, MEASURE = range(5)


@cache
def _clocks(of: str):
    """Every running clock of some cases, one row each: its case, date, kind (``clock``), row id (``seq``) and what
    its words need. Of the cases of ``:mediator_id`` (``of="mediator"``) or of ``:case_ids`` (``of="cases"``), in
    one query however many kinds of clock there are. Built once: only its values change."""
    cases: Select | BindParameter = (
        select(Case.id).where(Case.mediator_id == bindparam("mediator_id"))
        if of == "mediator"
        else bindparam("case_ids", expanding=True)
    )
    return union_all(
        select(
            Deadline.case_id,
            Deadline.due_at.label("at"),
            literal(DEADLINE).label("clock"),
            Deadline.id.label("seq"),
            Deadline.timer,
            Deadline.consequence,
            Deadline.citation,
            cast(null(), String).label("measure"),
        ).where(Deadline.case_id.in_(cases), Deadline.status == DeadlineStatus.PENDING),
        *(
            select(
                NeutralEvaluation.case_id, at, literal(clock), NeutralEvaluation.id, null(), null(), null(), null()
            ).where(NeutralEvaluation.case_id.in_(cases), NeutralEvaluation.status == EvaluationStatus.OPEN)
            for clock, at in (
                (SUBMISSIONS, NeutralEvaluation.submissions_due_at),
                (DECISION, NeutralEvaluation.decision_due_at),
            )
        ),
        select(
            BlindBidding.case_id,
            BlindBidding.closes_at,
            literal(BIDDING),
            BlindBidding.id,
            null(),
            null(),
            null(),
            null(),
        ).where(BlindBidding.case_id.in_(cases), BlindBidding.status == BiddingStatus.OPEN),
        select(
            Measure.case_id,
            Measure.confirm_by,
            literal(MEASURE),
            Measure.id,
            null(),
            null(),
            null(),
            type_coerce(Measure.kind, String),
        ).where(Measure.case_id.in_(cases), Measure.status == MeasureStatus.PENDING),
    )


def _soonest(clock) -> tuple:
    return (clock.at, clock.clock, clock.seq)


@per_locale
def _if_nobody_acts(state: str) -> str:
    """What a deadline's end does, worded once per stage it leads to (a desk lists hundreds of deadlines)."""
    return _("If nobody acts, the case moves to: %(state)s.", state=state_label(state))


def _due(clock) -> Due:
    """A clock's date with what happens if nobody acts by then, in the reader's words."""
    if clock.clock == DEADLINE:
        return Due(clock.at, timer_label(clock.timer), _if_nobody_acts(clock.consequence), clock.citation)
    if clock.clock == SUBMISSIONS:
        return Due(
            clock.at,
            _("Neutral evaluation: submissions close"),
            _("A side that has not submitted is evaluated on what the other side filed."),
        )
    if clock.clock == DECISION:
        return Due(
            clock.at,
            _("Neutral evaluation: decision due"),
            _("If the neutral has not decided, the mediator is alerted on the desk."),
        )
    if clock.clock == BIDDING:
        return Due(
            clock.at,
            _("Blind bidding closes"),
            _("If the bids have not met by then, bidding ends without settlement and no bid is revealed."),
        )
    return Due(
        clock.at,
        _("Platform to confirm: %(measure)s", measure=measure_title(clock.measure)),
        _("If the platform has not confirmed, the measure is flagged as overdue."),
    )


def upcoming(case: Case) -> list[Due]:
    """Every future date of a case with what happens if nobody acts by then, soonest first."""
    clocks = db.session.execute(_clocks("cases"), {"case_ids": [case.id]}).all()
    return [_due(clock) for clock in sorted(clocks, key=_soonest)]


class DeskCase(NamedTuple):
    """What the desk shows of a case: its columns, not the case as an object (a desk lists hundreds)."""

    id: int
    reference: str
    title: str
    jurisdiction: str
    state: str


@dataclass
class DeskRow:
    case: DeskCase
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


class _CaseColumns(NamedTuple):
    """A row of ``_desk_cases``. The desk reads its rows into these, and its clocks into ``_Clock``s: a row's
    attribute costs SQLAlchemy about half a microsecond (it looks for the name on the row's class first), a tuple's
    a few dozen nanoseconds, and a desk reads thousands of them."""

    id: int
    year: int
    title: str
    jurisdiction: str
    state: str
    claimant_language: str
    respondent_language: str
    health_safety: bool


class _Clock(NamedTuple):
    """A row of ``_clocks``."""

    case_id: int
    at: datetime
    clock: int
    seq: int
    timer: str | None
    consequence: str | None
    citation: str | None
    measure: str | None


class _Standing(NamedTuple):
    """What the desk's order and counts need of one case, and what its row is built from if it is shown."""

    key: DeskKey
    case: _CaseColumns
    soonest: _Clock | None  # its clock due first; None once the case is closed or without clocks
    overdue: bool
    due_this_week: bool
    overdue_measures: int
    languages: list[str]


_key = itemgetter(0)  # a standing's place on the desk


@cache
def _desk_cases():
    """The cases on the desk of ``:mediator_id`` with the columns its rows show, their parties' languages and
    whether they are on the health-and-safety fast track: every case of the mediator not in a final state
    (``:finals``), and the others while a measure waits for the platform. Built once: only its values change."""
    claimant, respondent = aliased(Party), aliased(Party)
    with_pending_measures = select(Measure.case_id).where(Measure.status == MeasureStatus.PENDING)
    return (
        select(
            Case.id,
            # The year its reference names, not the instant: no instant of the cases is shown.
            cast(extract("year", Case.created_at), Integer).label("year"),
            Case.title,
            Case.jurisdiction,
            Case.state,
            claimant.preferred_language.label("claimant_language"),
            respondent.preferred_language.label("respondent_language"),
            Case.id.in_(health_safety_fast_track()).label("health_safety"),
        )
        .join(claimant, Case.claimant_party_id == claimant.id)
        .join(respondent, Case.respondent_party_id == respondent.id)
        .where(
            Case.mediator_id == bindparam("mediator_id"),
            or_(Case.state.not_in(bindparam("finals", expanding=True)), Case.id.in_(with_pending_measures)),
        )
        .order_by(Case.id)
    )


def mediator_desk(
    mediator: Account,
    filters: dict | None = None,
    now: datetime | None = None,
    *,
    limit: int | None = None,
    cursor: str | None = None,
) -> Desk:
    """The mediator's cases, ordered by the next deadline, with overdue and due-this-week marked.

    Two queries read the desk: its cases with their columns, and every running clock of the mediator's cases;
    each case's place and marks come from its clocks (``_standing``), and only the ``limit`` rows shown after
    ``cursor`` are built with their next date's words, so a desk of hundreds of cases builds one page of rows.
    The counts cover every case."""
    now = now or utcnow()
    filters = {k: v for k, v in (filters or {}).items() if v}
    finals = final_states()
    # Plain rows of columns through the session's connection: the ORM's result machinery has nothing to add to them.
    read = db.session.connection().execute
    cases = list(
        map(_CaseColumns._make, read(_desk_cases(), {"mediator_id": mediator.id, "finals": sorted(finals)}).all())
    )
    clocks: dict[int, list[_Clock]] = {}
    late: dict[int, int] = {}  # per case, its measures the platform has not confirmed by their date
    for clock in map(_Clock._make, read(_clocks("mediator"), {"mediator_id": mediator.id}).all()):
        clocks.setdefault(clock.case_id, []).append(clock)
        if clock.clock == MEASURE and clock.at < now:
            late[clock.case_id] = late.get(clock.case_id, 0) + 1
    jurisdiction, stage, language = filters.get("jurisdiction"), filters.get("stage"), filters.get("language")
    # One pass over the cases (hundreds of them): the filters' options, then each shown case's standing.
    options: dict[str, set] = {"jurisdiction": set(), "stage": set(), "language": set()}
    sorted_pairs: dict[tuple, list[str]] = {}  # the parties' languages, sorted once per pair of languages
    ordered = []
    for case in cases:
        pair = (case.claimant_language, case.respondent_language)
        languages = sorted_pairs.get(pair)
        if languages is None:
            languages = sorted_pairs[pair] = sorted(set(pair))
            options["language"].update(pair)
        options["jurisdiction"].add(case.jurisdiction)
        options["stage"].add(case.state)
        if (
            (not jurisdiction or case.jurisdiction == jurisdiction)
            and (not stage or case.state == stage)
            and (not language or language in languages)
        ):
            ordered.append(
                _standing(case, clocks.get(case.id), late.get(case.id, 0), languages, case.state in finals, now)
            )
    ordered.sort(key=_key)
    page = keyset_list(ordered, _key, [int, datetime, RowId], limit=limit, cursor=cursor) if limit is not None else None
    rows = [_row(s) for s in (page.items if page else ordered)]
    appointments = pending_appointments(mediator)
    open_cases = sum(1 for c in cases if c.state not in finals)
    counts = {
        "open_cases": open_cases,
        "awaiting_acceptance": len(appointments),
        "overdue": sum(1 for s in ordered if s.overdue),
        "due_this_week": sum(1 for s in ordered if s.due_this_week),
        "unconfirmed_measures_overdue": sum(s.overdue_measures for s in ordered),
        # The mediator's own ``open_case_load``, from the rows read above: its open cases and the appointments
        # awaiting its answer.
        "workload": open_cases + len(appointments),
    }
    return Desk(
        rows=rows,
        counts=counts,
        appointments=appointments,
        options={name: sorted(values) for name, values in options.items()},
        next_cursor=page.next_cursor if page else None,
    )


def _standing(
    case: _CaseColumns, clocks: list[_Clock] | None, late: int, languages: list[str], closed: bool, now: datetime
) -> _Standing:
    """A case's place on the desk and its marks, from the earliest of its clocks and its measures confirmed late.

    A settled or decided case stays on the desk only for its measures: none of its own clocks is due any more,
    so only a measure the platform confirmed late flags it."""
    soonest = None if closed or not clocks else clocks[0] if len(clocks) == 1 else min(clocks, key=_soonest)
    first = soonest.at if soonest is not None else None
    return _Standing(
        (0 if case.health_safety and not closed else 1, first if first is not None else FAR, case.id),
        case,
        soonest,
        bool(late) if closed else first is not None and first < now,
        first is not None and now <= first < now + WEEK,
        late,
        languages,
    )


def _row(standing: _Standing) -> DeskRow:
    """A row shown, with its case's columns and the words of its next date."""
    c = standing.case
    return DeskRow(
        case=DeskCase(c.id, case_reference(c.year, c.id), c.title, c.jurisdiction, c.state),
        next_due=_due(standing.soonest) if standing.soonest is not None else None,
        overdue=standing.overdue,
        due_this_week=standing.due_this_week,
        overdue_measures=standing.overdue_measures,
        languages=standing.languages,
        health_safety=standing.key[0] == 0,
    )


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
