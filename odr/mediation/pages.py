"""What the settlement ladder's pages show and which actions their reader may take (view models).

The case page's ladder panel (caucus, blind bidding, agreement, neutral evaluation, measures) and the
mediator assignment panel register with ``odr.cases.pages.case_panel``; the desk, the timeline, the
agreement and the neutral's evaluation page have a builder each. Every ``may_*`` flag is the rule the
service of that action enforces; templates only render.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import current_app, request
from flask_babel import get_locale
from sqlalchemy import Row, bindparam, select
from werkzeug.routing import MapAdapter

from odr.accounts.models import Account, Role
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case, FilingKind
from odr.cases.pages import CaseContext, ProposalView, allows, case_panel, case_rows, may_file, proposal_view
from odr.cases.services import check_may_accept
from odr.errors import NotFound
from odr.extensions import db
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState
from odr.i18n import datetimeformat, locale_name
from odr.mediation import agreement, bidding, desk, evaluation, measures
from odr.mediation.desk import DeskRow
from odr.mediation.models import BlindBidding, EvaluationStatus, Measure, MeasureKind, NeutralEvaluation
from odr.mediation.services import (
    Fitness,
    affiliations,
    appointment_summary,
    check_may_assign,
    independence_declaration,
    roster,
)
from odr.models_base import utcnow
from odr.procedure.engine import Procedure
from odr.procedure.services import procedure_of
from odr.procedure.titles import state_label
from odr.vocabulary import CaseRole

MEASURE_ROWS = 5  # the agreement form's optional measure rows (no JavaScript); the API takes any number
LADDER_ROLES = {CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR}  # who opens bidding and proposes agreements


# -- the case page's panels ---------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentPanel:
    may_assign: bool  # an administrator, while the case is open
    roster: list[Fitness]


@case_panel("assignment")
def assignment_panel(context: CaseContext) -> AssignmentPanel:
    may_assign = allows(check_may_assign, context.account, context.case)
    return AssignmentPanel(may_assign=may_assign, roster=_roster(context) if may_assign else [])


def _roster(context: CaseContext) -> list[Fitness]:
    return context.once("roster", lambda: roster(context.case))


@dataclass(frozen=True)
class BiddingPanel:
    view: dict | None  # odr.mediation.bidding.bidding_view: what this reader may know of the bidding
    closes_at: datetime | None
    may_open: bool
    may_set_days: bool  # only the mediator sets how long bidding stays open
    default_days: int
    may_bid: bool
    must_accept_rules: bool  # the first bid binds the bidder to the rules

    @property
    def shown(self) -> bool:
        return self.view is not None or self.may_open


@dataclass(frozen=True)
class EvaluationPanel:
    evaluation: NeutralEvaluation | None
    deposits: list
    submissions: list
    may_record_deposit: bool
    may_submit: bool
    may_open: bool
    neutrals: list[Account]  # qualified mediators other than the case's own, for a new evaluation


@dataclass(frozen=True)
class LadderPanel:
    claimant_name: str
    respondent_name: str
    party_language: str  # the reader's writing language, preselected
    may_caucus: bool
    caucus_names_party: bool  # the mediator chooses the party; a party's caucus is with the mediator
    bidding: BiddingPanel
    may_propose_agreement: bool  # on its own page (agreement_draft_page), one link from the case page
    listings: list[tuple[int, str]]
    evaluation: EvaluationPanel
    measures: Sequence[Row]  # the columns of _MEASURES_SHOWN


@case_panel("ladder")
def ladder_panel(context: CaseContext) -> LadderPanel:
    case, roles = context.case, context.roles
    party = context.account.party
    return LadderPanel(
        claimant_name=case.claimant.name,
        respondent_name=case.respondent.name,
        party_language=party.preferred_language if party else "",
        # odr.cases.services._caucus_party: a message, to or from the mediator who has accepted the case.
        may_caucus=case.mediator_id is not None
        and bool(roles & LADDER_ROLES)
        and may_file(context.procedure, case, FilingKind.MESSAGE, set(roles), context.now),
        caucus_names_party=CaseRole.MEDIATOR in roles,
        bidding=_bidding(context),
        may_propose_agreement=may_propose_agreement(case, roles, context.procedure),
        listings=context.listings,
        evaluation=_evaluation(context),
        measures=_measures(context),
    )


def may_propose_agreement(case: Case, roles: frozenset[str], procedure: Procedure) -> bool:
    """A party or the mediator, while the case's stage admits a settlement (agreement.draft_agreement's rule)."""
    return bool(roles & LADDER_ROLES) and FilingKind.SETTLEMENT.value in procedure.filings_allowed(case.state)


@dataclass(frozen=True)
class AgreementDraftPage:
    """Proposing a settlement agreement: its text in each party's language, its terms and up to MEASURE_ROWS measures
    for the platform. A task of its own, one link from the case page, as signing is: on the case page its form made
    the page a fifth longer (and cost about 15% of its time) for every reader who could propose one."""

    case: Case
    languages: list[str]  # the parties' languages, a text in each
    listings: list[tuple[int, str]]  # (id, locator) of the case's listings, for the measures
    measure_rows: int
    measure_kinds: list[tuple[str, str]]  # (kind, title) of each measure the form offers, titled once

    @property
    def fields(self) -> list[str]:
        """The fields the form shows, by the names its refusals use."""
        rows = [
            f"{name}_{n}"
            for n in range(1, self.measure_rows + 1)
            for name in ("measure_kind", "measure_listing", "measure_detail", "measure_regions", "measure_security")
        ]
        return (
            [f"texts.{lang}" for lang in self.languages]
            + ["authoritative_language", "terms.amount", "terms.currency", "terms.licence"]
            + rows
        )


def agreement_draft_page(account: Account, case_id: int) -> AgreementDraftPage:
    """The agreement form for a reader who may propose one now; NotFound otherwise (as a step not open to them)."""
    case = get_case(account, case_id)
    if not may_propose_agreement(case, frozenset(case_roles(account, case)), procedure_of(case)):
        raise NotFound(_("This step is not open to you in this case now."))
    return AgreementDraftPage(
        case=case,
        languages=agreement.party_languages(case),
        listings=[(listing.id, listing.locator) for listing in case.listings],
        measure_rows=MEASURE_ROWS,
        measure_kinds=[(kind.value, measures.measure_title(kind.value)) for kind in MeasureKind],
    )


# The ladder's rows, read only for a case that has them.
case_rows("bidding", BlindBidding.case_id == bindparam("case_id"))
case_rows("evaluation", NeutralEvaluation.case_id == bindparam("case_id"))
case_rows("measures", Measure.case_id == bindparam("case_id"))
# What the ladder shows of the measures: plain rows, as loading them as objects cost about 2% of the page.
_MEASURES_SHOWN = (
    select(Measure.listing, Measure.kind, Measure.details, Measure.status, Measure.confirm_by, Measure.confirmed_at)
    .where(Measure.case_id == bindparam("case_id"))
    .order_by(Measure.id)
)


def _measures(context: CaseContext) -> Sequence[Row]:
    if not context.has_rows("measures"):
        return []
    return db.session.connection().execute(_MEASURES_SHOWN, {"case_id": context.case.id}).all()


def _bidding(context: CaseContext) -> BiddingPanel:
    case, roles, now = context.case, set(context.roles), context.now
    current = bidding.current_bidding(case) if context.has_rows("bidding") else None
    view = bidding.bidding_view(context.account, case) if current is not None else None
    return BiddingPanel(
        view=view,
        closes_at=current.closes_at if current is not None else None,
        may_open=allows(bidding.check_may_open, case, current, roles, now),
        may_set_days=CaseRole.MEDIATOR in roles,
        default_days=current_app.config["ODR"]["BIDDING_DAYS"],
        may_bid=allows(bidding.check_may_bid, case, current, roles, now),
        must_accept_rules=bool(view and not view["your_bids"]),
    )


def _evaluation(context: CaseContext) -> EvaluationPanel:
    case, roles = context.case, set(context.roles)
    found = evaluation.evaluation_of(case) if context.has_rows("evaluation") else None
    may_open = allows(evaluation.check_may_open, case, found, roles)
    return EvaluationPanel(
        evaluation=found,
        deposits=list(found.deposits) if found else [],
        submissions=list(found.submissions) if found else [],
        # evaluation.record_deposit: an administrator; while the evaluation is open, the page offers it.
        may_record_deposit=found is not None
        and found.status == EvaluationStatus.OPEN
        and context.account.role == Role.ADMIN,
        may_submit=found is not None and allows(evaluation.check_may_submit, found, roles, context.now),
        may_open=may_open,
        neutrals=[f.mediator for f in _roster(context) if f.qualified and f.mediator.id != case.mediator_id]
        if may_open
        else [],
    )


# -- the agreement page -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementPage:
    case: Case
    proposal: ProposalView
    versions: list[dict]
    acceptances: list[dict]
    voided: list[dict]
    awaiting_approval: list[str]  # machine-translated versions nobody has approved yet
    may_approve: bool  # a party or the mediator, while a version awaits approval
    may_sign: bool  # a party that has not signed this text, while the case can settle and nothing awaits approval
    concluded: bool  # both parties signed this text
    signer_name: str  # the name the reader must type to sign


APPROVERS = {CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR}


def agreement_page(account: Account, case_id: int, now: datetime | None = None) -> AgreementPage:
    context = agreement.agreement_for(account, case_id)
    case = context["case"]
    roles = frozenset(case_roles(account, case))
    proposal = proposal_view(context["filing"], account, case, roles, now or utcnow())
    return AgreementPage(
        case=case,
        versions=context["versions"],
        acceptances=context["acceptances"],
        voided=context["voided"],
        proposal=proposal,
        awaiting_approval=context["awaiting_approval"],
        may_approve=bool(context["awaiting_approval"] and roles & APPROVERS),
        may_sign=not context["awaiting_approval"]
        and allows(check_may_accept, account, case, context["filing"], set(roles), now or utcnow()),
        concluded=context["concluded"],
        signer_name=account.display_name,
    )


# -- the timeline -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelinePage:
    case: Case
    entries: list[desk.Entry]
    printable: bool


def timeline_page(account: Account, case_id: int, printable: bool = False) -> TimelinePage:
    case = get_case(account, case_id)
    return TimelinePage(case=case, entries=desk.timeline(case), printable=printable)


# -- the mediator's desk ------------------------------------------------------------------------


@dataclass(frozen=True)
class EvaluationRow:
    id: int
    case_reference: str
    decided: bool
    decision_due_at: datetime


class DeskLine(NamedTuple):
    """One row of the desk's table in the reader's words, with its links: the template prints it as it is (a desk
    page shows fifty of them)."""

    case_id: int
    url: str  # the case page
    timeline_url: str
    reference: str
    title: str
    jurisdiction: str
    stage: str  # the stage's name
    languages: str  # the parties' languages, named in the reader's language
    mark: str  # the row's class: "overdue", "due-soon" or ""
    health_safety: bool
    next_due_at: str  # the next date of any of its clocks (ISO 8601); "" without one
    next_due_when: str  # that date in the reader's locale and time zone
    next_due_what: str
    overdue: bool
    due_this_week: bool
    overdue_measures: int


@dataclass(frozen=True)
class DeskPage:
    desk: desk.Desk
    filters: dict
    rows: list[DeskLine]  # the page of the desk's cases shown (DESK_PAGE at a time, in the desk's order)
    next_cursor: str | None  # the following page; None: the last
    paged: bool  # not the first page (the page offers a way back to it)
    summaries: list[dict]
    declaration: str
    declaration_recorded: str | None
    affiliations: list
    evaluations: list[EvaluationRow]
    form: FormState


DESK_PAGE = 50


def desk_page(mediator: Account, filters: dict, form: FormState = BLANK, cursor: str | None = None) -> DeskPage:
    """The mediator's desk, its cases a page at a time in the desk's order (the counts cover all of them)."""
    view = desk.mediator_desk(mediator, filters, limit=DESK_PAGE, cursor=cursor)
    links = current_app.create_url_adapter(request)
    assert links is not None  # a request always has one
    case_url, timeline_url = case_link(links, "cases.show"), case_link(links, "mediation.timeline")
    return DeskPage(
        desk=view,
        filters=filters,
        rows=[desk_line(r, case_url, timeline_url) for r in view.rows],
        next_cursor=view.next_cursor,
        paged=cursor is not None,
        summaries=[appointment_summary(a) for a in view.appointments],
        declaration=independence_declaration(locale=None),
        declaration_recorded=None if get_locale().language == "en" else independence_declaration(),
        affiliations=affiliations(mediator),
        evaluations=[
            EvaluationRow(e.id, e.case.reference, e.status == EvaluationStatus.DECIDED, e.decision_due_at)
            for e in evaluation.assigned_evaluations(mediator)
        ],
        form=form,
    )


# A case id no URL of the app holds otherwise, standing in for every case's in ``case_link``.
_ANY_CASE = 987_654_321


def case_link(links: MapAdapter, endpoint: str) -> Callable[[int], str]:
    """The URL of ``endpoint`` (a route whose one argument is an ``int`` ``case_id``) for any case, as ``links``
    (the request's URL adapter) builds it: built once, then written for each case by putting its id where the
    stand-in's is (the ``int`` converter writes an id as its digits alone), not built again for every row of a page
    (a few microseconds each: the rule's converters, quoting and the script root)."""
    before, _, after = links.build(endpoint, {"case_id": _ANY_CASE}).rpartition(str(_ANY_CASE))
    return lambda case_id: f"{before}{case_id}{after}"


def desk_line(row: DeskRow, case_url: Callable[[int], str], timeline_url: Callable[[int], str]) -> DeskLine:
    """A row of the desk in the reader's words: its stage, languages, date and links written here, once, rather
    than by template helpers and macros called per row."""
    case, due = row.case, row.next_due
    return DeskLine(
        case_id=case.id,
        url=case_url(case.id),
        timeline_url=timeline_url(case.id),
        reference=case.reference,
        title=case.title,
        jurisdiction=case.jurisdiction,
        stage=state_label(case.state),
        languages=", ".join(locale_name(code) for code in row.languages),
        mark="overdue" if row.overdue else ("due-soon" if row.due_this_week else ""),
        health_safety=row.health_safety,
        next_due_at=due.at.isoformat() if due is not None else "",
        next_due_when=datetimeformat(due.at, "medium") if due is not None else "",
        next_due_what=due.label if due is not None else "",
        overdue=row.overdue,
        due_this_week=row.due_this_week,
        overdue_measures=row.overdue_measures,
    )


# -- the neutral's evaluation page --------------------------------------------------------------


@dataclass(frozen=True)
class NeutralPage:
    evaluation: NeutralEvaluation
    submissions: list
    may_decide: bool  # evaluation.decide: the neutral, while the evaluation is open


def neutral_page(neutral: Account, evaluation_id: int) -> NeutralPage:
    found = evaluation.neutral_evaluation(neutral, evaluation_id)
    return NeutralPage(
        evaluation=found, submissions=list(found.submissions), may_decide=found.status == EvaluationStatus.OPEN
    )
