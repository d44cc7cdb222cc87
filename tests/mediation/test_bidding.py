"""Double-blind bidding: the arithmetic of each round, and secrecy of every bid through every route."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from odr.cases.models import Case
from odr.errors import NotAllowed, ValidationFailed
from odr.extensions import db
from odr.mediation import bidding
from odr.mediation.bidding import round_outcome
from odr.mediation.desk import upcoming
from tests.conftest import sign
from tests.mediation.conftest import every_route_text, export_text, open_case

pytestmark = pytest.mark.e2e

D = Decimal


# -- the arithmetic of one round (demand from the right holder, offer from the seller) --------------


def test_crossing_bids_settle_at_the_midpoint():
    assert round_outcome(D("1000"), D("1200"), 0) == D("1100.00")


def test_an_offer_equal_to_the_demand_settles_at_it():
    assert round_outcome(D("1000"), D("1000"), 0) == D("1000.00")


def test_within_the_gap_settles_at_the_midpoint():
    # 30% of a 1000 demand is 300: an offer of 700 is exactly at the edge, 701 inside it.
    assert round_outcome(D("1000"), D("700"), 30) == D("850.00")
    assert round_outcome(D("1000"), D("701"), 30) == D("850.50")


def test_outside_the_gap_does_not_settle():
    assert round_outcome(D("1000"), D("699.99"), 30) is None
    assert round_outcome(D("1000"), D("999.99"), 0) is None


def test_the_midpoint_is_rounded_to_the_cent():
    assert round_outcome(D("100.01"), D("100.00"), 1) == D("100.01")  # 100.005 rounds half up


# -- whole flows ----------------------------------------------------------------------------------


@pytest.fixture
def bidding_case(world, api):
    case_id = open_case(world)
    opened = api(world.holder).post(
        f"/cases/{case_id}/bidding",
        {"currency": "EUR", "listing_measure": "remove", "max_rounds": 3, "gap_percent": 30},
    )
    assert opened.status_code == 201, opened.get_json()
    return case_id


def _bid(api, account, case_id, amount, first=False):
    body = {"amount": amount, **({"accept_rules": True} if first else {})}
    return api(account).post(f"/cases/{case_id}/bids", body)


def test_settles_in_the_second_round_within_the_gap(world, api, bidding_case):
    case_id = bidding_case
    assert _bid(api, world.holder, case_id, "5000", first=True).status_code == 201
    assert _bid(api, world.seller, case_id, "1000", first=True).status_code == 201
    assert api(world.holder).get(f"/cases/{case_id}").get_json()["state"] == "negotiation"
    assert _bid(api, world.holder, case_id, "4000").status_code == 201
    settled = _bid(api, world.seller, case_id, "3000")  # 1000 short of 4000 = 25% <= 30%
    assert settled.get_json()["bidding"]["status"] == "settled"
    assert settled.get_json()["bidding"]["settled_amount"] == "3500.00"
    # The amount is agreed; the agreement is a draft in both languages, with the listing measure, unsigned.
    case = api(world.holder).get(f"/cases/{case_id}").get_json()
    assert case["state"] == "negotiation"
    proposal = case["filings"][-1]
    assert proposal["kind"] == "settlement" and proposal["terms"]["amount"] == "3500.00"
    assert proposal["terms"]["listing_measure"] == "remove" and proposal["acceptances"] == []
    agreement = api(world.seller).get(f"/cases/{case_id}/agreement").get_json()
    versions = {v["language"]: v for v in agreement["versions"]}
    assert set(versions) == {"es", "zh"} and agreement["awaiting_approval"] == []
    assert "3500.00" in versions["es"]["text"] and "3500.00" in versions["zh"]["text"]
    assert versions["es"]["text"] != versions["zh"]["text"]  # each from its own language's catalogue
    assert all(any("item-" in c for c in v["clauses"]) for v in versions.values())  # the listings' clause
    # Each party signs at its own time; only both signatures settle the case.
    assert sign(api(world.holder), case_id, agreement).get_json()["state"] == "negotiation"
    assert sign(api(world.seller), case_id, agreement).get_json()["state"] == "settled"
    acts = api(world.holder).get(f"/cases/{case_id}/agreement").get_json()["acceptances"]
    assert [a["account_id"] for a in acts] == [world.holder.id, world.seller.id]
    assert len({a["text_sha256"] for a in acts}) == 1


def test_bids_run_ahead_and_settle_when_the_other_side_catches_up(world, api, bidding_case):
    case_id = bidding_case
    for amount, first in (("9000", True), ("8000", False), ("2000", False)):
        assert _bid(api, world.holder, case_id, amount, first).status_code == 201
    assert _bid(api, world.seller, case_id, "100", first=True).get_json()["bidding"]["status"] == "open"
    assert _bid(api, world.seller, case_id, "200").get_json()["bidding"]["status"] == "open"
    last = _bid(api, world.seller, case_id, "2500").get_json()["bidding"]  # crosses in the last round
    assert last["status"] == "settled" and last["settled_round"] == 3 and last["settled_amount"] == "2250.00"


def test_the_last_round_outside_the_gap_ends_without_settlement(world, api, bidding_case):
    case_id = bidding_case
    for demand, offer, first in (("9000", "100", True), ("8000", "200", False), ("7000", "300", False)):
        _bid(api, world.holder, case_id, demand, first)
        response = _bid(api, world.seller, case_id, offer, first)
    assert response.get_json()["bidding"]["status"] == "failed"
    assert api(world.holder).get(f"/cases/{case_id}").get_json()["state"] == "negotiation"
    refused = _bid(api, world.holder, case_id, "6000")
    assert refused.status_code == 409
    # Nothing of the failed bids is ever shown to the other side.
    seller_view = api(world.seller).get(f"/cases/{case_id}/bidding").get_json()["bidding"]
    assert [b["amount"] for b in seller_view["your_bids"]] == ["100.00", "200.00", "300.00"]
    assert seller_view["settled_amount"] is None


def test_no_bid_is_revealed_to_the_other_side_or_the_mediator(world, api, browser, bidding_case):
    case_id = bidding_case
    demands, offers = ["7345.67", "7001.23"], ["1111.11", "1234.56"]
    for demand, offer, first in zip(demands, offers, (True, False), strict=True):
        _bid(api, world.holder, case_id, demand, first)
        _bid(api, world.seller, case_id, offer, first)
    # A refused bid's message names no amount of the other side.
    refused = _bid(api, world.seller, case_id, "1000")
    assert refused.status_code == 422
    assert not any(a in refused.get_data(as_text=True) for a in demands)
    # Bring the case to a mediator and the court, then read everything each may read.
    assert api(world.holder).post(f"/cases/{case_id}/actions/request_mediation").status_code == 200
    from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments

    assign_mediator(world.admin, case_id, world.mediator.id)
    accept_appointment(world.mediator, pending_appointments(world.mediator)[0].id, declared=True)
    seller_sees = every_route_text(world, api, browser, world.seller, case_id)
    holder_sees = every_route_text(world, api, browser, world.holder, case_id)
    mediator_sees = every_route_text(world, api, browser, world.mediator, case_id)
    mediator_sees += api(world.mediator).get("/mediation/desk").get_data(as_text=True)
    for amount in demands:
        assert amount not in seller_sees and amount not in mediator_sees
        assert amount.replace(".", ",") not in seller_sees  # nor in a locale's number format
    for amount in offers:
        assert amount not in holder_sees and amount not in mediator_sees
    assert all(amount in holder_sees for amount in demands)  # each side sees its own bids
    assert api(world.holder).post(f"/cases/{case_id}/actions/escalate").status_code == 200
    exported = export_text(api(world.court), case_id)
    assert not any(amount in exported for amount in demands + offers)


def test_events_carry_no_amounts(world, api, bidding_case):
    case_id = bidding_case
    _bid(api, world.holder, case_id, "4321.09", True)
    _bid(api, world.seller, case_id, "1234.87", True)
    events = api(world.holder).get(f"/cases/{case_id}/events").get_data(as_text=True)
    # The amounts as written, in either decimal mark (bare digit runs such as "1234" occur by chance in the
    # events' hashes and times).
    for amount in ("4321.09", "4321,09", "1234.87", "1234,87"):
        assert amount not in events


def test_bidding_rules_are_checked(world, bidding_case):
    case_id = bidding_case
    with pytest.raises(ValidationFailed) as refused:
        bidding.submit_bid(world.holder, case_id, "1000")
    assert "accept_rules" in refused.value.fields
    for bad in ("-5", "abc", "1.234", "NaN", "1e13", None):
        with pytest.raises(ValidationFailed):
            bidding.submit_bid(world.holder, case_id, bad, accept_rules=True)
    bidding.submit_bid(world.holder, case_id, "1000", accept_rules=True)
    with pytest.raises(ValidationFailed) as refused:
        bidding.submit_bid(world.holder, case_id, "1500")
    assert refused.value.fields["amount"]
    with pytest.raises(NotAllowed) as refused:
        bidding.open_bidding(world.seller, case_id, {"currency": "EUR", "listing_measure": "remove"})
    assert refused.value.code == "bidding_open"


def test_outsiders_cannot_bid_or_read_the_bidding(world, api, bidding_case):
    for outsider in (world.stranger_holder, world.other_mediator, world.court):
        assert api(outsider).get(f"/cases/{bidding_case}/bidding").status_code == 404
        assert api(outsider).post(f"/cases/{bidding_case}/bids", {"amount": "1"}).status_code == 404


def test_opening_needs_valid_rules(world, api):
    case_id = open_case(world)
    bad = api(world.holder).post(f"/cases/{case_id}/bidding", {"currency": "euro", "max_rounds": 99, "gap_percent": -1})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"currency", "max_rounds", "gap_percent", "listing_measure"}


# -- bidding's own deadline -----------------------------------------------------------------------


def _closes_at(api, account, case_id):
    return datetime.fromisoformat(api(account).get(f"/cases/{case_id}/bidding").get_json()["bidding"]["closes_at"])


def test_bidding_closes_seven_days_after_it_opens_and_refuses_later_bids(world, api, bidding_case):
    case_id = bidding_case
    closes_at = _closes_at(api, world.holder, case_id)
    opened_at = next(
        e
        for e in api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]
        if e["kind"] == "blind_bidding_opened"
    )["at"]
    assert closes_at - datetime.fromisoformat(opened_at) == timedelta(days=7)
    # The instant before the close a bid counts; at the close it does not, and the bidding ends.
    bidding.submit_bid(world.holder, case_id, "4321", True, at=closes_at - timedelta(seconds=1))
    with pytest.raises(NotAllowed) as refused:
        bidding.submit_bid(world.seller, case_id, "1000", True, at=closes_at)
    assert refused.value.code == "bidding_closed" and "4321" not in refused.value.message
    view = api(world.seller).get(f"/cases/{case_id}/bidding").get_json()["bidding"]
    assert view["status"] == "failed" and view["expired"] is True
    assert api(world.holder).get(f"/cases/{case_id}").get_json()["state"] == "negotiation"


def test_the_sweep_ends_an_expired_bidding_once_without_revealing_a_bid(world, api, browser, bidding_case):
    case_id = bidding_case
    closes_at = _closes_at(api, world.holder, case_id)
    # An amount with cents, so that no timestamp or hash on a page can contain it by chance.
    assert _bid(api, world.holder, case_id, "7654.39", first=True).status_code == 201
    assert bidding.expire_biddings(closes_at - timedelta(seconds=1)) == 0
    assert bidding.expire_biddings(closes_at) == 1
    assert bidding.expire_biddings(closes_at + timedelta(days=1)) == 0  # idempotent
    events = api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]
    expired = [e for e in events if e["kind"] == "blind_bidding_expired"]
    assert len(expired) == 1 and expired[0]["payload"]["rounds_submitted"] == {"claimant": 1, "respondent": 0}
    refused = _bid(api, world.seller, case_id, "100", first=True)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "no_bidding"
    for account in (world.seller, world.holder):
        text = every_route_text(world, api, browser, account, case_id)
        assert "Blind bidding closed at its deadline without settlement" in text  # timeline
        assert "Bidding closed at its deadline without settlement" in text  # case page
    seen_by_seller = every_route_text(world, api, browser, world.seller, case_id)
    assert not [form for form in ("7654.39", "7,654.39", "7654,39", "7.654,39", "7 654,39") if form in seen_by_seller]


def test_the_mediator_sets_the_bidding_period_within_bounds(world, api, case_id):
    mediator = api(world.mediator)
    for days in (0, 31, "soon"):
        refused = mediator.post(
            f"/cases/{case_id}/bidding", {"currency": "EUR", "listing_measure": "remove", "days": days}
        )
        assert refused.status_code == 422 and "days" in refused.get_json()["error"]["fields"]
    party = api(world.holder).post(
        f"/cases/{case_id}/bidding", {"currency": "EUR", "listing_measure": "remove", "days": 3}
    )
    assert party.status_code == 422 and "days" in party.get_json()["error"]["fields"]
    assert (
        mediator.post(
            f"/cases/{case_id}/bidding", {"currency": "EUR", "listing_measure": "remove", "days": 30}
        ).status_code
        == 201
    )
    events = mediator.get(f"/cases/{case_id}/events").get_json()["events"]
    opened = next(e for e in events if e["kind"] == "blind_bidding_opened")
    # The act's own time: the chain records it no earlier than the sweep this case's clock was moved to.
    opened_at = opened["payload"].get("effective_at", opened["at"])
    assert _closes_at(api, world.mediator, case_id) - datetime.fromisoformat(opened_at) == timedelta(days=30)


def test_the_close_of_bidding_is_on_the_desk_with_what_happens_if_nobody_acts(world, api, case_id):
    assert (
        api(world.mediator)
        .post(f"/cases/{case_id}/bidding", {"currency": "EUR", "listing_measure": "remove", "days": 2})
        .status_code
        == 201
    )
    closes_at = _closes_at(api, world.mediator, case_id)
    case = db.session.get(Case, case_id)
    due = next(d for d in upcoming(case) if d.label == "Blind bidding closes")
    assert due.at == closes_at and "ends without settlement" in due.consequence
    row = api(world.mediator).get("/mediation/desk").get_json()["cases"][0]
    assert datetime.fromisoformat(row["next_due"]["at"]) <= closes_at and row["due_this_week"] is True
    timeline = api(world.mediator).get(f"/cases/{case_id}/timeline").get_json()["entries"]
    assert any(e["future"] and e["what"] == "Blind bidding closes" for e in timeline)
    bidding.expire_biddings(closes_at)
    assert not any(d.label == "Blind bidding closes" for d in upcoming(case))


def test_a_settlement_by_bidding_is_recorded_like_every_filing(app, world, api, bidding_case):
    """Filed through record_filing: its event is on the timeline and its translations are requested."""
    from odr.cases.models import Filing, FilingKind
    from odr.translation.models import Translation

    case_id = bidding_case
    _bid(api, world.holder, case_id, "2000", first=True)
    assert _bid(api, world.seller, case_id, "1900", first=True).get_json()["bidding"]["status"] == "settled"
    settlement = db.session.scalar(
        db.select(Filing).where(Filing.case_id == case_id, Filing.kind == FilingKind.SETTLEMENT)
    )
    events = api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]
    assert [e["payload"]["filing_id"] for e in events if e["kind"] == "settlement_filed"] == [settlement.id]
    requested = db.session.scalars(
        db.select(Translation.target_language).where(Translation.filing_id == settlement.id)
    ).all()
    assert set(requested) >= {world.seller.party.preferred_language} - {"en"}
    assert requested, "no translation was requested for the settlement"


def test_a_settlement_by_bidding_is_served_on_both_parties_the_last_bidder_included(world, api, bidding_case):
    """The platform records the settlement in the last bidder's name; it is still served on that bidder."""
    from odr.cases.models import Filing, FilingKind
    from odr.notifications.models import Delivery

    case_id = bidding_case
    _bid(api, world.holder, case_id, "2000", first=True)
    assert _bid(api, world.seller, case_id, "1900", first=True).get_json()["bidding"]["status"] == "settled"
    settlement = db.session.scalar(
        db.select(Filing).where(Filing.case_id == case_id, Filing.kind == FilingKind.SETTLEMENT)
    )
    assert settlement.author_id == world.seller.id
    served = db.session.scalars(db.select(Delivery).where(Delivery.filing_id == settlement.id)).all()
    assert {(d.account_id, d.channel) for d in served} >= {
        (world.holder.id, "inbox"),
        (world.holder.id, "email"),
        (world.seller.id, "inbox"),
        (world.seller.id, "email"),
    }
