"""What to do next: every pending obligation of one reader, most urgent first.

An obligation is a move that falls on the reader: a period of the procedure that waits for one of
the reader's case roles (``awaits`` of a timer in ``rules/``), a stage no one but the reader can end
(the court's decision), a settlement proposal the reader may still accept, a mediator's appointment
awaiting an answer, measures a platform has not confirmed. Each says by when, what the reader may do
(alternatives, worded as choices: one of them is enough) and what happens if nobody acts.

The same list feeds the dashboard, the top of the case page and ``GET /api/v1/todo``. It reads the
rules the services enforce (``allowed_transitions``, ``check_may_accept``, ``check_may_decide``), so it
offers exactly what they would accept.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import partial
from typing import TypeVar

from babel.lists import format_list
from flask_babel import get_locale
from sqlalchemy import Select, and_, func, or_, select, type_coerce
from sqlalchemy.orm import selectinload

from odr.accounts.models import Account, Role
from odr.cases.access import case_roles, visible_cases
from odr.cases.models import Case, Filing, FilingKind
from odr.cases.services import check_may_accept, current_settlement
from odr.errors import ServiceError
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.i18n import list_format
from odr.mediation.measures import measure_title
from odr.mediation.models import AppointmentStatus, Measure, MeasureStatus, MediatorAppointment
from odr.models_base import utcnow
from odr.pagination import DEFAULT_LIMIT, Micros, Page, RowId, decode_cursor, encode_cursor
from odr.procedure.engine import Procedure, Timer
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import case_day, case_time_zone, final_states, procedure_of, procedures
from odr.procedure.titles import action_label, state_label, timer_label
from odr.vocabulary import PARTY_ROLES, CaseRole, case_role_label

T = TypeVar("T")

# What each entry action of a rule does, said to the people it happens to.
ACTION_CONSEQUENCES = {
    "take_measures": _l("the listings are taken down"),
    "lift_measures": _l("the listings are put back online"),
    "export_to_court": _l("the case is sent to the court"),
    "statement_of_reasons": _l("the seller receives a statement of reasons"),
}
# Filings open in a stage, as choices of a party.
FILING_CHOICES = {
    FilingKind.OFFER.value: _l("Make an offer"),
    FilingKind.SETTLEMENT.value: _l("Propose a settlement"),
}


@dataclass(frozen=True)
class Choice:
    """One thing the reader may do about an obligation; any one of an obligation's choices is enough."""

    kind: str  # "filing" (a filing of that kind), "step" (a transition on request), "report", "accept_settlement",
    # "accept_appointment", "decline_appointment", "court_decision", "confirm_measure"
    name: str  # the filing kind, the transition, the appointment or measure id
    label: str

    def as_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "label": self.label}


@dataclass(frozen=True)
class Obligation:
    case_id: int
    reference: str
    title: str
    kind: str  # "procedure", "settlement", "court_decision", "appointment", "measures"
    role: str  # the reader's case role it falls on
    heading: str  # what is due, in the reader's language
    choices: tuple[Choice, ...]
    due_at: datetime | None
    time_zone: str | None  # of the governing rules, shown beside the reader's own
    if_nobody_acts: str  # a sentence in the reader's language
    consequence_state: str | None = None  # where the case moves if nobody acts (None: it stays)
    consequence_actions: tuple[str, ...] = ()
    deadline_id: int | None = None

    @property
    def choice_labels(self) -> str:
        """The choices as one phrase, the way the reader's language offers alternatives ("A, B or C")."""
        return format_list([c.label for c in self.choices], style="or", locale=get_locale())

    def as_json(self) -> dict:
        return {
            "case_id": self.case_id,
            "case_reference": self.reference,
            "kind": self.kind,
            "role": self.role,
            "heading": self.heading,
            "choices": [c.as_json() for c in self.choices],
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "time_zone": self.time_zone,
            "if_nobody_acts": {
                "text": self.if_nobody_acts,
                "state": self.consequence_state,
                "actions": list(self.consequence_actions),
            },
            "deadline_id": self.deadline_id,
        }


@dataclass(frozen=True)
class Waiting:
    """A running period that waits for someone else: whose move it is, by when, and what then."""

    roles: tuple[str, ...]
    heading: str
    due_at: datetime
    time_zone: str | None
    if_nobody_acts: str

    @property
    def whose(self) -> str:
        return list_format([case_role_label(r) for r in self.roles])


@dataclass(frozen=True)
class CaseNext:
    """The top of a case page: the reader's obligations in this case, and the periods that wait for others."""

    mine: list[Obligation]
    others: list[Waiting] = field(default_factory=list)


def urgency(obligation: Obligation) -> tuple[int, int, int, str, int]:
    """Most urgent first, no deadline last; then by case (the order they were filed in): one order for every
    obligation, so a list of them is paged by it (a cursor carries this key, with URGENCY_TYPES)."""
    due = obligation.due_at
    return (
        int(due is None),
        _instant(due) if due else 0,
        obligation.case_id,
        obligation.kind,
        obligation.deadline_id or 0,
    )


URGENCY_TYPES = (int, Micros, RowId, str, RowId)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def consequence(procedure: Procedure, timer: Timer | None, target: str) -> tuple[str, tuple[str, ...]]:
    """What happens when a period runs out: the sentence, and the actions the rules carry out."""
    actions = tuple(timer.actions if timer else ()) + tuple(
        procedure.states[target].on_enter if target in procedure.states else ()
    )
    parts = [_("the case moves to “%(state)s”", state=state_label(target))]
    parts += [str(ACTION_CONSEQUENCES[a]) for a in actions if a in ACTION_CONSEQUENCES]
    return _("If nobody acts by then: %(what)s.", what=list_format(parts)), actions


def _choices(case: Case, procedure: Procedure, roles: set[str], day: date, proposal_open: bool) -> list[Choice]:
    """What these roles may do in the case's stage on ``day`` (where its rules run): accept the proposal on the
    table, the filings that move the case, the stage's offers, then the steps on request."""
    moves = [t for t in procedure.transitions_from(case.state, day) if t.roles & roles and not t.when]
    choices = [Choice("accept_settlement", "", _("Accept the settlement proposal"))] if proposal_open else []
    # A report (CN Art. 43(2)) is filed with its document on its own form, by step.
    choices += [
        Choice("report", t.name, action_label(t.name)) if t.report else Choice("filing", t.filing, action_label(t.name))
        for t in moves
        if t.filing
    ]
    if roles & PARTY_ROLES:
        choices += [
            Choice("filing", kind, str(FILING_CHOICES[kind]))
            for kind in procedure.filings_allowed(case.state)
            if kind in FILING_CHOICES
        ]
    choices += [Choice("step", t.name, action_label(t.name)) for t in moves if t.on_request]
    return choices


def _may_accept(account: Account, case: Case, roles: set[str], at: datetime, proposal: Filing | None) -> bool:
    if not roles & PARTY_ROLES:
        return False
    if proposal is None:
        return False
    try:
        check_may_accept(account, case, proposal, roles, at)
    except ServiceError:
        return False
    return True


ROLE_ORDER = (CaseRole.RESPONDENT, CaseRole.CLAIMANT, CaseRole.MEDIATOR, CaseRole.COURT, CaseRole.ADMIN)


def _reader_role(roles: set[str], wanted) -> str:
    """The reader's case role an obligation falls on (a party first)."""
    return next((r.value for r in ROLE_ORDER if r in roles and r in wanted), "")


CURRENT = object()  # read the case's current settlement proposal from its filings


def _once(memo: dict | None, key: tuple, compute: Callable[[], T]) -> T:
    """What ``compute`` gives, computed once per ``key`` while ``memo`` lives (None: computed each time)."""
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def case_obligations(
    account: Account,
    case: Case,
    roles: set[str],
    deadlines: list[Deadline],
    at: datetime,
    proposal=CURRENT,
    memo: dict | None = None,
) -> CaseNext:
    """The reader's obligations in one case (given its pending deadlines and, if known, its current settlement
    proposal), and the periods waiting for others.

    ``memo``: shared by the cases of one list, so that what depends only on the rules (a stage's choices for
    these roles, what happens when a period runs out) is worded once per rule, not once per case."""
    if case.state in _once(memo, ("final",), final_states):
        return CaseNext([])
    procedure = procedure_of(case)
    zone = case_time_zone(case, procedure)
    day = case_day(case, at)
    proposal_open = _may_accept(account, case, roles, at, current_settlement(case) if proposal is CURRENT else proposal)
    mine: list[Obligation] = []
    others: list[Waiting] = []
    for deadline in deadlines:
        if deadline.state != case.state:
            continue
        rules = procedures().get(deadline.procedure_code, deadline.procedure_version)
        timer = rules.timer(deadline.timer)
        if_nobody, actions = _once(
            memo,
            ("consequence", rules.code, rules.version, deadline.timer, deadline.consequence),
            partial(consequence, rules, timer, deadline.consequence),
        )
        awaits = timer.awaits if timer else frozenset()
        heading = timer_label(deadline.timer)
        if awaits & roles:
            choices = _once(
                memo,
                ("choices", procedure.code, procedure.version, case.state, day, frozenset(roles), proposal_open),
                lambda: _choices(case, procedure, roles, day, proposal_open),
            )
            if choices:
                mine.append(
                    Obligation(
                        case_id=case.id,
                        reference=case.reference,
                        title=case.title,
                        kind="procedure",
                        role=_reader_role(roles, awaits),
                        heading=heading,
                        choices=tuple(choices),
                        due_at=deadline.due_at,
                        time_zone=zone,
                        if_nobody_acts=if_nobody,
                        consequence_state=deadline.consequence,
                        consequence_actions=actions,
                        deadline_id=deadline.id,
                    )
                )
                continue
        others.append(
            Waiting(
                roles=tuple(sorted(awaits)),
                heading=heading,
                due_at=deadline.due_at,
                time_zone=zone,
                if_nobody_acts=if_nobody,
            )
        )
    if not mine and proposal_open:
        # A proposal that waits for the reader's acceptance, with no period awaiting the reader.
        first = min(deadlines, key=lambda d: d.due_at, default=None)
        mine.append(
            Obligation(
                case_id=case.id,
                reference=case.reference,
                title=case.title,
                kind="settlement",
                role=_reader_role(roles, PARTY_ROLES),
                heading=_("A settlement proposal awaits your answer"),
                choices=tuple(_choices(case, procedure, roles, day, True)),
                due_at=first.due_at if first else None,
                time_zone=zone,
                if_nobody_acts=others[0].if_nobody_acts if others else _("If nobody acts, the case stays as it is."),
                deadline_id=first.id if first else None,
            )
        )
    if not mine and not deadlines:
        # A stage with no running period that only the reader can end (the court's decision).
        moves = [t for t in procedure.transitions_from(case.state, day) if not t.when]
        if moves and all(t.roles & roles for t in moves):
            kind = "court_decision" if any(t.filing == FilingKind.DECISION.value for t in moves) else "procedure"
            choices = [
                Choice("court_decision", "", action_label(t.name))
                if t.filing == FilingKind.DECISION.value
                else Choice("report", t.name, action_label(t.name))
                if t.report
                else Choice("filing" if t.filing else "step", t.filing or t.name, action_label(t.name))
                for t in moves
            ]
            mine.append(
                Obligation(
                    case_id=case.id,
                    reference=case.reference,
                    title=case.title,
                    kind=kind,
                    role=_reader_role(roles, {r for t in moves for r in t.roles}),
                    heading=_("The case waits for your decision")
                    if kind == "court_decision"
                    else _("The case waits for you"),
                    choices=tuple(choices),
                    due_at=None,
                    time_zone=zone,
                    if_nobody_acts=_(
                        "If nobody acts, the case stays in the stage “%(state)s”.", state=state_label(case.state)
                    ),
                )
            )
    return CaseNext(sorted(mine, key=urgency), sorted(others, key=lambda w: w.due_at))


def _pending_by_case(case_ids: list[int]) -> dict[int, list[Deadline]]:
    found: dict[int, list[Deadline]] = defaultdict(list)
    if case_ids:
        for deadline in db.session.scalars(
            select(Deadline)
            .where(Deadline.case_id.in_(case_ids), Deadline.status == DeadlineStatus.PENDING)
            # Case first: the order of the index on (case_id, status, due_at), which then needs no sort. By due_at
            # alone, SQLite walked the index on (status, due_at) through every pending deadline of the platform.
            .order_by(Deadline.case_id, Deadline.due_at)
        ):
            found[deadline.case_id].append(deadline)
    return found


def _proposals_by_case(case_ids: list[int]) -> dict[int, Filing]:
    """Each case's current settlement proposal (its latest), with its acceptances, in one query each."""
    found: dict[int, Filing] = {}
    if case_ids:
        for filing in db.session.scalars(
            select(Filing)
            .where(Filing.case_id.in_(case_ids), Filing.kind == FilingKind.SETTLEMENT)
            .options(selectinload(Filing.acceptances))
            .order_by(Filing.id)  # as Case.filings: the last one is the current proposal
        ):
            found[filing.case_id] = filing
    return found


# The most cases whose obligations are worked out at a time while a page of them is gathered.
WALK_BATCH = 400


def _instant(due: datetime) -> int:
    """An instant as whole microseconds: how an obligation's key carries its deadline."""
    return round(due.timestamp() * 1_000_000)


def _open_cases_by_first_due(account: Account, after: tuple | None) -> Select:
    """The account's open cases with the first instant at which one of them may have an obligation after ``after``
    (their earliest pending deadline due no earlier than the one ``after`` names; NULL: a case with no pending
    deadline), in that order, NULL last, then by id: the order of ``urgency`` up to the case."""
    pending = (Deadline.case_id == Case.id, Deadline.status == DeadlineStatus.PENDING)
    first = select(func.min(Deadline.due_at)).where(*pending)
    if after is not None and not after[0]:
        # One microsecond early: the key's microseconds are rounded, and a case read too many is only filtered out.
        first = first.where(Deadline.due_at >= EPOCH + timedelta(microseconds=after[1] - 1))
    # Each case's own earliest deadline, from the index on (case_id, status, due_at): a plan that needs no statistics.
    due = type_coerce(first.scalar_subquery(), Deadline.due_at.type)  # min() loses the UTC type on some engines
    query = (
        visible_cases(account)
        .where(Case.state.not_in(final_states()))
        .add_columns(due)
        .options(selectinload(Case.procedure_choice))
        # NULLS LAST rather than ordering by ``due IS NULL`` first: the earliest deadline is then looked up once a
        # case, for the column and the order both (PostgreSQL ran the subquery twice, once for each expression).
        .order_by(due.asc().nulls_last(), Case.id)
    )
    if after is not None:
        # Only a case with no pending deadline has obligations without one (a decision it waits for, a proposal).
        undated = ~select(Deadline.id).where(*pending).exists()
        query = query.where(and_(undated, Case.id >= after[2]) if after[0] else or_(due.is_not(None), undated))
    return query


def obligations(
    account: Account, now: datetime | None = None, *, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> Page[Obligation]:
    """Every pending obligation of the account, most urgent first (no deadline last), a page at a time: the ``limit``
    after ``cursor`` (the key of the previous page's last one; None: the first page).

    An obligation's deadline is one of its case's pending deadlines, so no obligation of a case comes before the
    case's earliest one. The open cases are therefore read in the order of that deadline, a batch at a time, and
    an obligation gathered is in its place once it comes before the next case still unread: a page reads as many
    cases as it needs, whatever the number of cases the account has."""
    after = decode_cursor(cursor, URGENCY_TYPES)
    key = tuple(after) if after is not None else None
    now = now or utcnow()
    found: list[Obligation] = []
    if account.role == Role.MEDIATOR:
        found += _appointments(account)
    if account.role == Role.PLATFORM_CLIENT:
        found += _measures()
    found = [o for o in found if key is None or urgency(o) > key]
    query = _open_cases_by_first_due(account, key)
    memo: dict = {}
    read = 0
    # A first batch of one case more than the page holds: where each case has an obligation of the reader's (a
    # party's usual list), that is all a page reads. Each batch after doubles, up to WALK_BATCH, so a reader with
    # few obligations among many cases costs a few more reads, not one per handful of cases.
    size = min(limit + 1, WALK_BATCH)
    while True:
        rows = db.session.execute(query.offset(read).limit(size + 1)).all()
        cases = [case for case, _due in rows[:size]]
        read += len(cases)
        pending = _pending_by_case([c.id for c in cases])
        proposals = _proposals_by_case([c.id for c in cases])
        for case in cases:
            roles = case_roles(account, case)
            if roles:
                mine = case_obligations(
                    account, case, roles, pending.get(case.id, []), now, proposals.get(case.id), memo
                )
                found += [o for o in mine.mine if key is None or urgency(o) > key]
        if len(rows) <= size:
            settled = sorted(found, key=urgency)
            break
        case, due = rows[size]
        unread = (int(due is None), _instant(due) if due else 0, case.id)
        settled = sorted((o for o in found if urgency(o)[:3] < unread), key=urgency)
        if len(settled) > limit:
            break
        size = min(2 * size, WALK_BATCH)
    if len(settled) <= limit:
        return Page(settled, None)
    return Page(settled[:limit], encode_cursor(urgency(settled[limit - 1])))


def _appointments(mediator: Account) -> list[Obligation]:
    appointments = db.session.scalars(
        select(MediatorAppointment)
        .where(MediatorAppointment.mediator_id == mediator.id, MediatorAppointment.status == AppointmentStatus.PENDING)
        .options(selectinload(MediatorAppointment.case).selectinload(Case.procedure_choice))
        .order_by(MediatorAppointment.assigned_at)
    ).all()
    pending = _pending_by_case([a.case_id for a in appointments])
    found = []
    for appointment in appointments:
        case = appointment.case
        running = pending.get(case.id, [])
        first = running[0] if running else None
        if first is not None:
            rules = procedures().get(first.procedure_code, first.procedure_version)
            if_nobody, actions = consequence(rules, rules.timer(first.timer), first.consequence)
        else:
            if_nobody, actions = _("If nobody acts, the case stays without a mediator."), ()
        found.append(
            Obligation(
                case_id=case.id,
                reference=case.reference,
                title=case.title,
                kind="appointment",
                role=CaseRole.MEDIATOR.value,
                heading=_("You are proposed as the mediator of this case"),
                choices=(
                    Choice("accept_appointment", str(appointment.id), _("Accept the appointment")),
                    Choice("decline_appointment", str(appointment.id), _("Decline it")),
                ),
                due_at=first.due_at if first else None,
                time_zone=case_time_zone(case, procedure_of(case)),
                if_nobody_acts=if_nobody,
                consequence_state=first.consequence if first else None,
                consequence_actions=actions,
                deadline_id=first.id if first else None,
            )
        )
    return found


def _measures() -> list[Obligation]:
    by_case: dict[int, list[Measure]] = defaultdict(list)
    for measure in db.session.scalars(
        select(Measure)
        .where(Measure.status == MeasureStatus.PENDING)
        .options(selectinload(Measure.case))
        .order_by(Measure.confirm_by, Measure.id)
        .limit(1000)
    ):
        by_case[measure.case_id].append(measure)
    return [
        Obligation(
            case_id=case_id,
            reference=items[0].case.reference,
            title=items[0].case.title,
            kind="measures",
            role=CaseRole.PLATFORM.value,
            heading=_(
                "Apply these measures and confirm them: %(measures)s",
                measures=list_format(sorted({measure_title(m.kind.value) for m in items})),
            ),
            choices=tuple(Choice("confirm_measure", str(m.id), _("Confirm measure %(id)s", id=m.id)) for m in items),
            due_at=items[0].confirm_by,
            time_zone=None,
            if_nobody_acts=_(
                "If nobody acts by then: the confirmation is recorded as late, and the mediator sees it overdue."
            ),
        )
        for case_id, items in by_case.items()
    ]


# What each step on request means for the people in the case, said before they take it.
STEP_WARNINGS = {
    "withdraw": _l(
        "The notice is withdrawn and the case is closed. It cannot be reopened; a new notice starts a new case."
    ),
    "escalate": _l(
        "Negotiation ends: the case file is sealed and sent to the court, which decides. "
        "Offers and proposals on the table lapse."
    ),
    "request_mediation": _l("A mediator is proposed to both parties; the period of facilitated settlement starts."),
    "report_suit": _l("You state that you have brought a court action against the seller; the listings stay down."),
    "report_complaint": _l(
        "You report, with the authority's acceptance notice, that you complained to an administrative authority; "
        "the listings stay down while it handles the complaint. Nothing goes to a court."
    ),
    "reverse_measure": _l("The complaint is upheld: the measure against the seller is reversed."),
    "maintain_measure": _l("The complaint is rejected: the measure stays, and facilitated settlement starts."),
}


def step_consequences(procedure: Procedure, name: str) -> list[str]:
    """What taking a step does: its own warning, where the case moves and what the rules then carry out."""
    transition = procedure.transition(name)
    if transition is None:
        return []
    found = [str(STEP_WARNINGS[name])] if name in STEP_WARNINGS else []
    found.append(_("The case moves to “%(state)s”.", state=state_label(transition.target)))
    actions = tuple(transition.actions) + tuple(procedure.states[transition.target].on_enter)
    found += [str(ACTION_CONSEQUENCES[a]).capitalize() + "." for a in actions if a in ACTION_CONSEQUENCES]
    return found
