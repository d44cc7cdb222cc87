"""The court's decision coming back: recorded as the case's decision filing, carried out, case closed.

Everything happens in one transaction: the decision filing and its signed document, the
transition to `decided`, the measures and amounts handed to the parties (outbox), the
"decision_carried_out" event, and a closing bundle that extends the first one.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.filings import record_filing
from odr.cases.models import Case, EvidenceFile, Filing, FilingKind
from odr.cases.services import ConfirmFirst, Upload, discard, store_evidence, submission
from odr.errors import NotAllowed, ValidationFailed
from odr.evidence.storage import StoredFile
from odr.export.models import CourtDecision
from odr.export.services import export_to_court
from odr.extensions import db
from odr.extensions import gettext as _
from odr.idempotency import Outcome
from odr.mediation.measures import MeasureKind, order
from odr.models_base import utcnow
from odr.notifications.models import Delivery
from odr.procedure.services import case_day, procedure_of, take_transition
from odr.validation import check_country, check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

OUTCOMES = ("upheld", "partly_upheld", "dismissed")
# What the decision orders on the listings, named for what it does (Platform Rule 11). There is no default:
# a choice left blank is refused, so no decision is undone by a form's default.
DECIDED_MEASURES = ("keep_in_force", "take_down", "restore", "modify", "region_restrict", "remove_element")
PAYERS = (CaseRole.CLAIMANT.value, CaseRole.RESPONDENT.value)
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNTS = 10


def _amounts(raw, fields: dict) -> list[dict]:
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_AMOUNTS:
        fields["amounts"] = _("List at most %(n)s amounts, each with payer, amount and currency.", n=MAX_AMOUNTS)
        return []
    amounts = []
    for index, item in enumerate(raw):
        item = item if isinstance(item, dict) else {}
        where = f"amounts.{index}"
        try:
            amount = Decimal(str(item.get("amount")))
            if not amount.is_finite() or amount <= 0 or amount > Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            fields[f"{where}.amount"] = _("Enter an amount such as 1500 or 1500.50.")
            continue
        currency = str(item.get("currency") or "").upper()
        if not CURRENCY_RE.match(currency):
            fields[f"{where}.currency"] = _("Enter a three-letter currency code such as EUR.")
        payer = item.get("payer")
        if payer not in PAYERS:
            fields[f"{where}.payer"] = _("Choose who pays: claimant or respondent.")
        reason = clean_text(item.get("reason"), fields, f"{where}.reason", required=False, max_length=200)
        amounts.append(
            {
                "payer": payer,
                "payee": "respondent" if payer == "claimant" else "claimant",
                "amount": str(amount.quantize(Decimal("0.01"))),
                "currency": currency,
                "reason": reason,
            }
        )
    return amounts


def check_may_decide(case: Case, roles: set[str], at: datetime):
    """The transition the court's decision takes; NotAllowed unless these roles include the court, while the
    procedure takes its decision."""
    if CaseRole.COURT not in roles:
        raise NotAllowed(_("Only the court the case was exported to can decide it."), code="wrong_role")
    transition = procedure_of(case).transition_for_filing(case.state, FilingKind.DECISION.value, case_day(case, at))
    if transition is None or CaseRole.COURT not in transition.roles:
        raise NotAllowed(
            _("A decision can only be entered while the case is escalated to the court."), code="wrong_state"
        )
    return transition


def decide(
    account: Account,
    case_id: int,
    data: dict,
    document: Upload | None,
    *,
    key: str | None = None,
    remote_addr: str = "",
    at: datetime | None = None,
    confirmed: bool = True,
) -> Outcome:
    """Record the court's decision with its signed document, carry it out and close the case.

    Not ``confirmed`` (the web form's first submission): checked, then ``ConfirmFirst``, nothing recorded."""
    case = get_case(account, case_id, for_update=True)
    uploads = [document] if document is not None else []
    sub = submission(account, key, {"case": case_id, "decision": data}, uploads)
    replay = sub.replayed(Filing)
    if replay is not None:
        return Outcome(replay, False)
    at = at or utcnow()
    transition = check_may_decide(case, case_roles(account, case), at)

    fields: dict[str, str] = {}
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        fields["outcome"] = _("Choose the outcome: upheld, partly upheld or dismissed.")
    measure = data.get("listing_measure")
    if measure not in DECIDED_MEASURES:
        fields["listing_measure"] = _(
            "Choose what the decision orders on the listings: keep the measures in force, take down, restore, "
            "modify, restrict by region or remove one element."
        )
    details = _measure_details(measure, data, fields)
    amounts = _amounts(data.get("amounts"), fields)
    text = clean_text(data.get("text"), fields, "text")
    language = check_language(data.get("language"), fields)
    reference = clean_text(data.get("court_reference"), fields, "court_reference", required=False, max_length=100)
    if document is None:
        fields["document"] = _("Attach the signed decision document.")
    elif document.pending is not None and document.pending.media_type != "application/pdf":
        fields["document"] = _("Attach the signed decision as a PDF document: this file is not a PDF.")
    if fields:
        raise ValidationFailed(_("The decision is incomplete. Please correct the marked fields."), fields)
    if not confirmed:
        db.session.rollback()  # nothing recorded; the row lock ends
        raise ConfirmFirst(transition.name)

    terms = {
        "outcome": outcome,
        "listing_measure": measure,
        "measure_details": details,
        "amounts": amounts,
        "court_reference": reference,
    }
    filing = record_filing(
        case,
        FilingKind.DECISION,
        author=account,
        role=CaseRole.COURT,
        language=language,
        text=text,
        at=at,
        terms=terms,
        event_details={"terms": terms},
    )
    stored: list[StoredFile] = []
    try:
        store_evidence(case, filing, account, uploads, remote_addr, stored)
        db.session.flush()
        signed_document = filing_document(filing)
        # A judgment is served as the signed PDF the court issued: checked by its bytes, never by its name.
        if signed_document.media_type != "application/pdf":
            raise ValidationFailed(
                _("The decision is incomplete. Please correct the marked fields."),
                {"document": _("Attach the signed decision as a PDF document: this file is not a PDF.")},
            )
        take_transition(case, transition.name, account, {CaseRole.COURT}, at, by_filing=True)
        decision = CourtDecision(
            case_id=case.id,
            filing_id=filing.id,
            document_id=signed_document.id,
            court_party_id=case.court_party_id,
            decided_by_id=account.id,
            outcome=outcome,
            listing_measure=measure,
            amounts=amounts,
            court_reference=reference,
            decided_at=at,
        )
        db.session.add(decision)
        _carry_out(case, decision, signed_document.sha256, at)
        export_to_court(case, at)
        return sub.commit(filing, on_lost_race=lambda: discard(stored))
    except BaseException:
        db.session.rollback()
        discard(stored)
        raise


def filing_document(filing: Filing) -> EvidenceFile:
    return db.session.scalars(
        select(EvidenceFile).where(EvidenceFile.filing_id == filing.id).order_by(EvidenceFile.id)
    ).first()


def _measure_details(measure, data: dict, fields: dict) -> dict:
    """What a measure needs besides its name: the regions, the element removed, the modification."""
    if measure == "region_restrict":
        raw = data.get("regions")
        regions = [r.strip() for r in raw.split(",")] if isinstance(raw, str) else raw
        if not isinstance(regions, list) or not [r for r in regions if r]:
            fields["regions"] = _("Name the regions where the listings may not be bought (two-letter country codes).")
            return {}
        return {"regions": sorted({check_country(r, fields, "regions") for r in regions if isinstance(r, str) and r})}
    if measure == "remove_element":
        return {"element": clean_text(data.get("element"), fields, "element", max_length=500)}
    if measure == "modify":
        return {"instructions": clean_text(data.get("instructions"), fields, "instructions", max_length=2000)}
    return {}


# The measure the platform applies to every listing, for each decided measure that orders one.
MEASURE_KINDS = {
    "take_down": MeasureKind.TAKE_DOWN,
    "restore": MeasureKind.RESTORE,
    "modify": MeasureKind.MODIFY,
    "region_restrict": MeasureKind.NOT_PURCHASABLE_IN,
    "remove_element": MeasureKind.REMOVE_ELEMENT,
}


def _order_decided_measures(case, decision: CourtDecision, at: datetime) -> None:
    if decision.listing_measure == "keep_in_force":
        return  # what stands stays: nothing is ordered, nothing is undone
    ground = f"court_decision {decision.court_reference or decision.filing_id}"
    filing = db.session.get_one(Filing, decision.filing_id)
    details = (filing.terms or {}).get("measure_details") or {}
    kind = MEASURE_KINDS[decision.listing_measure]
    order(
        case,
        [{"kind": kind.value, "listing": item.locator, **details} for item in case.listings],
        at,
        ground=ground,
        filing=filing,
    )


def _carry_out(case, decision: CourtDecision, document_sha256: str, at: datetime) -> None:
    """Hand each party what the decision requires of it, and record that it was done."""
    # Each party was served the decision with what it requires of that party (the decision's delivery, which
    # carries the procedure's court_decision statement); no second mail.
    notified = sorted(
        set(
            db.session.scalars(
                select(Delivery.role).where(
                    Delivery.filing_id == decision.filing_id,
                    Delivery.role.in_([CaseRole.CLAIMANT.value, CaseRole.RESPONDENT.value]),
                )
            )
        )
    )
    _order_decided_measures(case, decision, at)
    decision.carried_out_at = at
    events.record(
        case,
        EventKind.DECISION_CARRIED_OUT,
        at,
        payload={
            "outcome": decision.outcome,
            "listing_measure": decision.listing_measure,
            "listings": len(case.listings),
            "amounts": decision.amounts,
            "notified": notified,
            "document_sha256": document_sha256,
        },
    )
