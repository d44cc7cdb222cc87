"""Issue 12 item 11: a notice names the territories where the right is held and may ask for the proportionate
measure its procedure allows at notice time (not purchasable in named regions, one element removed, or a
take-down); that measure, with its regions or element and rule, is what the platform is told to apply (measures
feed and webhooks) and what the seller and the right holder see. A measure outside the right's territories is
refused with a clear error, and nothing is filed."""

from __future__ import annotations

import json
from datetime import date

import pytest

from odr.cases.models import Case
from odr.extensions import db
from odr.mediation.models import Measure
from odr.notifications.models import Delivery
from odr.procedure import jurisdictions
from odr.procedure.notices import check_notice_measure
from odr.procedure.services import procedures
from odr.webhooks.models import WebhookDelivery
from odr.webhooks.services import register_endpoint
from tests.conftest import notice_data, notice_form_elements

pytestmark = pytest.mark.e2e


def file(api, account, **overrides):
    return api(account).post("/cases", notice_data(**overrides))


def test_a_chinese_notice_asks_that_the_listings_be_visible_but_not_purchasable_in_china(world, api, platform):
    register_endpoint(platform, "https://hooks.market.example/odr")
    db.session.commit()
    response = file(
        api, world.holder, territories=["CN", "HK"], measure={"kind": "not_purchasable_in", "regions": ["cn"]}
    )
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["id"]

    # The platform is told exactly that, on every listing, with the rule that allows it at notice time.
    feed = api(platform).get("/measures").get_json()["measures"]
    assert {(m["listing"], m["kind"]) for m in feed} == {
        ("https://shop.example/item/1", "not_purchasable_in"),
        ("item-2", "not_purchasable_in"),
    }
    assert all(m["details"]["regions"] == ["CN"] and "Art. 1195(2)" in m["details"]["rule"] for m in feed)
    hooks = db.session.scalars(db.select(WebhookDelivery).where(WebhookDelivery.case_id == case_id)).all()
    bodies = [json.loads(h.body) for h in hooks if h.event_type == "measure.modified"]
    assert len(bodies) == 2 and all("CN" in json.dumps(b) and "not_purchasable_in" in json.dumps(b) for b in bodies)
    assert not db.session.scalar(db.select(Measure).where(Measure.case_id == case_id, Measure.kind == "take_down")), (
        "no take-down everywhere"
    )

    # The notice served on the seller names that measure (E-Commerce Law Art. 42(2)), in the seller's language.
    served = db.session.scalar(
        db.select(Delivery).where(Delivery.case_id == case_id, Delivery.act == "notice", Delivery.channel == "inbox")
    )
    assert "商品链接仍可见，但在 CN 不可购买" in served.statement["text"]

    # The seller and the right holder see which measure stands, where, and under which rule.
    for account in (world.seller, world.holder):
        standing = api(account).get(f"/cases/{case_id}").get_json()["measures"]
        assert [(m["kind"], m["regions"]) for m in standing] == [("not_purchasable_in", ["CN"])] * 2
        assert "Art. 1195(2)" in standing[0]["rule"]


def test_a_region_where_the_right_is_not_held_is_refused_and_nothing_is_filed(world, api):
    response = file(
        api, world.holder, territories=["CN"], measure={"kind": "not_purchasable_in", "regions": ["CN", "DE"]}
    )
    assert response.status_code == 422
    message = response.get_json()["error"]["fields"]["measure.regions"]
    assert "Germany" in message and "not held" in message
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(Measure)) == 0


def test_a_notice_for_a_right_not_held_where_it_is_filed_is_refused(world, api):
    response = file(api, world.holder, territories=["DE"], measure={"kind": "take_down"})
    assert response.status_code == 422
    assert "China" in response.get_json()["error"]["fields"]["territories"]


def test_the_error_is_in_the_filers_language(world, api):
    response = api(world.holder).post(
        "/cases",
        notice_data(territories=["CN"], measure={"kind": "not_purchasable_in", "regions": ["DE"]}),
        headers={"Accept-Language": "zh-Hans"},
    )
    assert response.status_code == 422
    assert "德国" in response.get_json()["error"]["fields"]["measure.regions"]


def test_a_procedure_that_takes_no_measure_on_notices_refuses_one(app):
    fields: dict = {}
    generic = procedures().current("generic-odr", date(2026, 3, 2))
    check_notice_measure(generic, jurisdictions.get("CN"), None, {"measure": {"kind": "take_down"}}, fields)
    assert "takes no measure" in fields["measure.kind"]
    fields = {}
    cn = procedures().current("cn-ecl", date(2026, 3, 2))
    check_notice_measure(cn, jurisdictions.get("CN"), None, {"measure": {"kind": "geo_block"}}, fields)
    assert "not purchasable" in fields["measure.kind"], "the allowed measures are named"


def test_the_web_form_asks_for_one_element_to_be_removed_and_the_seller_sees_it(world, browser):
    holder = browser(world.holder)
    form = holder.get("/cases/new").get_data(as_text=True)
    assert 'name="measure.kind"' in form and "1195(2)" in form, "the form says which rule allows each measure"
    response = holder.post(
        "/cases/new",
        {
            "jurisdiction": "CN",
            "right_type": "copyright",
            "title": "Livestream replay with our song",
            "text": "La repetición del directo usa nuestra canción como música de fondo.",
            "language": "es",
            "listings": "live-replay-77",
            "respondent_email": world.seller.email,
            "submission_key": "territorial-1",
            "territories": "CN, HK",
            "measure.kind": "remove_element",
            "measure.element": "Background music <Spring Wind>",
            **notice_form_elements(),
        },
        form_page="/cases/new",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    case = db.session.scalar(db.select(Case).where(Case.title == "Livestream replay with our song"))
    (measure,) = db.session.scalars(db.select(Measure).where(Measure.case_id == case.id)).all()
    assert measure.kind.value == "remove_element" and measure.details["element"] == "Background music <Spring Wind>"
    page = browser(world.seller).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Background music &lt;Spring Wind&gt;" in page, "the seller sees which element goes (escaped)"


def test_the_web_form_shows_a_refused_region_next_to_its_input(world, browser):
    response = browser(world.holder).post(
        "/cases/new",
        {
            "jurisdiction": "CN",
            "right_type": "trademark",
            "title": "Bags",
            "text": "Bolsos falsificados.",
            "language": "es",
            "listings": "item-9",
            "respondent_email": world.seller.email,
            "submission_key": "territorial-2",
            "territories": "CN",
            "measure.kind": "not_purchasable_in",
            "measure.regions": "CN, US",
            **notice_form_elements(),
        },
        form_page="/cases/new",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="measure.regions"' in page and "not held in United States" in page
    assert 'value="CN, US"' in page, "what was typed is kept"
