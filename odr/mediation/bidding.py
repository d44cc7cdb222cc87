"""Double-blind bidding on the money term (after Cybersettle and clickNsettle).

The right holder (claimant) submits secret demands, the seller (respondent) secret
offers, up to ``max_rounds`` each. Round by round: if the offer meets or exceeds the
demand, or falls short of it by no more than ``gap_percent`` of the demand, the case
settles at the midpoint. Bids are stored only in ``blind_bids``: events, the timeline,
the case JSON and the export record that a round was bid, never how much. Each side
sees its own bids; the other side and the mediator see only the outcome.

Bidding has its own closing instant (``closes_at``, set when it opens): after it no bid
is accepted, and the periodic sweep ends the bidding without settlement.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import current_app
from flask_babel import force_locale, format_datetime
from sqlalchemy import bindparam, select, update

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.filings import record_filing, text_sha256
from odr.cases.models import Case, FilingKind
from odr.cases.services import LISTING_MEASURES, parse_regions, settlement_transition, void_superseded_acceptances
from odr.domain_events import commit
from odr.errors import NotAllowed, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.mediation.agreement import party_languages, ui_locale
from odr.mediation.models import BiddingStatus, BlindBid, BlindBidding
from odr.models_base import utcnow
from odr.queue import periodic_job
from odr.vocabulary import CaseRole, EventKind

CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_ROUNDS = 10
MAX_GAP_PERCENT = 50
MAX_DAYS = 30
SIDES = (CaseRole.CLAIMANT.value, CaseRole.RESPONDENT.value)
CENT = Decimal("0.01")


def round_outcome(demand: Decimal, offer: Decimal, gap_percent: int) -> Decimal | None:
    """The settlement amount of one round, or None when the bids are too far apart.

    Settles at the midpoint when the offer meets the demand, or when the demand exceeds
    the offer by at most ``gap_percent`` of the demand.
    """
    if offer >= demand or (demand - offer) * 100 <= demand * gap_percent:
        return ((demand + offer) / 2).quantize(CENT, rounding=ROUND_HALF_UP)
    return None


# Built once: every case page reads it (building a statement costs about what sending it does).
_CURRENT_BIDDING = (
    select(BlindBidding).where(BlindBidding.case_id == bindparam("case_id")).order_by(BlindBidding.id.desc()).limit(1)
)


def current_bidding(case: Case) -> BlindBidding | None:
    return db.session.scalar(_CURRENT_BIDDING, {"case_id": case.id})


def _int_in(raw, low: int, high: int, default: int, name: str, fields: dict, message: str) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
        if isinstance(raw, bool) or not low <= value <= high:
            raise ValueError
    except (TypeError, ValueError):
        fields[name] = message
        return default
    return value


OPENERS = {CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR}


def check_may_open(case: Case, existing: BlindBidding | None, roles: set[str], at: datetime) -> None:
    """Raises NotAllowed unless one of these case roles may start blind bidding in this case now (``existing``: its
    ``current_bidding``)."""
    if not roles & OPENERS:
        raise NotAllowed(_("Only the parties and the mediator can start blind bidding."), code="wrong_role")
    if settlement_transition(case, at) is None:
        raise NotAllowed(_("Blind bidding is possible only while the case can still settle."), code="wrong_state")
    if existing is not None and existing.status == BiddingStatus.OPEN:
        raise NotAllowed(_("Blind bidding is already under way in this case."), code="bidding_open")


def check_may_bid(case: Case, bidding: BlindBidding | None, roles: set[str], at: datetime) -> BlindBidding:
    """The open bidding; NotAllowed unless one of these case roles may bid in it now: a party, with rounds left,
    before it closes."""
    sides = roles & set(SIDES)
    if not sides:
        raise NotAllowed(_("Only the parties bid."), code="wrong_role")
    if bidding is None or bidding.status != BiddingStatus.OPEN:
        raise NotAllowed(_("No blind bidding is open in this case."), code="no_bidding")
    if at >= bidding.closes_at:
        raise NotAllowed(
            _(
                "Blind bidding closed on %(date)s; no more bids are accepted.",
                date=format_datetime(bidding.closes_at, "medium"),
            ),
            code="bidding_closed",
        )
    if settlement_transition(case, at) is None:
        raise NotAllowed(_("Blind bidding is possible only while the case can still settle."), code="wrong_state")
    if sum(1 for b in bidding.bids if b.side == sorted(sides)[0]) >= bidding.max_rounds:
        raise NotAllowed(_("You have used all %(n)s rounds.", n=bidding.max_rounds), code="rounds_used")
    return bidding


def open_bidding(account: Account, case_id: int, data: dict, at: datetime | None = None) -> BlindBidding:
    """Start blind bidding in a case that can settle (a party or the mediator opens it)."""
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & OPENERS
    at = at or utcnow()
    check_may_open(case, current_bidding(case), roles, at)
    fields: dict[str, str] = {}
    currency = str(data.get("currency") or "").strip().upper()
    if not CURRENCY_RE.match(currency):
        fields["currency"] = _("Enter a three-letter currency code such as EUR.")
    rounds = _int_in(
        data.get("max_rounds"),
        1,
        MAX_ROUNDS,
        3,
        "max_rounds",
        fields,
        _("Choose between 1 and %(n)s rounds.", n=MAX_ROUNDS),
    )
    gap = _int_in(
        data.get("gap_percent"),
        0,
        MAX_GAP_PERCENT,
        30,
        "gap_percent",
        fields,
        _("Choose a gap between 0 and %(n)s percent.", n=MAX_GAP_PERCENT),
    )
    # Bidding settles the money only: what happens to the listings is agreed before anyone bids.
    listing_measure = data.get("listing_measure")
    if listing_measure not in LISTING_MEASURES:
        fields["listing_measure"] = _("Choose what happens to the listings if the bidding settles.")
    regions = parse_regions(data.get("regions"), listing_measure, fields, "regions")
    days = current_app.config["ODR"]["BIDDING_DAYS"]
    if data.get("days") not in (None, ""):
        if CaseRole.MEDIATOR not in roles:
            fields["days"] = _("Only the mediator can set how long bidding stays open.")
        else:
            days = _int_in(
                data.get("days"), 1, MAX_DAYS, days, "days", fields, _("Choose between 1 and %(n)s days.", n=MAX_DAYS)
            )
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    bidding = BlindBidding(
        case_id=case.id,
        currency=currency,
        max_rounds=rounds,
        gap_percent=gap,
        listing_measure=listing_measure,
        listing_regions=regions or None,
        opened_by_id=account.id,
        opened_at=at,
        closes_at=at + timedelta(days=days),
    )
    db.session.add(bidding)
    db.session.flush()
    events.record(
        case,
        EventKind.BLIND_BIDDING_OPENED,
        at,
        actor=account,
        role=sorted(roles)[0],
        payload={
            "bidding_id": bidding.id,
            "currency": currency,
            "max_rounds": rounds,
            "gap_percent": gap,
            "listing_measure": listing_measure,
            "regions": regions,
            "closes_at": bidding.closes_at.isoformat(),
        },
    )
    commit()
    return bidding


def _parse_amount(raw, fields: dict) -> Decimal | None:
    try:
        amount = Decimal(str(raw).strip())
        if not amount.is_finite() or amount <= 0 or amount > Decimal("1e12"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        fields["amount"] = _("Enter a positive amount such as 1500 or 1500.50.")
        return None
    if amount != amount.quantize(CENT):
        fields["amount"] = _("Use at most two decimal places.")
        return None
    return amount


def submit_bid(account: Account, case_id: int, amount, accept_rules=None, at: datetime | None = None) -> BlindBidding:
    """A party's next secret bid: a demand from the right holder, an offer from the seller."""
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case)
    found = current_bidding(case)
    at = at or utcnow()
    try:
        bidding = check_may_bid(case, found, roles, at)
    except NotAllowed as refusal:
        if refusal.code == "bidding_closed" and found is not None:
            # Ends it now rather than waiting for the sweep, so the refusal and the case page agree.
            _expire(case, found, at)
            commit()
        raise
    side = sorted(roles & set(SIDES))[0]
    own = [b for b in bidding.bids if b.side == side]
    fields: dict[str, str] = {}
    value = _parse_amount(amount, fields)
    if not own and accept_rules not in (True, "on", "true", "1", "yes"):
        fields["accept_rules"] = _("Confirm that you will be bound by a settlement at the midpoint.")
    if value is not None and own:
        previous = Decimal(own[-1].amount)
        # A demand may only come down and an offer only go up: bidding converges, nobody games the midpoint.
        if side == "claimant" and value > previous:
            fields["amount"] = _("A new demand cannot be higher than your previous demand.")
        if side == "respondent" and value < previous:
            fields["amount"] = _("A new offer cannot be lower than your previous offer.")
    if fields:
        raise ValidationFailed(_("Your bid was not recorded."), fields)
    bid = BlindBid(
        bidding=bidding,
        side=side,
        round=len(own) + 1,
        amount=str(value.quantize(CENT)),
        account_id=account.id,
        submitted_at=at,
    )
    db.session.add(bid)
    db.session.flush()
    events.record(
        case,
        EventKind.BLIND_BID_SUBMITTED,
        at,
        actor=account,
        role=side,
        payload={"bidding_id": bidding.id, "round": bid.round},
    )
    other = next((b for b in bidding.bids if b.side != side and b.round == bid.round), None)
    if other is not None:
        demand, offer = (bid.amount, other.amount) if side == "claimant" else (other.amount, bid.amount)
        outcome = round_outcome(Decimal(demand), Decimal(offer), bidding.gap_percent)
        if outcome is not None:
            _settle(case, bidding, bid.round, outcome, account, at)
        elif bid.round == bidding.max_rounds:
            bidding.status = BiddingStatus.FAILED
            bidding.closed_at = at
            events.record(
                case,
                EventKind.BLIND_BIDDING_FAILED,
                at,
                payload={"bidding_id": bidding.id, "rounds": bidding.max_rounds},
            )
        else:
            events.record(
                case,
                EventKind.BLIND_BIDDING_ROUND_CLOSED,
                at,
                payload={"bidding_id": bidding.id, "round": bid.round, "settled": False},
            )
    commit()
    return bidding


def _settle(case: Case, bidding: BlindBidding, round_no: int, amount: Decimal, account: Account, at: datetime) -> None:
    """The round agreed the money: draft the agreement in both parties' languages, with the listing measure
    agreed when bidding opened, for each party to sign at its own time (``signing.sign_agreement``)."""
    settled_amount = str(amount.quantize(Decimal("0.01")))
    versions = {}
    for language in party_languages(case):
        # Each version from the catalogue of its language: no machine wrote it, so none awaits approval.
        with force_locale(ui_locale(language)):
            versions[language] = _(
                "Settlement by double-blind bidding (round %(round)s): the seller pays the right holder "
                "%(amount)s %(currency)s in full settlement of the money claim.",
                round=round_no,
                amount=settled_amount,
                currency=bidding.currency,
            )
    authoritative = next(iter(versions))
    terms: dict = {
        "amount": settled_amount,
        "currency": bidding.currency,
        "blind_bidding_id": bidding.id,
        "authoritative_language": authoritative,
        "versions": versions,
        "measures": [],
    }
    if bidding.listing_measure:
        terms["listing_measure"] = bidding.listing_measure
    if bidding.listing_regions:
        terms["regions"] = list(bidding.listing_regions)
    filing = record_filing(
        case,
        FilingKind.SETTLEMENT,
        author=account,
        role=CaseRole.SYSTEM,
        language=authoritative,
        text=versions[authoritative],
        at=at,
        terms=terms,
        event_details={"agreement": True},
    )
    void_superseded_acceptances(case, filing, account, CaseRole.SYSTEM, at)
    digest = text_sha256(filing)
    bidding.status = BiddingStatus.SETTLED
    bidding.closed_at = at
    bidding.settled_round = round_no
    bidding.settled_amount = settled_amount
    bidding.settlement_filing_id = filing.id
    events.record(
        case,
        EventKind.BLIND_BIDDING_SETTLED,
        at,
        payload={
            "bidding_id": bidding.id,
            "round": round_no,
            "amount": settled_amount,
            "currency": bidding.currency,
            "filing_id": filing.id,
            "text_sha256": digest,
        },
    )


def _expire(case: Case, bidding: BlindBidding, now: datetime) -> bool:
    """End an open bidding at its closing instant; claimed by a conditional UPDATE, so it happens once."""
    claimed = db.session.execute(
        update(BlindBidding)
        .where(BlindBidding.id == bidding.id, BlindBidding.status == BiddingStatus.OPEN)
        .values(status=BiddingStatus.FAILED, closed_at=bidding.closes_at)
    ).rowcount
    if claimed:
        db.session.refresh(bidding)
        # Only the rounds bid are recorded: never an amount.
        events.record(
            case,
            EventKind.BLIND_BIDDING_EXPIRED,
            now,
            payload={
                "bidding_id": bidding.id,
                "closes_at": bidding.closes_at.isoformat(),
                "rounds_submitted": {side: sum(1 for b in bidding.bids if b.side == side) for side in SIDES},
            },
        )
    return bool(claimed)


@periodic_job("blind_bidding_close", "Close blind biddings whose closing instant has passed.")
def expire_biddings(now: datetime | None = None) -> int:
    """The periodic sweep: end every open bidding whose closing instant has passed. Idempotent."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(BlindBidding.id)
            .where(BlindBidding.status == BiddingStatus.OPEN, BlindBidding.closes_at <= now)
            .order_by(BlindBidding.id)
        )
    )
    ended = 0
    for bidding_id in ids:
        bidding = db.session.get(BlindBidding, bidding_id)
        case = db.session.get(Case, bidding.case_id)
        ended += _expire(case, bidding, now)
        commit()
    return ended


def bidding_view(account: Account, case: Case) -> dict | None:
    """What one reader may know of the bidding: the rules, progress, the outcome and their own side's bids."""
    bidding = current_bidding(case)
    if bidding is None:
        return None
    sides = case_roles(account, case) & set(SIDES)
    own_side = sorted(sides)[0] if sides else None
    return {
        "id": bidding.id,
        "status": bidding.status.value,
        "currency": bidding.currency,
        "max_rounds": bidding.max_rounds,
        "gap_percent": bidding.gap_percent,
        "closes_at": bidding.closes_at.isoformat(),
        "expired": bidding.status == BiddingStatus.FAILED and bidding.closed_at == bidding.closes_at,
        "rounds_submitted": {side: sum(1 for b in bidding.bids if b.side == side) for side in SIDES},
        "your_side": own_side,
        "your_bids": [
            {"round": b.round, "amount": b.amount, "submitted_at": b.submitted_at.isoformat()}
            for b in bidding.bids
            if b.side == own_side
        ],
        "listing_measure": bidding.listing_measure,
        "regions": bidding.listing_regions or [],
        "settled_round": bidding.settled_round,
        "settled_amount": bidding.settled_amount,
    }
