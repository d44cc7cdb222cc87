"""The whole ladder through the pages: bidding that does not settle, a mediator assigned automatically who
declares independence, a caucus, an agreement in both languages with a measure, signatures, the platform."""

import re

import pytest

from odr.accounts.models import Role
from tests.conftest import PASSWORD, make_account
from tests.mediation.conftest import open_case

pytestmark = pytest.mark.e2e


def test_the_settlement_ladder_through_the_pages(world, browser, api):
    platform = make_account(Role.PLATFORM_CLIENT, "api@marketplace.example", country="IE", language="en")
    case_id = open_case(world)
    page = f"/cases/{case_id}"
    holder, seller, admin, mediator = (browser(a) for a in (world.holder, world.seller, world.admin, world.mediator))
    for session in (holder, seller, admin, mediator):
        session.get("/?lang=en")  # read the pages in English, whatever each account's own language

    # 1. Blind bidding, one round, too far apart: nothing settles and nothing is revealed.
    assert (
        holder.post(
            f"{page}/bidding",
            {"currency": "EUR", "listing_measure": "remove", "max_rounds": "1", "gap_percent": "10"},
            form_page=page,
        ).status_code
        == 302
    )
    holder.post(f"{page}/bids", {"amount": "9000", "accept_rules": "on"}, form_page=page)
    seller.post(f"{page}/bids", {"amount": "100", "accept_rules": "on"}, form_page=page)
    seller_page = seller.get(page).get_data(as_text=True)
    assert "No settlement in 1 rounds" in seller_page and "9000" not in seller_page

    # 2. The seller asks for a mediator; the administrator assigns one automatically.
    step = f"{page}/actions/request_mediation"
    assert "A mediator is proposed" in seller.get(step).get_data(as_text=True)  # said before it is taken
    assert seller.post(step, {"confirmed": "1"}, form_page=step).status_code == 302
    admin_page = admin.get(page).get_data(as_text=True)
    assert "other-mediator" in admin_page and "reads neither party" in admin_page  # the Italian-only mediator
    assert admin.post(f"{page}/mediator", {"automatic": "1"}, form_page=page).status_code == 302
    assert mediator.get(page).status_code == 404

    # 3. The mediator accepts on the desk with the declaration, then sees the file.
    desk = mediator.get("/mediation").get_data(as_text=True)
    appointment_id = re.search(r"/mediation/appointments/(\d+)/accept", desk).group(1)
    assert "FLAMENCO" not in desk  # only the summary before accepting
    refused = mediator.post(f"/mediation/appointments/{appointment_id}/accept", {}, form_page="/mediation")
    # Refused on the desk, the declaration's checkbox marked: the file stays closed.
    assert refused.status_code == 422 and 'aria-describedby="declaration-error"' in refused.get_data(as_text=True)
    assert mediator.get(page).status_code == 404
    mediator.post(f"/mediation/appointments/{appointment_id}/accept", {"declaration": "on"}, form_page="/mediation")
    assert mediator.get(page).status_code == 200

    # 4. A caucus with the seller.
    mediator.post(
        f"{page}/filings",
        {"kind": "message", "language": "de", "caucus": "respondent", "text": "Nur für die Verkäuferin"},
        form_page=page,
    )
    assert "Nur für die" in seller.get(page).get_data(as_text=True)
    assert "Nur für die" not in holder.get(page).get_data(as_text=True)

    # 5a. The agreement is proposed on its own page, a link from the case page. A measure restricted by region
    # without its regions: that page again, that row's fields marked and every typed value kept in its own row, the
    # other rows blank.
    case_page = mediator.get(page).get_data(as_text=True)
    assert f'href="{page}/agreement/draft"' in case_page and 'name="measure_kind_1"' not in case_page
    assert 'name="measure_kind_5"' in mediator.get(f"{page}/agreement/draft").get_data(as_text=True)
    refused = mediator.post(
        f"{page}/agreement",
        {
            "text_es": "Se retira el anuncio.",
            "text_zh": "删除商品。",
            "authoritative_language": "es",
            "measure_kind_1": "remove_element",
            "measure_listing_1": "item-2",
            "measure_detail_1": "logo FLAMENCO",
            "measure_kind_3": "not_purchasable_in",
            "measure_listing_3": "item-2",
        },
        form_page=page,
    )
    again = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'aria-describedby="measure_regions_3-error"' in again
    assert "<h1>Propose a settlement agreement in both languages" in again
    assert 'id="measure_regions_3-error"' in again and 'id="measure_regions_1-error"' not in again
    assert 'name="measure_detail_1" dir="auto" value="logo FLAMENCO"' in again
    assert (
        '<option value="remove_element" selected>' in again and '<option value="not_purchasable_in" selected>' in again
    )
    assert 'name="measure_detail_2" dir="auto" value=""' in again

    # 5. The agreement in Spanish and Chinese with two measures (an empty row is left out); both sign.
    drafted = mediator.post(
        f"{page}/agreement",
        {
            "text_es": "Se retira el anuncio; pago de 200 EUR.",
            "text_zh": "删除商品；支付200欧元。",
            "authoritative_language": "es",
            "amount": "200",
            "currency": "EUR",
            "measure_kind_1": "remove_element",
            "measure_listing_1": "item-2",
            "measure_detail_1": "logo FLAMENCO",
            "measure_kind_2": "",
            "measure_listing_2": "item-2",
            "measure_detail_2": "ignored",
            "measure_kind_3": "not_purchasable_in",
            "measure_listing_3": "item-2",
            "measure_regions_3": "DE, FR",
        },
        form_page=page,
    )
    assert drafted.status_code == 302
    for session in (holder, seller):
        agreement = session.get(f"{page}/agreement").get_data(as_text=True)
        assert "删除商品" in agreement and "Se retira el anuncio" in agreement
        digest = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', agreement).group(1)
        name = "holder" if session is holder else "seller"
        signed = session.post(
            f"{page}/agreement/sign",
            {
                "text_sha256": digest,
                "signed_name": name,
                "capacity": "director",
                "place": "Madrid",
                "password": PASSWORD,
            },
            form_page=f"{page}/agreement",
        )
        assert signed.status_code == 302, signed.get_data(as_text=True)[:500]
    assert api(world.holder).get(page).get_json()["state"] == "settled"

    # 6. The platform applies the measure and confirms it; the timeline shows the whole way.
    measures = [m for m in api(platform).get("/measures").get_json()["measures"] if m["ground"] == "settlement"]
    assert [(m["kind"], m["details"]) for m in measures] == [
        ("remove_element", {"element": "logo FLAMENCO"}),
        ("not_purchasable_in", {"regions": ["DE", "FR"]}),
    ]
    for measure in measures:
        api(platform).post(f"/measures/{measure['id']}/confirm", {"reference": "done"})
    timeline = holder.get(f"{page}/timeline").get_data(as_text=True)
    for step in (
        "Blind bidding ended without settlement",
        "Mediator accepted and declared independence",
        "Settlement accepted",
        "Platform confirmed a measure",
    ):
        assert step in timeline
    assert "9000" not in timeline and "Nur für die" not in timeline
