"""View models of the conduct pages: a record, a case's records and wrongful-notice claim, appeals."""

from __future__ import annotations

from dataclasses import dataclass, field

from odr.accounts.models import Account, Role
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case
from odr.conduct import services
from odr.conduct.models import AccountMeasure, ClaimStatus, MeasureStatus, WrongfulNoticeClaim
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
class CaseConductPage:
    case: Case
    records: dict[str, services.Record]  # empty for the parties themselves
    claim: WrongfulNoticeClaim | None
    may_claim: bool
    may_decide: bool
    statuses: list[tuple[str, str]]
    languages: list[str]


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
    )


def appeals_page(account: Account) -> list[MeasureView]:
    return (
        [
            MeasureView(m, services.measure_title(m.kind), services.measure_status_title(m.status), False)
            for m in services.pending_appeals(account)
        ]
        if account.role == Role.ADMIN
        else []
    )
