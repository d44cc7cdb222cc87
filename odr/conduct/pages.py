"""View models of the conduct pages: a record, a case's records and wrongful-notice claim, appeals."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam

from odr.accounts.models import Account, Role
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case, product_category_title
from odr.cases.pages import CaseContext, case_panel, case_rows
from odr.conduct import health_safety, services, triage
from odr.conduct.models import (
    AccountMeasure,
    ClaimStatus,
    HealthSafetyScreen,
    MeasureStatus,
    NoticeTriage,
    ScreenStatus,
    WrongfulNoticeClaim,
)
from odr.config import FILING_LANGUAGES
from odr.vocabulary import CaseRole


@dataclass
class MeasureView:
    measure: AccountMeasure
    title: str
    status_title: str
    may_appeal: bool

    @property
    def strikes(self) -> list[tuple[str, str, str]]:
        """The strikes the statement of reasons counted: case, ground in the reader's words, day."""
        return [
            (s["case_reference"], services.strike_ground_title(s["ground"]), s["at"][:10])
            for s in self.measure.reasons.get("strikes", [])
        ]


@dataclass
class RecordPage:
    record: services.Record
    own: bool
    measures: list[MeasureView] = field(default_factory=list)
    good_faith: dict | None = None  # the notifier's standing against the good-faith criteria


def _measures(account: Account, record: services.Record) -> list[MeasureView]:
    return [
        MeasureView(
            measure=m,
            title=services.measure_title(m.kind),
            status_title=services.measure_status_title(m.status),
            may_appeal=account.party_id == m.party_id and m.status == MeasureStatus.IN_FORCE and m.appealed_at is None,
        )
        for m in record.measures
    ]


def record_page(account: Account, party_id: int | None = None) -> RecordPage:
    record = services.own_record(account) if party_id is None else services.record_for(account, party_id)
    return RecordPage(
        record=record,
        own=record.party.id == account.party_id,
        measures=_measures(account, record),
        good_faith=services.good_faith_standing(record.party),
    )


@dataclass
class RegistryPage:
    flaggers: list
    citation: dict


def registry_page() -> RegistryPage:
    return RegistryPage(
        flaggers=services.trusted_flaggers(), citation=services.policy().trusted_flaggers.citation.as_dict()
    )


@dataclass
class HealthSafetyView:
    """The fast track of one case, as every participant sees it; ``may_decide``: a reviewer or the mediator."""

    screen: HealthSafetyScreen
    categories: list[str]  # titles in the reader's language
    may_clear: bool
    may_confirm: bool

    @property
    def status(self) -> str:
        return self.screen.status

    @property
    def on_track(self) -> bool:
        return self.screen.status != ScreenStatus.CLEARED


@dataclass
class TriageView:
    """The triage score for reviewers and mediators: components, weights and why each counts."""

    row: NoticeTriage
    suggestion: str
    components: list[tuple[str, float, float, str]]  # title, value, weight, explanation


@dataclass
class CaseConductPage:
    case: Case
    records: dict[str, services.Record]  # empty for the parties themselves
    claim: WrongfulNoticeClaim | None
    may_claim: bool
    may_decide: bool
    statuses: list[tuple[str, str]]
    languages: list[str]
    health_safety: HealthSafetyView | None = None
    triage: TriageView | None = None
    triage_used: bool = False  # said to everyone: a score ordered the queues for this notice


def health_safety_view(account: Account, case: Case) -> HealthSafetyView | None:
    found = health_safety.screen_of(case)
    if found is None:
        return None
    open_ = found.status == ScreenStatus.EXPEDITED
    roles = case_roles(account, case)
    deciders = {health_safety.DECIDER_ROLES[d] for d in health_safety.health_safety_policy().deciders}
    return HealthSafetyView(
        screen=found,
        categories=[product_category_title(c) for c in found.categories],
        may_clear=open_ and bool(roles & health_safety.CLEARING_ROLES),
        may_confirm=open_ and bool(roles & deciders),
    )


def triage_view(account: Account, case: Case) -> TriageView | None:
    """Only for reviewers, mediators and the court: the figures come from the parties' records."""
    row = triage.triage_of(case)
    if row is None or not case_roles(account, case) & {CaseRole.MEDIATOR, CaseRole.ADMIN, CaseRole.COURT}:
        return None
    rules = triage.triage_policy()
    return TriageView(
        row=row,
        suggestion=str(triage.SUGGESTIONS[row.suggestion]),
        components=[
            (
                str(triage.COMPONENT_TITLES[name]),
                row.components[name]["value"],
                row.components[name]["weight"],
                rules.explanations[name],
            )
            for name in triage.COMPONENTS
        ],
    )


def case_conduct_page(account: Account, case_id: int) -> CaseConductPage:
    case = get_case(account, case_id)
    roles = case_roles(account, case)
    records = (
        services.case_records(account, case_id) if roles & {CaseRole.MEDIATOR, CaseRole.ADMIN, CaseRole.COURT} else {}
    )
    claims = services.claims_of_case(case)
    claim = claims[0] if claims else None
    return CaseConductPage(
        case=case,
        records=records,
        claim=claim,
        may_claim=claim is None and CaseRole.RESPONDENT in roles,
        may_decide=claim is not None
        and claim.status == ClaimStatus.CLAIMED
        and services.may_decide_claim(account, case),
        statuses=[(s.value, s.label) for s in ClaimStatus if s != ClaimStatus.CLAIMED],
        languages=FILING_LANGUAGES,
        health_safety=health_safety_view(account, case),
        triage=triage_view(account, case),
        triage_used=triage.triage_of(case) is not None,
    )


@dataclass
class ConductPanel:
    """On the case page: whether the fast track applies and whether a triage score ordered the queues."""

    health_safety: HealthSafetyView | None
    triage_used: bool


@case_panel("conduct")
def _panel(context: CaseContext) -> ConductPanel | None:
    view = health_safety_view(context.account, context.case) if context.has_rows("health_safety") else None
    used = context.has_rows("triage")
    if view is None and not used:
        return None
    return ConductPanel(health_safety=view, triage_used=used)


# The panel's rows, read only for a case that has them (most have no screen).
case_rows("health_safety", HealthSafetyScreen.case_id == bindparam("case_id"))
case_rows("triage", NoticeTriage.case_id == bindparam("case_id"))


def appeals_page(account: Account) -> list[MeasureView]:
    return (
        [
            MeasureView(m, services.measure_title(m.kind), services.measure_status_title(m.status), False)
            for m in services.pending_appeals(account)
        ]
        if account.role == Role.ADMIN
        else []
    )
