"""A seller's security to keep its listings online during the wait (Platform Rule 22).

While a measure taken on the notice stands, the seller may offer a security: an amount, in a currency and
within the limits its jurisdiction's data allow (``rules/policy/seller_security.yaml``), and the guarantee
document, kept as the case's evidence. The case's mediator or a reviewer decides with reasons. Accepted, the
listings are restored while the case runs: the order goes to the platform through the measures channel and
both parties are served the decision. The security then follows the outcome (``_follow_outcome``): forfeited
to the right holder when the notice is upheld (by a court, a neutral's decision or a settlement that restricts
the listings), returned to the seller when the notice fails, is withdrawn, or a counter-notice held.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import bindparam, select

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case, Event, EvidenceFile, FilingKind
from odr.cases.services import Upload, store_evidence, submission
from odr.conduct.health_safety import on_fast_track
from odr.conduct.services import case_facts, counter_notice_held, notice_upheld
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.idempotency import Outcome
from odr.mediation.measures import order, order_on_every_listing
from odr.mediation.models import MeasureKind
from odr.models_base import transaction_memo, utcnow
from odr.notifications.deliveries import serve
from odr.procedure.services import final_states, measures_standing
from odr.procedure.signals import consequences_due, state_entered
from odr.securities.models import SecurityStatus, SellerSecurity
from odr.securities.policy import SecurityRules, policy
from odr.validation import check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

OPEN = (SecurityStatus.OFFERED.value, SecurityStatus.ACCEPTED.value)
# Why a security was released, as the parties read it.
RELEASE_GROUNDS = {
    "court_upheld": _l("The court upheld the notice"),
    "decision_upheld": _l("A neutral's decision upheld the notice"),
    "settlement_upheld": _l("The settlement restricts the listings"),
    "withdrawn": _l("The notice was withdrawn"),
    "counter_notice_held": _l("The counter-notice held: the listings stand without the security"),
    "notice_failed": _l("The case ended without upholding the notice"),
    "case_ended": _l("The case ended before the offer was decided"),
    "measure_lifted": _l("The measure was lifted before the offer was decided"),
}


def rules_for(case: Case) -> SecurityRules:
    return policy().rules_for(case.procedure_code, case.jurisdiction)


def securities_of(case: Case) -> list[SellerSecurity]:
    return list(
        db.session.scalars(select(SellerSecurity).where(SellerSecurity.case_id == case.id).order_by(SellerSecurity.id))
    )


_OPEN_SECURITIES = select(SellerSecurity).where(
    SellerSecurity.case_id.in_(bindparam("case_ids", expanding=True)), SellerSecurity.status.in_(OPEN)
)


def _open(case: Case) -> SellerSecurity | None:
    """The case's open security, read once per transaction (every change of state of a case asks)."""
    known = _open_read()
    if case.id not in known:
        _read_open([case.id])
    security = known[case.id]
    return security if security is not None and security.status in OPEN else None


def _open_read() -> dict[int, SellerSecurity | None]:
    # None: the case had no open security when read. An offer made in the transaction is put here (``offer``); one
    # released since is still here, and no longer open.
    return transaction_memo(db.session, "open_securities")


def _read_open(case_ids: list[int]) -> None:
    found = {s.case_id: s for s in db.session.scalars(_OPEN_SECURITIES, {"case_ids": case_ids})}
    _open_read().update({case_id: found.get(case_id) for case_id in case_ids})


@consequences_due.in_transaction.connect
def _on_consequences_due(_sender: Any, *, cases: list[Case], **_data: Any) -> None:
    _read_open([case.id for case in cases if case.id not in _open_read()])


def why_not_offer(case: Case) -> str | None:
    """Why the seller cannot offer a security in this case now, or None if it can."""
    rules = rules_for(case)
    if not rules.allowed:
        return _("This procedure offers no restoration against a security: %(rule)s.", rule=str(rules.citation))
    if case.state in final_states():
        return _("The case has ended.")
    if not measures_standing(case):
        return _("No measure taken on the notice stands: the listings are online.")
    if _open(case) is not None:
        return _("A security is already offered or accepted in this case.")
    if on_fast_track(case):
        # Suspected health-and-safety goods stay offline until a person clears the match (Platform Rules 20, 22).
        return _("No security is offered while the case is on the health-and-safety fast track.")
    return None


def _amount(raw, rules: SecurityRules, currency: str, fields: dict) -> str:
    try:
        amount = Decimal(str(raw).strip())
        if not amount.is_finite() or amount <= 0 or amount.as_tuple().exponent < -2:  # type: ignore[operator]
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        fields["amount"] = _("Enter an amount such as 50000 or 50000.50.")
        return ""
    limits = rules.currencies.get(currency)
    if limits is not None and not limits.minimum <= amount <= limits.maximum:
        fields["amount"] = _(
            "The security must be between %(minimum)s and %(maximum)s %(currency)s.",
            minimum=limits.minimum,
            maximum=limits.maximum,
            currency=currency,
        )
    return str(amount.quantize(Decimal("0.01")))


def check_offer(account: Account, case: Case, data: dict, document: Upload | None) -> dict[str, str]:
    """Validate an offer: only the seller, while a measure stands, in an allowed currency and amount."""
    if CaseRole.RESPONDENT not in case_roles(account, case):
        raise Forbidden(_("Only the seller named in the notice can offer a security."))
    refusal = why_not_offer(case)
    if refusal is not None:
        raise NotAllowed(refusal)
    rules = rules_for(case)
    fields: dict[str, str] = {}
    currency = str(data.get("currency") or "").strip().upper()
    if currency not in rules.currencies:
        fields["currency"] = _("Choose one of: %(currencies)s.", currencies=", ".join(sorted(rules.currencies)))
    amount = _amount(data.get("amount"), rules, currency, fields)
    kind = str(data.get("document_kind") or "")
    if kind not in policy().documents:
        fields["document_kind"] = _("Choose what the document is: %(kinds)s.", kinds=", ".join(policy().documents))
    if document is None:
        fields["document"] = _("Attach the guarantee document.")
    note = clean_text(data.get("note"), fields, "note", required=False, max_length=5000)
    language = check_language(data.get("language"), fields)
    if fields:
        raise ValidationFailed(_("The offer is incomplete. Please correct the marked fields."), fields)
    return {"amount": amount, "currency": currency, "document_kind": kind, "note": note, "language": language}


def do_offer_security(
    account: Account,
    case_id: int,
    data: dict,
    document: Upload | None,
    *,
    key: str | None = None,
    remote_addr: str = "",
    at: datetime | None = None,
) -> Outcome:
    """The seller offers a security; the right holder and the mediator are served the offer."""
    case = get_case(account, case_id, for_update=True)
    sub = submission(account, key, {"case": case_id, "security": data}, [document] if document else [])
    replay = sub.replayed(SellerSecurity)
    if replay is not None:
        return Outcome(replay, False)
    clean = check_offer(account, case, data, document)
    at = at or utcnow()
    rules = rules_for(case)
    stored: list[storage.StoredFile] = []
    try:
        store_evidence(case, None, account, [document], remote_addr, stored)  # type: ignore[list-item]
        db.session.flush()
        security = SellerSecurity(
            case_id=case.id,
            seller_party_id=case.respondent_party_id,
            right_holder_party_id=case.claimant_party_id,
            offered_by_id=account.id,
            evidence_id=_evidence_id(case, stored[0].stored_name),
            rule={"policy_version": policy().version, "key": rules.key, "citation": rules.citation.as_dict()},
            offered_at=at,
            **clean,
        )
        db.session.add(security)
        db.session.flush()
        _open_read()[case.id] = security
        payload = _payload(security)
        events.record(case, EventKind.SECURITY_OFFERED, at, actor=account, role=CaseRole.RESPONDENT, payload=payload)
        serve(case, "security_offer", at, data=payload)
        return sub.commit(security, on_lost_race=lambda: storage_discard(stored))
    except BaseException:
        db.session.rollback()
        storage_discard(stored)
        raise


def storage_discard(stored: list[storage.StoredFile]) -> None:
    for kept in stored:
        kept.discard()


def _evidence_id(case: Case, stored_name: str) -> int:
    """The evidence row ``store_evidence`` just added for the guarantee document."""
    return db.session.scalars(
        select(EvidenceFile.id).where(EvidenceFile.case_id == case.id, EvidenceFile.stored_name == stored_name)
    ).one()


def _payload(security: SellerSecurity) -> dict[str, Any]:
    return {
        "security_id": security.id,
        "amount": security.amount,
        "currency": security.currency,
        "document_kind": security.document_kind,
        "document_sha256": security.document.sha256 if security.document else None,
        "status": security.status,
    }


def may_decide(account: Account, case: Case) -> bool:
    return bool(case_roles(account, case) & policy().deciders)


def do_decide_security(account: Account, security_id: int, data: dict, at: datetime | None = None) -> SellerSecurity:
    """The case's mediator or a reviewer accepts or refuses the offer, with reasons. Accepted, the listings are
    restored at the platform while the case runs (a measure on the measures channel)."""
    security = db.session.scalar(select(SellerSecurity).where(SellerSecurity.id == security_id).with_for_update())
    if security is None:
        raise NotFound(_("This security does not exist, or you may not see it."))
    case = get_case(account, security.case_id)
    roles = case_roles(account, case) & policy().deciders
    if not roles:
        raise Forbidden(_("Only the case's mediator or a reviewer can decide on a security."))
    if security.status != SecurityStatus.OFFERED:
        raise NotAllowed(_("This offer has already been decided."))
    fields: dict[str, str] = {}
    decision = data.get("decision")
    if decision not in ("accept", "refuse"):
        fields["decision"] = _("Choose accept or refuse.")
    reasons = clean_text(data.get("reasons"), fields, "reasons", max_length=20000)
    language = check_language(data.get("language"), fields)
    if fields:
        raise ValidationFailed(_("The decision is incomplete. Please correct the marked fields."), fields)
    if decision == "accept" and not measures_standing(case):
        raise NotAllowed(_("No measure taken on the notice stands: there is nothing to restore."))
    at = at or utcnow()
    role = CaseRole.MEDIATOR if CaseRole.MEDIATOR in roles else CaseRole.ADMIN
    security.status = (SecurityStatus.ACCEPTED if decision == "accept" else SecurityStatus.REFUSED).value
    security.decided_by_id = account.id
    security.decider_role = role.value
    security.reasons = reasons
    security.reasons_language = language
    security.decided_at = at
    payload = dict(_payload(security), reasons=reasons, reasons_language=language)
    events.record(case, EventKind.SECURITY_DECIDED, at, actor=account, role=role, payload=payload)
    if decision == "accept":
        listings = [item.locator for item in case.listings]
        # The takedown no longer stands: nothing is left for a withdrawal or a restore period to lift.
        events.record(
            case,
            EventKind.MEASURE_LIFTED,
            at,
            payload={"listings": listings, "state": case.state, "against_security": security.id},
        )
        order(
            case,
            [
                {
                    "kind": MeasureKind.RESTORE_AGAINST_SECURITY.value,
                    "listing": locator,
                    "security_amount": security.amount,
                    "currency": security.currency,
                    "security_id": security.id,
                }
                for locator in listings
            ],
            at,
            ground=f"seller_security {security.id}: {security.rule.get('citation', {}).get('instrument', '')}",
        )
    serve(case, "security_decision", at, data=payload)
    commit()
    return security


def _release_ground(case: Case, cause: str) -> str | None:
    """Which outcome ends the security's purpose now, or None while the case runs on."""
    if counter_notice_held(cause):
        return "counter_notice_held"  # the listings stand on the law now, not on the security
    if case.state not in final_states():
        return None
    if case.state == "withdrawn":
        return "withdrawn"
    fact = case_facts(case)
    if notice_upheld(fact):
        if fact.court_outcome is not None:
            return "court_upheld"
        return "settlement_upheld" if fact.settled_upholding else "decision_upheld"
    return "notice_failed"


def _outcome_orders_measures(case: Case) -> bool:
    """Whether the outcome names its own measure on the listings (a settlement's measures, a court's measure
    other than keeping what stands): then that measure governs, not the end of the restoration."""
    terms = None
    for event in db.session.scalars(
        select(Event).where(Event.case_id == case.id, Event.kind == EventKind.DECISION_FILED).order_by(Event.seq)
    ):
        terms = (event.payload or {}).get("terms") or {}
    if terms is not None:
        return terms.get("listing_measure") not in (None, "keep_in_force")
    settlement = [f for f in case.filings if f.kind == FilingKind.SETTLEMENT and f.acceptances]
    agreed = (settlement[-1].terms or {}) if settlement else {}
    return bool(agreed.get("measures") or agreed.get("listing_measure"))


@state_entered.in_transaction.connect
def _follow_outcome(case: Case, *, at: datetime, cause: str, **_data) -> None:
    """The security follows the outcome, in the transaction that reaches it."""
    security = _open(case)
    if security is None:
        return
    ended = case.state in final_states()
    if security.status == SecurityStatus.OFFERED:
        if ended or not measures_standing(case):
            # Nothing left to restore: the offer lapses undecided, and both parties are told.
            _release(case, security, SecurityStatus.LAPSED, "case_ended" if ended else "measure_lifted", at)
        return
    ground = _release_ground(case, cause)
    if ground is None:
        return
    forfeited = ground in ("court_upheld", "decision_upheld", "settlement_upheld")
    _release(case, security, SecurityStatus.FORFEITED if forfeited else SecurityStatus.RETURNED, ground, at)
    if forfeited and not _outcome_orders_measures(case):
        # The restoration lasted only while the case ran: the notice upheld, the listings come down again.
        events.record(
            case,
            EventKind.MEASURE_TAKEN,
            at,
            payload={"listings": [item.locator for item in case.listings], "state": case.state},
        )
        order_on_every_listing(case, MeasureKind.TAKE_DOWN, at, ground=f"seller_security {security.id} forfeited")


def _release(case: Case, security: SellerSecurity, status: SecurityStatus, ground: str, at: datetime) -> None:
    security.status = status.value
    security.released_at = at
    security.release_ground = ground
    payload = dict(_payload(security), ground=ground)
    events.record(case, EventKind.SECURITY_RELEASED, at, payload=payload)
    serve(case, "security_release", at, data=payload)


def security_for(account: Account, security_id: int) -> SellerSecurity:
    security = db.session.get(SellerSecurity, security_id)
    if security is None:
        raise NotFound(_("This security does not exist, or you may not see it."))
    get_case(account, security.case_id)  # the case's readers only
    return security


def terms_json(case: Case) -> dict[str, Any]:
    rules = rules_for(case)
    return {
        "allowed": rules.allowed,
        "rule_key": rules.key,
        "currencies": {
            code: {"minimum": str(limits.minimum), "maximum": str(limits.maximum)}
            for code, limits in sorted(rules.currencies.items())
        },
        "documents": list(policy().documents),
        "citation": rules.citation.as_dict(),
        "policy_version": policy().version,
    }


def security_json(security: SellerSecurity) -> dict[str, Any]:
    return {
        "id": security.id,
        "case_id": security.case_id,
        "case_reference": security.case.reference,
        "seller": security.seller.name,
        "right_holder": security.right_holder.name,
        "amount": security.amount,
        "currency": security.currency,
        "document_kind": security.document_kind,
        "document": {
            "evidence_id": security.evidence_id,
            "sha256": security.document.sha256,
            "media_type": security.document.media_type,
        },
        "note": security.note or None,
        "language": security.language,
        "rule": security.rule,
        "status": security.status,
        "decider_role": security.decider_role or None,
        "reasons": security.reasons or None,
        "reasons_language": security.reasons_language or None,
        "offered_at": security.offered_at.isoformat(),
        "decided_at": security.decided_at.isoformat() if security.decided_at else None,
        "released_at": security.released_at.isoformat() if security.released_at else None,
        "release_ground": security.release_ground or None,
    }
