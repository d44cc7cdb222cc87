"""A notice reveals nothing about whom an e-mail address belongs to (issue 20 item 8): naming the address of an
administrator, a court, a mediator or another right holder as the seller is answered exactly as an address
without an account, on the page and through the API."""

from __future__ import annotations

import json
import re

from tests.conftest import notice_data, notice_form_elements


def _respondent(email: str) -> dict:
    return {"email": email, "name": "Tienda Sol", "country": "CN", "language": "zh"}


def _masked(body, email: str) -> str:
    """The answer with what must differ between two filings (IDs, instants, the address itself) masked."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False).replace(email, "ADDRESS")
    return re.sub(r"\d", "0", text)


def test_the_api_answers_the_same_whichever_account_the_address_belongs_to(world, api):
    holder = api(world.holder)
    addresses = {
        "nobody": "nobody@example.cn",
        "administrator": world.admin.email,
        "court": world.court.email,
        "mediator": world.mediator.email,
        "right holder": world.stranger_holder.email,
    }
    receipts, respondents, errors = {}, {}, {}
    for who, email in addresses.items():
        filed = holder.post("/cases", notice_data(seller_email=email, respondent=_respondent(email)))
        assert filed.status_code == 201, (who, filed.get_json())
        receipts[who] = _masked(filed.get_json(), email)
        case = holder.get(f"/cases/{filed.get_json()['id']}").get_json()
        respondents[who] = _masked({"respondent": case["respondent"], "state": case["state"]}, email)
        # A defective notice naming the address is refused with the same fields whoever owns it.
        refused = holder.post("/cases", notice_data(seller_email=email, respondent=_respondent(email), title=""))
        errors[who] = (refused.status_code, tuple(sorted(refused.get_json()["error"]["fields"])))
    assert len(set(receipts.values())) == 1, receipts
    assert len(set(respondents.values())) == 1, respondents
    assert len(set(errors.values())) == 1, errors


def test_the_notice_form_answers_the_same_for_an_administrators_address(world, browser):
    holder = browser(world.holder)
    pages = []
    for email in ("nobody@example.cn", world.admin.email):
        form = {
            "jurisdiction": "CN",
            "right_type": "trademark",
            "title": "Counterfeit FLAMENCO bags",
            "text": "El vendedor ofrece bolsos falsificados con nuestra marca.",
            "language": "es",
            "listings": "https://shop.example/item/1",
            "respondent_email": email,
            "respondent_name": "Tienda Sol",
            "respondent_country": "CN",
            "respondent_language": "zh",
            **notice_form_elements(),
        }
        filed = holder.post("/cases/new", form, form_page="/cases/new")
        assert filed.status_code == 302, filed.get_data(as_text=True)[:2000]
        page = holder.get(filed.headers["Location"]).get_data(as_text=True)
        pages.append(re.sub(r'name="csrf_token" value="[^"]+"', "", _masked(page, email)))
    assert "This e-mail address does not belong to a seller" not in pages[1]
    assert pages[0].count("Tienda Sol") == pages[1].count("Tienda Sol") > 0


def test_the_filers_own_organisation_is_still_refused(world, api):
    refused = api(world.holder).post(
        "/cases", notice_data(seller_email=world.holder.email, respondent=_respondent(world.holder.email))
    )
    assert refused.status_code == 422 and "respondent.email" in refused.get_json()["error"]["fields"]
