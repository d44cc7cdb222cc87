"""What the case pages show and which actions their reader may take: one view model per page.

A view asks one function here for its page; the template renders that and nothing else: it runs no
query and decides no permission. Every ``may_*`` flag comes from the rule the service enforces
(``case_roles``, the procedure's transitions and filings, the settlement rule), so the page offers
exactly the actions the service would accept.

The case page also shows panels of the domains above cases (the settlement ladder, the court's
actions, translations). They register a builder with ``case_panel``; cases never imports them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask_babel import format_date, format_number
from markupsafe import Markup
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Row,
    Select,
    bindparam,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from odr.accounts.models import PARTY_ROLES, Account, Party, Role
from odr.cases import csv_upload, drafts, profiles, services, verification
from odr.cases.access import case_roles, get_case, visible_cases, visible_filings_statement, with_its_parties
from odr.cases.bulk import CSV_COLUMNS, CSV_REQUIRED, MAX_ITEMS
from odr.cases.models import (
    PRODUCT_CATEGORIES,
    Case,
    Event,
    EvidenceFile,
    Filing,
    FilingKind,
    Listing,
    NoticeDraft,
    RightsDocument,
    RightsProfile,
    RightType,
)
from odr.cases.reports import report_steps
from odr.conduct.models import AccountMeasure
from odr.conduct.services import notice_processing_suspension
from odr.config import FILING_LANGUAGES
from odr.errors import NotFound, ServiceError
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.forms import BLANK, FormState
from odr.i18n import datetime_writer, list_format, locale_name
from odr.models_base import utcnow
from odr.pagination import Pager, keyset, latest_window
from odr.procedure import jurisdictions
from odr.procedure.choice import check_market, choose_procedure
from odr.procedure.engine import Procedure
from odr.procedure.explain import UNIT_NAMES, case_procedure_view, deadlines_view
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.notices import (
    counter_notice_elements,
    counter_notice_warnings,
    element_catalogue,
    measure_catalogue,
    notice_form_elements,
    notice_warnings,
    warning_catalogue,
)
from odr.procedure.pauses import pending_pause_requests
from odr.procedure.services import allowed_transitions, case_day, pending_deadlines, procedure_of, procedures
from odr.procedure.titles import (
    action_label,
    element_label,
    notice_measure_label,
    procedure_label,
    report_field_label,
    report_outcome_label,
    state_label,
    timer_label,
)
from odr.todo.services import (
    ACTION_CONSEQUENCES,
    CaseNext,
    Obligation,
    case_obligations,
    consequence,
    obligations,
    step_consequences,
)
from odr.vocabulary import CaseRole, case_role_label, event_label

# -- the links every page offers its reader -----------------------------------------------------


@dataclass(frozen=True)
class Navigation:
    """Which sections the signed-in reader has; the views of those sections check the same predicates."""

    audience: str  # whose list of cases: "mediator", "court", "admin" or "party"
    may_file_notice: bool
    may_deposit: bool
    has_desk: bool
    has_court_inbox: bool
    has_webhooks: bool = False
    has_reviews: bool = False  # odr.dsa: the platform's reviewers decide notices and complaints


def may_file_notice(account: Account) -> bool:
    return account.role in services.NOTICE_ROLES


def may_deposit(account: Account) -> bool:
    return account.role in PARTY_ROLES


def has_desk(account: Account) -> bool:
    """The mediator's desk (odr.mediation) is for mediators."""
    return account.role == Role.MEDIATOR


def has_court_inbox(account: Account) -> bool:
    """The inbox of exported bundles (odr.export) is for courts."""
    return account.role == Role.COURT


def navigation(account: Account) -> Navigation:
    audience = account.role.value if account.role in {Role.MEDIATOR, Role.COURT, Role.ADMIN} else "party"
    return Navigation(
        audience=audience,
        may_file_notice=may_file_notice(account),
        may_deposit=may_deposit(account),
        has_desk=has_desk(account),
        has_court_inbox=has_court_inbox(account),
        has_webhooks=account.role == Role.PLATFORM_CLIENT,  # odr.webhooks: a platform's endpoints
        has_reviews=account.role in {Role.ADMIN, Role.PLATFORM_CLIENT},  # odr.dsa.pages.is_reviewer
    )


# -- the dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    case: Case
    next_due: datetime | None
    time_zone: str | None  # of the governing rules, shown beside the reader's own
    next_steps: list[str]  # the transitions the reader may take now


@dataclass(frozen=True)
class DashboardPage:
    audience: str
    role: str  # the reader's account role, for the line that says what the page is for
    may_file_notice: bool
    rows: list[DashboardRow]
    filters: dict[str, str] = field(default_factory=dict)  # the table's filters as given (state, jurisdiction)
    states: list[str] = field(default_factory=list)  # the choices of the filters: what the reader's cases have
    jurisdictions: list[str] = field(default_factory=list)
    next_cursor: str | None = None  # the following page of the table (keyset, odr.pagination); None: the last
    paged: bool = False  # this is not the first page (the page offers a way back to it)
    todo: list[Obligation] = field(default_factory=list)  # what to do next, most urgent first (odr.todo): a page
    todo_next: str | None = None  # the cursor of the following page of the list of things to do; None: the last
    todo_paged: bool = False  # not the first page of things to do (the page offers a way back to it)
    drafts: list[DraftRow] = field(default_factory=list)  # the reader's notices being prepared (odr.cases.drafts)


DASHBOARD_PAGE = 50
TODO_PAGE = 20  # the most urgent things to do shown at a time, above the table of cases


def dashboard_page(
    account: Account,
    now: datetime | None = None,
    filters: dict[str, str | None] | None = None,
    cursor: str | None = None,
    limit: int | None = None,
    todo_cursor: str | None = None,
) -> DashboardPage:
    """The reader's cases, most recently changed first, a page at a time (keyset: page 40 of a party with
    2,000 cases costs what page 1 does), filtered by stage and jurisdiction; above them, the most urgent things
    to do, a page at a time too (``todo_cursor``)."""
    chosen: dict[str, str] = {k: v for k, v in (filters or {}).items() if k in ("state", "jurisdiction") and v}
    visible = visible_cases(account)
    # The filters' choices: the distinct values of the reader's cases (two small grouped queries).
    states = sorted(db.session.scalars(visible.with_only_columns(Case.state).distinct()).all())
    codes = sorted(db.session.scalars(visible.with_only_columns(Case.jurisdiction).distinct()).all())
    query = visible.options(selectinload(Case.procedure_choice))
    for name, value in chosen.items():
        query = query.where(getattr(Case, name) == value)
    # Each case's procedure choice says where its days are counted; load them with the cases, not one by one.
    page = keyset(query, [Case.updated_at, Case.id], limit=limit or DASHBOARD_PAGE, cursor=cursor)
    cases = page.items
    next_due: dict[int, datetime] = {}
    if cases:
        rows = db.session.execute(
            select(Deadline.case_id, func.min(Deadline.due_at))
            .where(Deadline.case_id.in_([c.id for c in cases]), Deadline.status == DeadlineStatus.PENDING)
            .group_by(Deadline.case_id)
        ).all()
        # min() over a column loses the UTC type decorator on some engines; normalise.
        next_due = {
            case_id: Deadline.due_at.type.process_result_value(due, None) if due.tzinfo is None else due
            for case_id, due in rows
        }
    now = now or utcnow()
    nav = navigation(account)
    todo = obligations(account, now, limit=TODO_PAGE, cursor=todo_cursor)
    return DashboardPage(
        audience=nav.audience,
        role=account.role.value,
        may_file_notice=nav.may_file_notice,
        filters=chosen,
        states=states,
        jurisdictions=codes,
        next_cursor=page.next_cursor,
        paged=cursor is not None,
        rows=[
            DashboardRow(
                case=c,
                next_due=next_due.get(c.id),
                time_zone=_time_zone(c.jurisdiction),
                next_steps=[t.name for t in allowed_transitions(c, case_roles(account, c), now)],
            )
            for c in cases
        ],
        todo=todo.items,
        todo_next=todo.next_cursor,
        todo_paged=todo_cursor is not None,
        drafts=draft_rows(account, now) if nav.may_file_notice else [],
    )


def _time_zone(code: str) -> str | None:
    jurisdiction = jurisdictions.get(code or "")
    return jurisdiction.time_zone if jurisdiction else None


# -- filing a notice ----------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticePage:
    jurisdictions: list[str]  # codes; the template names each in the reader's language
    right_types: list[RightType]
    elements: list[dict]
    warnings: list[dict]  # what the law makes the filer answer for (US §512(f), UK unjustified threats)
    measures: list[dict]  # the proportionate measures a notice may ask for, and which procedures allow each
    languages: list[str]
    submission_key: str
    form: FormState
    product_categories: list[tuple[str, str]] = field(default_factory=list)
    # The suspension of the processing of the reader's notices (DSA Art. 23(2)) in force: shown instead of the
    # form, with its statement of reasons and the way to appeal.
    suspension: AccountMeasure | None = None

    @property
    def fields(self) -> list[str]:
        """The service's names of the fields the form shows; a refusal of any other is listed at its end."""
        return [
            "jurisdiction",
            "right_type",
            "title",
            "listings",
            "product_category",
            "target_market",
            "language",
            "text",
            "remedy_sought",
            "evidence",
            "respondent.email",
            "respondent.name",
            "respondent.country",
            "respondent.language",
            "territories",
            "measure",
            "measure.kind",
            "measure.regions",
            "measure.element",
        ] + [f"elements.{element['name']}" for element in self.elements]


def notice_page(account: Account, form: FormState = BLANK) -> NoticePage:
    every = jurisdictions.all_jurisdictions()
    return NoticePage(
        jurisdictions=list(every),
        right_types=list(RightType),
        elements=element_catalogue(every),
        warnings=warning_catalogue(every),
        measures=measure_catalogue(procedures().procedures.values()),
        languages=FILING_LANGUAGES,
        submission_key=uuid.uuid4().hex,
        form=form,
        product_categories=[(code, str(title)) for code, title in PRODUCT_CATEGORIES.items()],
        suspension=notice_processing_suspension(account),
    )


# -- the case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseContext:
    """What every panel of a case page starts from: the reader, the case and the rules that apply now."""

    account: Account
    case: Case
    roles: frozenset[str]
    procedure: Procedure
    now: datetime
    form: FormState
    filings: Sequence[ShownFiling] = field(default_factory=list)  # the window of the visible ones the page shows
    listings: list[tuple[int, str]] = field(default_factory=list)  # (id, locator) of the case's listings, in order
    shared: dict = field(default_factory=dict)  # reads two panels need, made once (see ``once``)

    def once(self, name: str, read: Callable[[], object]):
        """What ``read`` returns, read once for all the panels of this page."""
        if name not in self.shared:
            self.shared[name] = read()
        return self.shared[name]

    def has_rows(self, name: str) -> bool:
        """Whether the case has any of the rows registered as ``name`` with ``case_rows``: the first ask reads
        whether it has each, in one statement."""
        return self.once("case_rows", self._case_rows)[name]

    def notice_terms(self) -> dict:
        """The terms of the notice that opened the case, read in the statement ``has_rows`` sends (one column of
        one row, as plain data: the page does not load the notice as an object, and what it shows of it is in its
        terms)."""
        return self.once("case_rows", self._case_rows)[_NOTICE_TERMS_COLUMN] or {}

    def _case_rows(self) -> dict[str, bool]:
        return db.session.connection().execute(_case_rows_statement(), {"case_id": self.case.id}).one()._asdict()

    @property
    def is_party(self) -> bool:
        return bool(self.roles & {CaseRole.CLAIMANT, CaseRole.RESPONDENT})


CasePanel = Callable[[CaseContext], object]
_PANELS: dict[str, CasePanel] = {}


def case_panel(name: str):
    """Register the builder of a case page panel (a domain above cases shows its part of the case)."""

    def register(builder: CasePanel) -> CasePanel:
        _PANELS[name] = builder
        return builder

    return register


_CASE_ROWS: dict[str, ColumnElement[bool]] = {}


def case_rows(name: str, where: ColumnElement[bool]) -> None:
    """Register rows a panel shows (``where``: a condition on one table, the case's id as ``bindparam("case_id")``),
    so that the panel asks ``CaseContext.has_rows`` before reading them: most cases have none of most panels' rows,
    and one statement telling which they have costs about what one plain read does, where each ORM read that finds
    nothing cost 1-1.5% of the page."""
    if name == _NOTICE_TERMS_COLUMN:
        raise ValueError(f"{name!r} is the notice's terms in the statement that tells which rows a case has")
    _CASE_ROWS[name] = where
    _case_rows_statement.cache_clear()


_NOTICE_TERMS_COLUMN = "notice_terms"


@cache
def _case_rows_statement() -> Select:
    # Built once, when a page first asks (the panels have registered by then). The notice's terms ride along: every
    # case page asks which rows the case has, and the terms in a statement of their own cost a round trip to the
    # database (about 2% of the page on PostgreSQL).
    return select(
        *(exists().where(where).label(name) for name, where in _CASE_ROWS.items()),
        _NOTICE_TERMS.scalar_subquery().label(_NOTICE_TERMS_COLUMN),
    )


@dataclass(frozen=True)
class DeadlineView:
    id: int
    explained: dict  # odr.procedure.explain.explain, with the due instant
    may_extend: bool  # the rule allows an extension by one of the reader's roles, and it has not passed
    may_request_pause: bool = False  # the reader may ask for a pause with proof (CN: SPC Reply Art. 3)
    pause_requests: list = field(default_factory=list)  # pending requests the reader may decide


@dataclass(frozen=True)
class ProposalView:
    id: int
    text: str
    terms: dict
    acceptances: int
    text_sha256: str
    may_accept: bool  # services.check_may_accept: a party that has not accepted it, while settling is possible


@dataclass(frozen=True)
class CaseMay:
    """The actions of the case page this reader may take (each the rule its service enforces)."""

    file: bool  # at least one kind of filing is open to the reader
    read_timeline: bool  # the link to the full timeline, for the participants (the court reads its bundle)
    download_export: bool  # export.services.latest_export: the court or an administrator, once exported


class FilingRow(NamedTuple):
    """A filing of the conversation with the words of its header, each looked up once per page (its kind, its
    author's role, its language), not once per filing."""

    filing: ShownFiling
    at: str  # when, in ISO 8601 (for <time datetime>)
    kind: str  # the kind's title
    caucus: str  # which private caucus it belongs to; "" for a filing every participant reads
    author: str  # the author's case role, as readers call it
    filed_at: str  # when, in the reader's words (the date filter's medium format)
    original: Markup  # "original in <language>"
    may_accept: bool  # an offer this reader may accept (services.check_may_accept_offer)


def filing_rows(filings: Sequence[ShownFiling], case: Case, acceptable: set[int]) -> list[FilingRow]:
    caucus_with = {
        case.claimant_party_id: Markup(_("private caucus with the right holder")),
        None: "",
    }
    with_seller = Markup(_("private caucus with the seller"))
    original = Markup(_("original in %(language)s"))
    originals = {code: original % {"language": locale_name(code)} for code in {f.language for f in filings}}
    kinds = {kind: kind.label for kind in {f.kind for f in filings}}
    authors = {role: case_role_label(role) for role in {f.author_case_role for f in filings}}
    filed_at = datetime_writer("medium")
    return [
        FilingRow(
            f,
            f.created_at.isoformat(),
            kinds[f.kind],
            caucus_with.get(f.caucus_party_id, with_seller),
            authors[f.author_case_role],
            filed_at(f.created_at),
            originals[f.language],
            f.id in acceptable,
        )
        for f in filings
    ]


class TimelineEntry(NamedTuple):
    """An event of the timeline as it reads, its words looked up once per kind and role on the page."""

    at: str  # ISO 8601, for <time datetime>
    when: str  # in the reader's words (the date filter's short format)
    what: str  # the event's kind
    who: str  # the actor's case role


def timeline_entries(rows: list) -> list[TimelineEntry]:
    """The timeline's window (rows of TIMELINE_COLUMNS) as it reads."""
    # Unpacked by position (TIMELINE_COLUMNS, then the count): a row's columns by name cost about seven times.
    shown = [(created_at, kind, role) for _seq, created_at, kind, role, *_count in rows]
    what = {kind: event_label(kind) for kind in {kind for _at, kind, _role in shown}}
    who = {role: case_role_label(role) for role in {role for _at, _kind, role in shown}}
    when = datetime_writer("short")
    return [TimelineEntry(at.isoformat(), when(at), what[kind], who[role]) for at, kind, role in shown]


@dataclass(frozen=True)
class CasePage:
    case: Case
    claimant: Party
    respondent: Party
    mediator_name: str | None
    listings: list[str]
    roles: frozenset[str]
    procedure: Procedure
    procedure_view: dict
    deadlines: list[DeadlineView]
    actions: list[str]  # names of the transitions the reader may take now
    filing_kinds: list[FilingKind]
    filing_language: str
    counter_notice_elements: list[dict]
    counter_notice_warnings: list[dict]
    proposal: ProposalView | None
    filings: list[FilingRow]  # the window of the visible filings shown (CASE_PAGE_WINDOW, the latest by default)
    evidence: Sequence[Row]  # the case's evidence files: the columns of _EVIDENCE_AND_LISTINGS
    events: list[TimelineEntry]  # the window of the timeline shown
    may: CaseMay
    languages: list[str]
    submission_key: str
    form: FormState
    panels: dict[str, object] = field(default_factory=dict)
    next: CaseNext = field(default_factory=lambda: CaseNext([]))  # what the reader must or may do now
    default_kind: str = ""  # the filing kind the form starts with (a choice of "What to do next")
    notice_elements: list[tuple[str, object]] = field(default_factory=list)  # (label, value), for the parties
    identity_verified: str = ""  # "identity verified by the platform on <date>", as filed (notice_elements' readers)
    report_steps: list[dict] = field(default_factory=list)  # what the reader may report now, with its document
    open_section: str = ""  # the details section holding the refused form, shown open
    filing_pages: Pager = field(default_factory=lambda: Pager(None, None, False))
    event_pages: Pager = field(default_factory=lambda: Pager(None, None, False))
    event_count: int = 0

    @property
    def counter_notice_fields(self) -> list[str]:
        return [f"elements.{element['name']}" for element in self.counter_notice_elements]


def allows(check: Callable[..., object], *args) -> bool:
    """Whether a service's ``check_*`` lets the action through: the page offers what the service accepts."""
    try:
        check(*args)
    except ServiceError:
        return False
    return True


TIMELINE_READERS = {CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR, CaseRole.ADMIN}


def may_file(procedure: Procedure, case: Case, kind: FilingKind, roles: set[str], now: datetime) -> bool:
    """Whether these roles may file this kind now: the filing's transition, else the stage's open filings."""
    if kind in {FilingKind.NOTICE, FilingKind.DECISION, FilingKind.REPORT}:
        return False  # a notice opens a case; the court's decision and a report have their own forms
    transition = procedure.transition_for_filing(case.state, kind.value, case_day(case, now))
    if transition is not None:
        return bool(transition.roles & roles)
    return kind.value in procedure.filings_allowed(case.state) and bool(roles & services.FILER_ROLES)


# The details section of the case page that holds each form of the page (the others are in the conversation).
SECTION_OF_FORM = {
    "assign": "procedure",
    "report": "procedure",
    "action": "procedure",
    "acknowledge": "court",
    "decision": "court",
    "bid": "settling",
    "bidding": "settling",
    "agreement": "settling",
    "caucus": "settling",
    "evaluation": "settling",
    "evaluation-deposit": "settling",
    "evaluation-submission": "settling",
}


def section_of(form_name: str) -> str:
    return "procedure" if form_name.startswith(("extension-", "pause-")) else SECTION_OF_FORM.get(form_name, "")


def report_forms(case: Case, roles: set[str], now: datetime) -> list[dict]:
    """One form per step the reader may take by a report (CN Art. 43(2)), with what it names and carries."""
    return [
        {
            "step": t.name,
            "title": action_label(t.name),
            "body": report_field_label("body", t.report.forum),
            "case_number": report_field_label("case_number", t.report.forum),
            "document": report_field_label(t.report.document, t.report.forum),
            "outcomes": [(o, report_outcome_label(o)) for o in t.report.outcomes],
            "rule": str(t.citation),
        }
        for t in report_steps(case, roles, now)
        if t.report is not None
    ]


# Built once, as every case page reads them (building a statement costs about what sending it does).
_NOTICE_TERMS = (
    select(Filing.terms)
    .where(Filing.case_id == bindparam("case_id"), Filing.kind == FilingKind.NOTICE)
    .order_by(Filing.id)
    .limit(1)
)
# The case's evidence files and its listings, the two short lists every case page shows, in one statement (one of
# its own costs a round trip to the database, about 2% of the page on PostgreSQL). The columns are an evidence
# file's; a listing's locator stands in its name, and what only a file has is empty.
_EVIDENCE_AND_LISTINGS: CompoundSelect = union_all(
    select(
        literal(True).label("is_evidence"),
        EvidenceFile.id,
        EvidenceFile.original_name,
        EvidenceFile.media_type,
        EvidenceFile.size,
        EvidenceFile.sha256,
    ).where(EvidenceFile.case_id == bindparam("case_id")),
    select(literal(False), Listing.id, Listing.locator, null(), null(), null()).where(
        Listing.case_id == bindparam("case_id")
    ),
).order_by("is_evidence", "id")
_EVENT_COUNT = select(func.count()).where(Event.case_id == bindparam("case_id"))
case_rows("settlement", (Filing.case_id == bindparam("case_id")) & (Filing.kind == FilingKind.SETTLEMENT))


def notice_elements(roles: frozenset[str], terms: dict) -> list[tuple[str, object]]:
    """The notice's elements (the right holder's identity, the evidence described...), for the case's participants."""
    if not roles & TIMELINE_READERS:
        return []
    elements = terms.get("elements") or {}
    return [(element_label(name), value) for name, value in elements.items()]


def identity_verified(roles: frozenset[str], terms: dict) -> str:
    """Whether the notice, when filed, stated the identity of a rights profile the platform had verified."""
    if not roles & TIMELINE_READERS:
        return ""
    raw = terms.get("identity_verified_on")
    if not raw:
        return ""
    return _("Identity verified by the platform on %(date)s", date=format_date(date.fromisoformat(raw), "long"))


# What the timeline shows of an event (not its payload nor its hashes, which it would decode and never show).
TIMELINE_COLUMNS = (Event.seq, Event.created_at, Event.kind, Event.actor_case_role)
# The timeline's window reads its rows with how many events the case has (one statement, not a count of its own).
_TIMELINE = select(
    *TIMELINE_COLUMNS,
    select(func.count())
    .where(Event.case_id == bindparam("case_id"))
    .correlate(None)
    .scalar_subquery()
    .label("event_count"),
).where(Event.case_id == bindparam("case_id"))


class ShownFiling(NamedTuple):
    """What the case page shows of a filing (SHOWN_FILING_COLUMNS), as a tuple: loaded as objects the window was about
    5% of the page, and a row's columns by name cost about seven times a tuple's (the page reads ~700 a view)."""

    id: int
    kind: FilingKind
    author_case_role: str
    caucus_party_id: int | None
    language: str
    text: str
    terms: dict | None
    created_at: datetime


SHOWN_FILING_COLUMNS = tuple(getattr(Filing, name) for name in ShownFiling._fields)
# Filings and events a case page shows at a time; earlier ones are a link away (a case may hold thousands).
CASE_PAGE_WINDOW = 50
# The query parameters of the case page's windows: the cursor of the filings or events before or after those shown.
WINDOW_CURSORS = ("filings_before", "filings_after", "events_before", "events_after")


def case_page(
    account: Account,
    case_id: int,
    form: FormState = BLANK,
    now: datetime | None = None,
    kind: str = "",
    cursors: dict[str, str] | None = None,
) -> CasePage:
    """The case page for one reader: everything it shows, loaded here, and what the reader may do.

    ``kind``: the filing kind the reader chose in "What to do next" (the form starts with it). ``cursors``: which
    window of the filings and of the timeline to show (WINDOW_CURSORS; by default the latest of each)."""
    case = get_case(account, case_id, options=with_its_parties())
    now = now or utcnow()
    cursors = {k: v for k, v in (cursors or {}).items() if k in WINDOW_CURSORS and v}
    roles = frozenset(case_roles(account, case))
    procedure = procedure_of(case)
    readable, readable_params = visible_filings_statement(account, case, SHOWN_FILING_COLUMNS)
    filings, filing_pages = latest_window(
        readable,
        Filing.id,
        limit=CASE_PAGE_WINDOW,
        before=cursors.get("filings_before"),
        after=cursors.get("filings_after"),
        rows=True,
        params=readable_params,
    )
    filings = [ShownFiling._make(row) for row in filings]
    # Plain rows through the session's connection: the page shows their columns (loading them along the case's
    # relationships cost about 5% of the page each).
    read = db.session.connection().execute
    evidence: list[Row] = []
    listings: list[tuple[int, str]] = []
    for row in read(_EVIDENCE_AND_LISTINGS, {"case_id": case.id}):
        if row.is_evidence:
            evidence.append(row)
        else:
            listings.append((row.id, row.original_name))
    context = CaseContext(
        account=account,
        case=case,
        roles=roles,
        procedure=procedure,
        now=now,
        form=form,
        filings=filings,
        listings=listings,
    )
    panels = {name: build(context) for name, build in _PANELS.items()}
    filing_kinds = [k for k in FilingKind if may_file(procedure, case, k, set(roles), now)]
    proposal = services.current_settlement(case) if context.has_rows("settlement") else None
    party = account.party
    events, event_pages = latest_window(
        _TIMELINE,
        Event.seq,
        limit=CASE_PAGE_WINDOW,
        before=cursors.get("events_before"),
        after=cursors.get("events_after"),
        rows=True,
        params={"case_id": case.id},
    )
    pending = pending_deadlines(case)
    next_steps = case_obligations(account, case, set(roles), pending, now, proposal)
    notice = context.notice_terms() if roles & TIMELINE_READERS else {}
    return CasePage(
        case=case,
        claimant=case.claimant,
        respondent=case.respondent,
        mediator_name=case.mediator.display_name if case.mediator else None,
        listings=[locator for _id, locator in listings],
        roles=roles,
        procedure=procedure,
        procedure_view=case_procedure_view(case),
        deadlines=_deadlines(case, roles, now, pending),
        actions=[t.name for t in allowed_transitions(case, set(roles), now)],
        filing_kinds=filing_kinds,
        filing_language=party.preferred_language if party else "",
        counter_notice_elements=counter_notice_elements(case) if FilingKind.COUNTER_NOTICE in filing_kinds else [],
        counter_notice_warnings=counter_notice_warnings(case) if FilingKind.COUNTER_NOTICE in filing_kinds else [],
        proposal=proposal_view(proposal, account, case, roles, now) if proposal else None,
        filings=filing_rows(
            filings,
            case,
            {
                f.id
                for f in filings
                if f.kind == FilingKind.OFFER and allows(services.check_may_accept_offer, account, case, f, set(roles))
            },
        ),
        evidence=evidence,
        events=timeline_entries(events),
        may=CaseMay(
            file=bool(filing_kinds),
            read_timeline=bool(roles & TIMELINE_READERS),
            download_export=bool(roles & {CaseRole.COURT, CaseRole.ADMIN}) and case.court_party_id is not None,
        ),
        languages=FILING_LANGUAGES,
        submission_key=uuid.uuid4().hex,
        form=form,
        panels=panels,
        next=next_steps,
        default_kind=form.value("kind", kind if kind in {k.value for k in filing_kinds} else ""),
        notice_elements=notice_elements(roles, notice),
        identity_verified=identity_verified(roles, notice),
        report_steps=report_forms(case, set(roles), now),
        # The court's decision is the court's next step: its section stands open.
        open_section=section_of(form.name)
        or ("court" if any(o.kind == "court_decision" for o in next_steps.mine) else ""),
        filing_pages=filing_pages,
        event_pages=event_pages,
        event_count=events[0].event_count if events else db.session.scalar(_EVENT_COUNT, {"case_id": case.id}) or 0,
    )


def _deadlines(case: Case, roles: frozenset[str], now: datetime, pending: list[Deadline]) -> list[DeadlineView]:
    explained = deadlines_view(case, instants=True, pending=pending)
    # Pause requests wait on deadlines whose rule allows an extension; read only when one is shown.
    requests = pending_pause_requests(case) if any(d.get("extension") for d in explained) else []
    views = []
    for d in explained:
        extension, running = d.get("extension") or {}, now <= d["instant"]
        waiting = [r for r in requests if r.deadline_id == d["id"]]
        views.append(
            DeadlineView(
                id=d["id"],
                explained=d,
                may_extend=bool(extension and set(extension["roles"]) & roles and running),
                may_request_pause=bool(
                    extension and set(extension["requested_by"]) & roles and running and not waiting
                ),
                pause_requests=waiting if extension and set(extension["roles"]) & roles and running else [],
            )
        )
    return views


def proposal_view(filing: Filing, account: Account, case: Case, roles: frozenset[str], now: datetime) -> ProposalView:
    return ProposalView(
        id=filing.id,
        text=filing.text,
        terms=filing.terms or {},
        acceptances=len(filing.acceptances),
        text_sha256=services.text_sha256(filing),
        # An agreement is signed on its own page (name, capacity, place, password), never in one click.
        may_accept=not services.is_agreement(filing)
        and allows(services.check_may_accept, account, case, filing, set(roles), now),
    )


# -- confirming an irreversible step ------------------------------------------------------------


@dataclass(frozen=True)
class ConfirmStepPage:
    case: Case
    action: str  # the transition
    consequences: list[str]  # what will happen, in the reader's language
    court: str  # where an escalation goes (the jurisdiction's escalation body), or ""


def confirm_step_page(account: Account, case_id: int, action: str, now: datetime | None = None) -> ConfirmStepPage:
    """The page that says what a step will do before the reader takes it; NotFound for a step not open to them."""
    case = get_case(account, case_id)
    now = now or utcnow()
    names = {t.name for t in allowed_transitions(case, case_roles(account, case), now)}
    if action not in names:
        raise NotFound(_("This step is not open to you in this case now."))
    procedure = procedure_of(case)
    transition = procedure.transition(action)
    escalates = transition is not None and "export_to_court" in procedure.states[transition.target].on_enter
    jurisdiction = jurisdictions.get(case.jurisdiction)
    return ConfirmStepPage(
        case=case,
        action=action,
        consequences=step_consequences(procedure, action),
        court=jurisdiction.escalation_body if escalates and jurisdiction else "",
    )


# The fields a confirmation page does not carry back: its own buttons, the token (the page has its own) and the
# kept files (carried as the rows still kept).
NOT_CARRIED = {"csrf_token", "confirmed", "edit", "kept_upload", "remove_upload", "evidence", "document"}


@dataclass
class ConfirmSubmissionPage:
    """A filled form that takes effect at once (a counter-notice, a court's decision), shown back before it is
    filed: what it says, what will happen, and the typed values and kept files it carries (no script needed)."""

    case: Case
    heading: str
    summary: list[tuple[str, str]]  # (label, value) of what was typed, in the reader's language
    consequences: list[str]
    action_url: str
    hidden: list[tuple[str, str]]
    attached: tuple
    confirm_label: str


def carried(values) -> list[tuple[str, str]]:
    """The typed values a confirmation page posts back, as they were sent."""
    return [(k, v) for k, v in values.items(multi=True) if k not in NOT_CARRIED]


def next_periods(procedure: Procedure, state: str, at) -> list[str]:
    """The periods that start when the case enters ``state``, each with its length, its rule and what happens
    when it runs out (e.g. the listings restored after 10 business days unless the right holder sues)."""
    lines = []
    for timer in procedure.timers_for(state, at.date()):
        length = UNIT_NAMES.get(timer.period.unit, lambda n: str(n))(timer.period.count)
        if timer.period.latest:
            length = _(
                "%(length)s (at most %(latest)s)",
                length=length,
                latest=UNIT_NAMES.get(timer.period.unit, lambda n: str(n))(timer.period.latest),
            )
        then, _actions = consequence(procedure, timer, timer.target)
        citation = f"{timer.citation.instrument} {timer.citation.article}".strip()
        lines.append(
            _(
                "A period starts: %(title)s, %(length)s (%(citation)s). %(then)s",
                title=timer_label(timer.name),
                length=length,
                citation=citation,
                then=then,
            )
        )
    return lines


def counter_notice_consequences(case: Case, transition: str | None, now: datetime | None = None) -> list[str]:
    """What filing a counter-notice does in this case's procedure: the step, then the periods it starts."""
    procedure = procedure_of(case)
    lines = [_("Your counter-notice is filed and sent to the right holder; it cannot be withdrawn.")]
    if transition is None:
        return lines
    lines += step_consequences(procedure, transition)
    step = procedure.transition(transition)
    if step is not None:
        lines += next_periods(procedure, step.target, now or utcnow())
    return lines


def _shown(value: str) -> str:
    return _("Yes") if value == "on" else value


def counter_notice_confirm_page(
    account: Account, case_id: int, values, attached: tuple, transition: str | None, action_url: str
) -> ConfirmSubmissionPage:
    """The counter-notice as typed, and what filing it does next in this case's procedure."""
    case = get_case(account, case_id)
    language = values.get("language", "")
    summary = [(_("Text"), values.get("text", "")), (_("Language"), locale_name(language) if language else "")]
    summary += [
        (element_label(k.split(".", 1)[1]), _shown(v)) for k, v in values.items() if k.startswith("elements.") and v
    ]
    return ConfirmSubmissionPage(
        case=case,
        heading=_("File this counter-notice?"),
        summary=summary,
        consequences=counter_notice_consequences(case, transition),
        action_url=action_url,
        hidden=carried(values),
        attached=attached,
        confirm_label=_("Yes: file the counter-notice"),
    )


# -- the guided notice (odr/cases/drafts.py) -------------------------------------------------------

GUIDED_STEPS = {
    "right": _l("Your right and the listings"),
    "procedure": _l("The procedure that applies"),
    "elements": _l("What the procedure asks"),
    "summary": _l("Check and file"),
}


@dataclass(frozen=True)
class GuidedStep:
    name: str
    label: str
    number: int
    reached: bool  # the draft's input has passed the steps before it: a link goes there
    current: bool


@dataclass(frozen=True)
class DraftRow:
    id: int
    title: str
    step: str  # the step to continue at
    step_label: str
    updated_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class ProcedureExplained:
    """Which procedure a notice would open, and why, before anything of it is asked."""

    title: str
    code: str
    version: str
    rule: dict
    jurisdiction: str  # the governing jurisdiction's code (the template names it)
    chosen_jurisdiction: str
    reasons: list[str]
    first_state: str
    on_filing: list[str]  # what filing does at once (the seller is told, measures the rules take)
    periods: list[str]  # the periods that start, how long, by which rule, and what happens when they run out
    asked: list[str]  # the elements the next step will ask for


@dataclass(frozen=True)
class GuidedPage:
    step: str
    steps: list[GuidedStep]
    form: FormState
    draft_id: int | None = None
    drafts: list[DraftRow] = field(default_factory=list)
    jurisdictions: list[str] = field(default_factory=list)
    right_types: list[RightType] = field(default_factory=list)
    product_categories: list[tuple[str, str]] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    procedure: ProcedureExplained | None = None
    elements: list[dict] = field(default_factory=list)
    measures: list[dict] = field(default_factory=list)
    summary: list[tuple[str, str]] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    submission_key: str = ""
    suspension: AccountMeasure | None = None
    has_profile: bool = False  # the reader has a rights profile to fill the elements in from
    start_key: str = ""  # the first page's key: sent twice, it starts one draft

    @property
    def current(self) -> GuidedStep:
        return next(s for s in self.steps if s.current)

    @property
    def fields(self) -> list[str]:
        """The service's names of the fields this step shows; a refusal of any other is listed at its end."""
        if self.step == "right":
            return list(RIGHT_STEP_ERRORS)
        return [
            "language",
            "text",
            "remedy_sought",
            "evidence",
            "territories",
            "measure",
            "measure.kind",
            "measure.regions",
            "measure.element",
        ] + [f"elements.{element['name']}" for element in self.elements]


RIGHT_STEP_ERRORS = drafts.RIGHT_ERRORS


def draft_rows(account: Account, now: datetime) -> list[DraftRow]:
    """The reader's drafts, to continue each where it stands."""
    return [
        DraftRow(
            id=d.id,
            title=drafts.fields_of(d).get("title") or _("(untitled)"),
            step=d.step,
            step_label=str(GUIDED_STEPS.get(d.step, d.step)),
            updated_at=d.updated_at,
            expires_at=d.expires_at,
        )
        for d in drafts.own_drafts(account, now)
    ]


def _choice(values: dict, at: datetime):
    """The procedure the draft's notice would open now, or None while its right is not chosen."""
    jurisdiction = jurisdictions.get(values.get("jurisdiction") or "")
    right_type = values.get("right_type") or ""
    if jurisdiction is None or right_type not in {r.value for r in RightType}:
        return None
    fields: dict[str, str] = {}
    market = check_market(values.get("target_market"), fields)
    return None if fields else choose_procedure(jurisdiction, right_type, market, at)


def _explained(choice, right_type: str, chosen: str, at: datetime) -> ProcedureExplained:
    procedure = choice.procedure
    state = procedure.states.get(procedure.initial)
    actions = [str(ACTION_CONSEQUENCES[a]) for a in (state.on_enter if state else ()) if a in ACTION_CONSEQUENCES]
    on_filing = [
        _(
            "The case opens in the stage “%(state)s”, and the seller is told of your notice.",
            state=state_label(procedure.initial),
        )
    ]
    if actions:
        on_filing.append(_("At once: %(what)s.", what=list_format(actions)))
    day = at.astimezone(ZoneInfo(choice.time_zone)).date()
    return ProcedureExplained(
        title=procedure_label(procedure.code, procedure.title),
        code=procedure.code,
        version=procedure.version,
        rule=procedure.citation.as_dict(),
        jurisdiction=choice.jurisdiction.code,
        chosen_jurisdiction=chosen,
        reasons=choice.texts(),
        first_state=state_label(procedure.initial),
        on_filing=on_filing,
        periods=next_periods(procedure, procedure.initial, at),
        asked=[e["label"] for e in notice_form_elements(choice.jurisdiction, right_type, day)],
    )


def _steps(current: str, draft: NoticeDraft | None) -> list[GuidedStep]:
    return [
        GuidedStep(
            name=name,
            label=str(GUIDED_STEPS[name]),
            number=number,
            reached=draft is not None and drafts.reached(draft, name),
            current=name == current,
        )
        for number, name in enumerate(drafts.STEPS, start=1)
    ]


def _shown_value(name: str, value: str, elements: dict[str, dict]) -> str:
    element = elements.get(name)
    if element and element["kind"] == "confirmation":
        return _("Yes") if value else ""
    if element and element["kind"] == "choice":
        return dict(element["options"]).get(value, value)
    return value


def guided_page(
    account: Account, step: str, draft_id: int | None = None, form: FormState | None = None, now: datetime | None = None
) -> GuidedPage:
    """A step of the guided notice for the draft's owner (another reader's draft answers like a missing one):
    the step's form with what the draft holds (or, refused, what was typed), and what the step explains."""
    now = now or utcnow()
    draft = drafts.get_draft(account, draft_id, now) if draft_id is not None else None
    values = drafts.fields_of(draft) if draft is not None else {}
    if form is None:
        attached, attached_elements = drafts.kept_files(account, draft) if draft is not None else ((), {})
        form = FormState("draft", MultiDict(values), {}, attached, attached_elements)
    elif draft is not None and not form.attached and not form.attached_elements:
        attached, attached_elements = drafts.kept_files(account, draft)
        form = replace(form, attached=attached, attached_elements=attached_elements)
    page = GuidedPage(
        step=step,
        steps=_steps(step, draft),
        form=form,
        draft_id=draft.id if draft is not None else None,
        suspension=notice_processing_suspension(account),
    )
    if step == "right":
        every = jurisdictions.all_jurisdictions()
        return replace(
            page,
            drafts=[d for d in draft_rows(account, now) if draft is None or d.id != draft.id],
            start_key=uuid.uuid4().hex,
            jurisdictions=list(every),
            right_types=list(RightType),
            product_categories=[(code, str(title)) for code, title in PRODUCT_CATEGORIES.items()],
            languages=FILING_LANGUAGES,
        )
    choice = _choice(values, now)
    if choice is None:
        raise NotFound(_("This draft does not exist, or it has expired."))
    right_type = values["right_type"]
    day = now.astimezone(ZoneInfo(choice.time_zone)).date()
    elements = notice_form_elements(choice.jurisdiction, right_type, day)
    page = replace(
        page,
        has_profile=profiles.get_profile(account) is not None,
        procedure=_explained(choice, right_type, values["jurisdiction"], now),
        elements=elements,
        languages=FILING_LANGUAGES,
        measures=[m for m in measure_catalogue([choice.procedure]) if m["allowed_by"]],
    )
    if step != "summary":
        return page
    by_name = {e["name"]: e for e in elements}
    summary = [
        (_("Jurisdiction"), jurisdictions.jurisdiction_name(values.get("jurisdiction"))),
        (_("Type of right"), RightType(right_type).label),
        (_("Short title"), values.get("title", "")),
        (_("What the goods are"), str(PRODUCT_CATEGORIES.get(values.get("product_category") or "general", ""))),
        (_("Market the listing targets"), values.get("target_market", "")),
        (_("Seller's e-mail address"), values.get("respondent_email", "")),
        (_("Seller's name or shop name"), values.get("respondent_name", "")),
        (_("Seller's country"), values.get("respondent_country", "")),
        (
            _("Seller's language"),
            locale_name(values["respondent_language"]) if values.get("respondent_language") else "",
        ),
    ]
    summary += [
        (element["label"], _shown_value(element["name"], values.get(f"elements.{element['name']}", ""), by_name))
        for element in elements
        if element["kind"] != "file"
    ]
    summary += [
        (element["label"], form.attached_elements[element["name"]].original_name)
        for element in elements
        if element["kind"] == "file" and element["name"] in form.attached_elements
    ]
    summary += [
        (_("Language of your statement"), locale_name(values["language"]) if values.get("language") else ""),
        (_("What is infringed, and how"), values.get("text", "")),
        (_("What you ask for"), values.get("remedy_sought", "")),
        (_("Countries where the right is held"), values.get("territories", "")),
    ]
    measure = values.get("measure.kind")
    if measure:
        summary.append((_("Measure you ask for"), notice_measure_label(measure)))
    return replace(
        page,
        summary=[(str(label), str(value)) for label, value in summary if value],
        listings=[line.strip() for line in (values.get("listings") or "").splitlines() if line.strip()],
        evidence=[item.original_name for item in form.attached],
        warnings=notice_warnings(choice.jurisdiction, right_type),
        submission_key=str((draft.data or {}).get("key", "")) if draft is not None else "",
    )


# -- the rights profile (odr/cases/profiles.py) ------------------------------------------------------


@dataclass(frozen=True)
class RightsProfilePage:
    form: FormState  # what the profile holds, or what a refused form sent
    documents: dict[str, str]  # kind -> the stored document's name
    document_labels: list[tuple[str, str]]
    updated_at: datetime | None = None
    review: str = ""  # where the platform's check stands, in words
    refusal_reason: str = ""


def review_state(profile: RightsProfile | None) -> str:
    """Where the platform's check of a rights profile stands, in words (empty: nothing to check yet)."""
    if profile is None or not profile.review_status:
        return ""
    if profile.review_status == verification.VERIFIED and profile.reviewed_at:
        return _("Verified by the platform on %(date)s.", date=format_date(profile.reviewed_at, "long"))
    if profile.review_status == verification.REFUSED:
        return _("Refused by the platform. Correct the profile and save it to have it checked again.")
    return _("Waiting for the platform to check your identity, registrations and documents.")


def rights_profile_page(account: Account, form: FormState = BLANK) -> RightsProfilePage:
    profile = profiles.get_profile(account)
    if not form.values:
        values = {name: getattr(profile, name) or "" for name in profiles.TEXT_FIELDS} if profile else {}
        form = FormState("profile", MultiDict(values), dict(form.errors))
    return RightsProfilePage(
        form=form,
        documents={kind: row.original_name for kind, row in profiles.documents(account).items()},
        document_labels=rights_profile_labels(),
        updated_at=profile.updated_at if profile else None,
        review=review_state(profile),
        refusal_reason=profile.refusal_reason if profile and profile.review_status == verification.REFUSED else "",
    )


# -- the platform's check of rights profiles (odr/cases/verification.py), for administrators -------------


@dataclass(frozen=True)
class ProfileRow:
    id: int
    identity: str
    holder: str
    waiting_since: datetime | None


@dataclass(frozen=True)
class ProfileReviewList:
    rows: list[ProfileRow]
    next_cursor: str | None


def profile_review_list(account: Account, cursor: str | None = None) -> ProfileReviewList:
    page = verification.waiting_profiles(account, cursor=cursor)
    holders = {
        a.id: a for a in db.session.scalars(select(Account).where(Account.id.in_([p.account_id for p in page.items])))
    }
    rows = [ProfileRow(p.id, p.identity, _account_name(holders.get(p.account_id)), p.waiting_since) for p in page.items]
    return ProfileReviewList(rows=rows, next_cursor=page.next_cursor)


def _account_name(account: Account | None) -> str:
    if account is None:
        return ""
    return f"{account.display_name} <{account.email}>"


@dataclass(frozen=True)
class ProfileReviewPage:
    id: int
    holder: str
    fields: list[tuple[str, str]]  # (label, what the profile says)
    documents: list[tuple[str, str, str]]  # (kind, label, the uploaded name: shown, never trusted)
    review: str
    refusal_reason: str
    waiting: bool
    form: FormState
    seen: str = ""  # the version read: a decision on a profile changed since is refused


def profile_review_page(account: Account, profile_id: int, form: FormState = BLANK) -> ProfileReviewPage:
    profile = verification.profile_for_review(account, profile_id)
    holder = db.session.get(Account, profile.account_id)
    held = {
        row.kind: row
        for row in db.session.scalars(select(RightsDocument).where(RightsDocument.account_id == profile.account_id))
    }
    labels = dict(rights_profile_labels())
    return ProfileReviewPage(
        id=profile.id,
        holder=_account_name(holder),
        fields=[
            (_("Identity"), profile.identity),
            (_("Registrations"), profile.registrations),
            (_("Contact details"), profile.contact),
            (_("Person authorised to sign notices"), profile.signatory),
        ],
        documents=[(kind, labels[kind], held[kind].original_name) for kind in profiles.DOCUMENT_KINDS if kind in held],
        review=review_state(profile),
        refusal_reason=profile.refusal_reason,
        waiting=profile.review_status == verification.WAITING,
        form=form,
        seen=verification.seen_mark(profile),
    )


def rights_profile_labels() -> list[tuple[str, str]]:
    return [
        ("right_certificate", element_label("right_certificate")),
        ("authorisation", _("Authorisation to act for the right holder (if you represent it)")),
    ]


# -- notices from a spreadsheet (odr/cases/csv_upload.py) ------------------------------------------


@dataclass(frozen=True)
class CsvColumn:
    name: str
    meaning: str
    required: bool = False


def csv_columns() -> list[CsvColumn]:
    """The columns of a CSV of listings: the fields of a notice as the batch API takes them."""
    every = jurisdictions.all_jurisdictions()
    meanings = {
        "item_key": _("Your own key for the row (at most 100 characters): a file sent again files the row once."),
        "jurisdiction": _("Where the notice is filed: %(codes)s.", codes=", ".join(sorted(every))),
        "right_type": _("trademark, copyright, patent or design."),
        "title": _("A short title of the notice."),
        "text": _("Your statement: which right, and how the listing infringes it."),
        "language": _("The language of the statement, as a code such as es; detected when empty."),
        "listings": _(
            "The listing: its URL or platform ID, optionally followed by “ | ” and its title. One listing per row."
        ),
        "product_category": _("What the goods are: %(codes)s.", codes=", ".join(PRODUCT_CATEGORIES)),
        "remedy_sought": _("What you ask for."),
        "target_market": _("The country the listing targets, where it differs from the jurisdiction."),
        "territories": _("Where the right is held: two-letter codes separated by commas."),
        "respondent.email": _("The seller's e-mail address."),
        "respondent.name": _("The seller's name, country and language: needed when the seller is new here."),
        "measure.kind": _("The measure asked for, where the procedure allows one, with its regions or element."),
        "language_confirmed": _("“yes” to confirm the declared language where the text seems to be in another."),
    }
    shared = {
        "respondent.country": "respondent.name",
        "respondent.language": "respondent.name",
        "measure.regions": "measure.kind",
        "measure.element": "measure.kind",
    }
    return [CsvColumn(name, meanings[shared.get(name, name)], name in CSV_REQUIRED) for name in CSV_COLUMNS]


@dataclass(frozen=True)
class CsvUploadPage:
    columns: list[CsvColumn]
    elements: list[dict]  # the notice elements, each a column ``elements.<name>`` (a file's: its name)
    file_elements: list[dict]
    max_files: int
    max_rows: str
    max_mb: int
    form: FormState


def csv_upload_page(account: Account, form: FormState = BLANK) -> CsvUploadPage:
    catalogue = element_catalogue(jurisdictions.all_jurisdictions())
    return CsvUploadPage(
        columns=csv_columns(),
        elements=catalogue,
        file_elements=[e for e in catalogue if e["kind"] == "file"],
        max_files=services.MAX_UPLOADS,
        max_rows=format_number(MAX_ITEMS),
        max_mb=csv_upload.csv_limit() // (1024 * 1024),
        form=form,
    )


@dataclass(frozen=True)
class CsvRow:
    line: int | None
    status: str  # created (will be filed) | replayed (filed already) | refused (has errors)
    message: str = ""
    errors: list[tuple[str, str]] = field(default_factory=list)  # (column, message)
    case: Case | None = None


@dataclass(frozen=True)
class CsvCase:
    """A case the upload will open: its seller, title and listings, and the lines they come from."""

    seller: str
    title: str
    listings: int
    lines: list[int]


@dataclass(frozen=True)
class CsvPreviewPage:
    token: str
    file_name: str
    rows: int
    to_file: int
    filed_already: int
    with_errors: int
    cases: list[CsvCase]
    refused: list[CsvRow]
    filed: list[CsvRow]
    files: list[str]  # uploaded with the CSV
    unnamed_files: list[str]  # uploaded with it and named by no row: not filed

    @property
    def may_confirm(self) -> bool:
        return self.to_file > 0


def csv_preview_page(account: Account, token: str) -> CsvPreviewPage:
    found = csv_upload.preview(account, token)
    results = found.planned.results
    filed_ids = {r.case_id for r in results if r.status == "replayed" and r.case_id is not None}
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(filed_ids)))} if filed_ids else {}
    refused = [
        CsvRow(
            r.line,
            r.status,
            (r.error or {}).get("message", ""),
            [(name, str(message)) for name, message in (r.error or {}).get("fields", {}).items() if name != "line"],
        )
        for r in results
        if r.status == "refused"
    ]
    filed = [CsvRow(r.line, r.status, case=cases.get(r.case_id or 0)) for r in results if r.status == "replayed"]
    return CsvPreviewPage(
        token=token,
        file_name=found.upload.original_name,
        rows=len(results),
        to_file=sum(r.status == "created" for r in results),
        filed_already=len(filed),
        with_errors=len(refused),
        cases=[
            CsvCase(
                seller=group.draft.respondent.contact_email or "",
                title=group.draft.title,
                listings=group.listings,
                lines=[r.line for r in group.results if r.line is not None],
            )
            for group in found.planned.groups
        ],
        refused=refused,
        filed=filed,
        files=found.files,
        unnamed_files=found.unnamed_files,
    )
