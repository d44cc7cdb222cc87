"""Proportionate measures: agreed in the settlement, sent to the platform through the API, confirmed by it;
a measure not confirmed in time shows on the mediator's desk."""

from datetime import timedelta

import pytest

from odr.accounts.models import Account, Role
from odr.extensions import db
from odr.mediation.desk import mediator_desk
from odr.mediation.measures import CONFIRMATION_PERIOD
from odr.models_base import utcnow
from tests.conftest import make_account
from tests.mediation.conftest import settle_as_drafted

pytestmark = pytest.mark.e2e

MEASURES = [
    {"kind": "remove_element", "listing": "item-2", "element": "background music"},
    {"kind": "not_purchasable_in", "listing": "https://shop.example/item/1", "regions": ["es", "FR"]},
    {"kind": "restore_against_security", "listing": "item-2", "security_amount": "2500", "currency": "eur"},
]


@pytest.fixture
def platform():
    return make_account(Role.PLATFORM_CLIENT, "api@marketplace.example", country="IE", language="en")


def _settle_with_measures(world, api, case_id, measures=MEASURES):
    # The notice's own takedown (ordered by the procedure) is applied first, so what follows is the agreement's.
    client_account = db.session.scalar(db.select(Account).where(Account.role == Role.PLATFORM_CLIENT))
    platform_client = api(
        client_account or make_account(Role.PLATFORM_CLIENT, "api@marketplace.example", country="IE", language="en")
    )
    for measure in platform_client.get("/measures").get_json()["measures"]:
        platform_client.post(f"/measures/{measure['id']}/confirm", {})
    return settle_as_drafted(world, api, case_id, measures)


def test_agreed_measures_reach_the_platform_and_its_confirmation_is_recorded(world, api, case_id, platform):
    _settle_with_measures(world, api, case_id)
    client = api(platform)
    pending = client.get("/measures").get_json()["measures"]
    assert [(m["kind"], m["listing"]) for m in pending] == [(m["kind"], m["listing"]) for m in MEASURES]
    assert pending[1]["details"] == {"regions": ["ES", "FR"]}
    assert pending[2]["details"] == {"security_amount": "2500.00", "currency": "EUR"}
    confirmed = client.post(f"/measures/{pending[0]['id']}/confirm", {"reference": "PLAT-77"})
    assert confirmed.status_code == 200 and confirmed.get_json()["status"] == "confirmed"
    again = client.post(f"/measures/{pending[0]['id']}/confirm", {"reference": "other"})
    assert again.get_json()["platform_reference"] == "PLAT-77"  # a repeated confirmation changes nothing
    assert len(client.get("/measures").get_json()["measures"]) == 2
    confirmed_now = [
        m for m in client.get("/measures?status=confirmed").get_json()["measures"] if m["ground"] == "settlement"
    ]
    assert len(confirmed_now) == 1
    assert client.get("/measures?status=bogus").status_code == 422
    kinds = [e["kind"] for e in api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]]
    assert "measures_ordered" in kinds and "measure_confirmed" in kinds


def test_unconfirmed_measures_are_flagged_on_the_desk_when_late(world, api, case_id, platform):
    _settle_with_measures(world, api, case_id)
    on_time = mediator_desk(world.mediator)
    assert on_time.counts["unconfirmed_measures_overdue"] == 0 and len(on_time.rows) == 1  # settled, still shown
    late = mediator_desk(world.mediator, now=utcnow() + CONFIRMATION_PERIOD + timedelta(minutes=1))
    assert late.counts["unconfirmed_measures_overdue"] == 3 and late.rows[0].overdue
    for m in api(platform).get("/measures").get_json()["measures"]:
        api(platform).post(f"/measures/{m['id']}/confirm", {})
    assert mediator_desk(world.mediator).rows == []  # settled and fully carried out: off the desk


def test_only_the_platform_client_reads_and_confirms_measures(world, api, case_id):
    _settle_with_measures(world, api, case_id)
    for account in (world.holder, world.seller, world.mediator):
        assert api(account).get("/measures").status_code == 403
        assert api(account).post("/measures/1/confirm", {}).status_code == 403


def test_measures_are_checked_before_anything_is_agreed(world, api, case_id):
    bad = [
        {"kind": "vaporise", "listing": "item-2"},
        {"kind": "take_down", "listing": "elsewhere"},
        {"kind": "not_purchasable_in", "listing": "item-2", "regions": []},
        {"kind": "restore_against_security", "listing": "item-2", "security_amount": "-1", "currency": "E"},
        {"kind": "remove_element", "listing": "item-2"},
    ]
    refused = api(world.mediator).post(
        f"/cases/{case_id}/agreement",
        {"authoritative_language": "es", "texts": {"es": "x", "zh": "x"}, "measures": bad},
    )
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {
        "measures.0.kind",
        "measures.1.listing",
        "measures.2.regions",
        "measures.3.security_amount",
        "measures.3.currency",
        "measures.4.element",
    }


def test_the_desk_page_flags_a_late_measure(world, api, browser, case_id):
    from odr.extensions import db
    from odr.mediation.models import Measure

    _settle_with_measures(world, api, case_id, MEASURES[:1])
    db.session.execute(db.update(Measure).values(confirm_by=utcnow() - timedelta(hours=1)))
    db.session.commit()
    session = browser(world.mediator)
    page = session.get("/mediation?lang=en").get_data(as_text=True)
    assert "1 measure not confirmed by the platform in time" in page
    assert 'href="/cases/%d"' % case_id in page
