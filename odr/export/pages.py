"""What the court sees: its inbox of exported bundles, and its panel on the case page (view models)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from odr.accounts.models import Account, Party
from odr.cases.access import get_case
from odr.cases.models import Case
from odr.cases.pages import (
    TIMELINE_READERS,
    CaseContext,
    ConfirmSubmissionPage,
    allows,
    carried,
    case_panel,
    next_periods,
)
from odr.export import court
from odr.export.models import CaseExport, CourtDecision
from odr.export.services import exports_for_court, pinned_key_id
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.models_base import utcnow
from odr.procedure.services import procedure_of
from odr.procedure.titles import listing_measure_label
from odr.todo.services import step_consequences
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
    if context.case.court_party_id is None:
        return None  # never exported: an export names its court on the case in the transaction that writes it
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


OUTCOME_LABELS = {
    "upheld": _l("Claim upheld"),
    "partly_upheld": _l("Claim partly upheld"),
    "dismissed": _l("Claim dismissed"),
}
PAYER_LABELS = {"respondent": _l("Seller"), "claimant": _l("Right holder")}


def decision_confirm_page(
    account: Account, case_id: int, data: dict, values, attached: tuple, transition: str | None, action_url: str
) -> ConfirmSubmissionPage:
    """The court's decision as typed, and what recording it does: the outcome, the measure on the listings, the
    amounts, the case closed and the decision carried out by the platform."""
    case = get_case(account, case_id)
    measure = listing_measure_label(data["listing_measure"])
    summary = [
        (_("Outcome"), str(OUTCOME_LABELS.get(data["outcome"], data["outcome"]))),
        (_("What happens to the listings"), measure),
    ]
    for key, label in (
        ("regions", _("Regions")),
        ("element", _("Element to remove")),
        ("instructions", _("Modification ordered")),
        ("court_reference", _("Court's case number")),
    ):
        if data.get(key):
            summary.append((label, data[key]))
    lines = [_("The decision is recorded as the court's, with the signed document, and served on both parties.")]
    lines.append(_("The platform carries out the decision on the listings: %(measure)s.", measure=measure))
    for amount in data.get("amounts") or []:
        text = _(
            "%(payer)s pays %(amount)s %(currency)s (%(reason)s).",
            payer=PAYER_LABELS.get(amount["payer"], amount["payer"]),
            amount=amount["amount"],
            currency=amount["currency"],
            reason=amount.get("reason") or "—",
        )
        summary.append((_("Amount ordered"), text))
        lines.append(text)
    summary.append((_("Operative part of the decision"), data.get("text") or ""))
    procedure = procedure_of(case)
    lines += step_consequences(procedure, transition) if transition else []
    step = procedure.transition(transition) if transition else None
    if step is not None:
        lines += next_periods(procedure, step.target, utcnow())
    lines.append(_("The case closes: the decision cannot be changed on the platform afterwards."))
    return ConfirmSubmissionPage(
        case=case,
        heading=_("Record this decision?"),
        summary=summary,
        consequences=lines,
        action_url=action_url,
        hidden=carried(values),
        attached=attached,
        confirm_label=_("Yes: record the decision"),
    )
