"""What the court sees: its inbox of exported bundles, and its panel on the case page (view models)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from odr.accounts.models import Account, Party
from odr.cases.models import Case
from odr.cases.pages import TIMELINE_READERS, CaseContext, allows, case_panel
from odr.export import court
from odr.export.models import CaseExport, CourtDecision
from odr.export.services import exports_for_court, pinned_key_id
from odr.extensions import db
from odr.vocabulary import CaseRole


@dataclass(frozen=True)
class CourtPanel:
    may_acknowledge: bool  # export.services.acknowledge: the court the case was exported to
    may_decide: bool  # export.court.check_may_decide: that court, while the procedure takes its decision
    language: str  # of the decision, preselected: the court's own

    @property
    def decision_fields(self) -> list[str]:
        return [
            "outcome",
            "listing_measure",
            "regions",
            "element",
            "instructions",
            "amounts.0.payer",
            "amounts.0.amount",
            "amounts.0.currency",
            "amounts.0.reason",
            "court_reference",
            "language",
            "text",
            "document",
        ]


@case_panel("court")
def court_panel(context: CaseContext) -> CourtPanel | None:
    if CaseRole.COURT not in context.roles:
        return None
    party = context.account.party
    return CourtPanel(
        may_acknowledge=True,
        may_decide=allows(court.check_may_decide, context.case, set(context.roles), context.now),
        language=party.preferred_language if party else "en",
    )


@dataclass(frozen=True)
class CourtStatus:
    """What the participants read once a case went to court: which court has it, and its decision as people
    read one (outcome, listings, amounts, court, reference, the signed document)."""

    court_name: str
    sent_at: datetime
    acknowledged_at: datetime | None
    decision: CourtDecision | None
    document_id: int | None  # the signed decision, downloadable from the case's evidence


@case_panel("court_status")
def court_status_panel(context: CaseContext) -> CourtStatus | None:
    if CaseRole.COURT in context.roles or not context.roles & TIMELINE_READERS:
        return None  # the court has its own panel; outsiders never get this far
    export = db.session.scalars(
        select(CaseExport).where(CaseExport.case_id == context.case.id).order_by(CaseExport.export_seq)
    ).first()
    if export is None:
        return None
    decision = db.session.scalar(select(CourtDecision).where(CourtDecision.case_id == context.case.id))
    court = db.session.get(Party, export.court_party_id)
    return CourtStatus(
        court_name=court.name if court else "",
        sent_at=export.created_at,
        acknowledged_at=export.acknowledged_at,
        decision=decision,
        document_id=decision.document_id if decision else None,
    )


@dataclass(frozen=True)
class InboxRow:
    export: CaseExport
    case: Case
    decided: bool


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    pinned_key_id: str | None  # the platform key fingerprint the court's account trusts


def inbox_page(account: Account) -> InboxPage:
    return InboxPage(
        rows=[InboxRow(export, case, decision is not None) for export, case, decision in exports_for_court(account)],
        pinned_key_id=pinned_key_id(account),
    )
