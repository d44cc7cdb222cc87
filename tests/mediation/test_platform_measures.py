"""Whatever orders a measure (the procedure, a settlement, a court), the platform receives it through the
API, per listing, with its ground, and confirms that it applied it."""

from datetime import timedelta

import pytest

from odr.accounts.models import Role
from odr.models_base import utcnow
from odr.procedure.services import sweep_deadlines
from tests.conftest import COUNTER_NOTICE_ELEMENTS, make_account, notice_data
from tests.export.conftest import escalate
from tests.export.test_court_portal import DECISION, _decide

pytestmark = pytest.mark.e2e


@pytest.fixture
def platform(api, world):
    return api(make_account(Role.PLATFORM_CLIENT, "api@marketplace.example", country="SG", language="en"))


def measures(platform, case_id, status="all"):
    listed = platform.get(f"/measures?status={status}").get_json()["measures"]
    return [(m["kind"], m["listing"], m["ground"]) for m in listed if m["case_id"] == case_id]


def receive(party_api, case_id, act):
    """The addressee opens the act in the inbox: the periods that run from its receipt start."""
    served = next(
        d for d in party_api.get("/inbox").get_json()["deliveries"] if d["case_id"] == case_id and d["act"] == act
    )
    assert party_api.post(f"/inbox/{served['id']}/open").status_code == 200


def test_the_cn_procedure_orders_a_takedown_then_a_restore(world, api, platform):
    holder, seller = api(world.holder), api(world.seller)
    case_id = holder.post("/cases", notice_data(jurisdiction="CN")).get_json()["id"]
    taken = measures(platform, case_id)
    assert [(kind, listing) for kind, listing, _g in taken] == [
        ("take_down", "https://shop.example/item/1"),
        ("take_down", "item-2"),
    ]
    assert all(ground.startswith("cn-ecl") and "Art." in ground for _k, _l, ground in taken)

    pending = platform.get("/measures").get_json()["measures"]
    confirmed = platform.post(f"/measures/{pending[0]['id']}/confirm", {"reference": "TD-1"})
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"

    seller.post(
        f"/cases/{case_id}/filings",
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    receive(holder, case_id, "counter_notice")  # the 15 days run from the right holder's receipt
    sweep_deadlines(utcnow() + timedelta(days=25))
    kinds = [kind for kind, _l, _g in measures(platform, case_id)]
    assert kinds == ["take_down", "take_down", "restore", "restore"]


def test_a_court_decision_orders_its_measure_on_every_listing(world, api, platform):
    case = escalate(world)
    before = len(measures(platform, case.id))
    response = _decide(api(world.court), case.id, DECISION)
    assert response.status_code == 201, response.get_json()
    ordered = measures(platform, case.id)[before:]
    assert ordered and {kind for kind, _l, _g in ordered} == {"take_down"}
    assert all(ground.startswith("court_decision") for _k, _l, ground in ordered)


def test_only_the_platform_client_receives_measures(world, api):
    assert api(world.holder).get("/measures").status_code == 403


def test_the_measures_of_a_notice_are_ordered_in_one_insert_in_the_order_of_its_listings(world, sql_statements):
    """A notice naming many listings (a bulk notice names hundreds) orders one measure per listing: written
    together, not one statement each, and recorded in the order the notice names the listings."""
    from sqlalchemy import select

    from odr.cases import services
    from odr.cases.models import Event
    from odr.extensions import db
    from odr.mediation.models import Measure

    listings = [f"https://shop.example/item/{n}" for n in range(30, 0, -1)]
    with sql_statements() as sent:
        case = services.file_notice(world.holder, notice_data(jurisdiction="CN", listings=listings)).obj
    # Before: one INSERT per listing (30).
    assert len([s for s in sent if s.lstrip().upper().startswith("INSERT INTO MEASURES")]) == 1
    ordered = db.session.scalars(select(Event).where(Event.case_id == case.id, Event.kind == "measures_ordered")).one()
    ids = ordered.payload["measure_ids"]
    by_id = {m.id: m.listing for m in db.session.scalars(select(Measure).where(Measure.case_id == case.id))}
    assert [by_id[i] for i in ids] == listings and ids == sorted(ids)
