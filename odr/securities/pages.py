"""View model of a case's security page: the terms of its jurisdiction, the offers and their fate."""

from __future__ import annotations

from dataclasses import dataclass

from odr.accounts.models import Account
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case
from odr.config import FILING_LANGUAGES
from odr.securities import services
from odr.securities.models import DOCUMENT_TITLES, SecurityStatus, SellerSecurity
from odr.vocabulary import CaseRole


@dataclass
class SecurityView:
    security: SellerSecurity
    status_title: str
    ground_title: str
    document_title: str
    document_sha256: str
    may_decide: bool


@dataclass
class SecurityPage:
    case: Case
    terms: dict
    securities: list[SecurityView]
    is_seller: bool
    why_not: str | None  # why the seller cannot offer now (None: it can)
    documents: list[tuple[str, str]]
    languages: list[str]


def security_page(account: Account, case_id: int) -> SecurityPage:
    case = get_case(account, case_id)
    roles = case_roles(account, case)
    may_decide = services.may_decide(account, case)
    return SecurityPage(
        case=case,
        terms=services.terms_json(case),
        securities=[
            SecurityView(
                security=s,
                status_title=s.status_label,
                ground_title=str(services.RELEASE_GROUNDS.get(s.release_ground, "")),
                document_title=s.document_title,
                document_sha256=s.document.sha256,
                may_decide=may_decide and s.status == SecurityStatus.OFFERED,
            )
            for s in services.securities_of(case)
        ],
        is_seller=CaseRole.RESPONDENT in roles,
        why_not=services.why_not_offer(case),
        documents=[(kind, str(DOCUMENT_TITLES.get(kind, kind))) for kind in services.policy().documents],
        languages=FILING_LANGUAGES,
    )
