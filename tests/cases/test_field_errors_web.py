"""A refused form ties each error to its input, so assistive technology announces it (WCAG 3.3.1, 1.3.1).

An input whose field has an error carries aria-invalid="true" and aria-describedby naming the error
message next to it; an input without an error carries neither. The summary at the top links to the
first error.
"""

import re

import lxml.html
import pytest

from odr.cases.models import Case
from odr.extensions import db
from tests.conftest import COUNTER_NOTICE_ELEMENTS, decide_eu_notice, notice_data, notice_form_elements
from tests.export.conftest import escalate

pytestmark = pytest.mark.e2e


def refused(response) -> lxml.html.HtmlElement:
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    page = lxml.html.fromstring(response.get_data(as_text=True))
    # Every error shown is named by the inputs it describes, and every invalid input names a shown error.
    shown = {span.get("id") for span in page.find_class("field-error")}
    described = {el.get("aria-describedby") for el in page.xpath("//*[@aria-invalid='true']")}
    assert shown and shown == described
    assert not page.xpath("//*[@aria-invalid and not(@aria-describedby)]")
    return page


def invalid(page, name: str) -> str | None:
    """The error id the input with id (or else name) `name` points at, or None when it is not marked invalid."""
    controls = "//*[self::input or self::select or self::textarea]"
    (field,) = page.xpath(f"{controls}[@id=$name]", name=name) or page.xpath(f"{controls}[@name=$name]", name=name)
    if field.get("aria-invalid") is None:
        return None
    assert field.get("aria-invalid") == "true"
    (message,) = page.xpath("//*[@id=$id]", id=field.get("aria-describedby"))
    assert "field-error" in message.classes and message.text_content().strip()
    return field.get("aria-describedby")


def summary_target(page) -> str:
    (link,) = page.xpath("//p[contains(@class, 'flash') and contains(@class, 'error')]/a")
    target = link.get("href")
    assert target.startswith("#") and page.xpath("//*[@id=$id]", id=target[1:]), target
    return target[1:]


def test_sign_up_marks_only_the_wrong_fields(browser):
    page = refused(
        browser().post(
            "/signup",
            {
                "email": "not-an-address",
                "password": "short",
                "display_name": "Ana",
                "organisation": "Ana S.L.",
                "role": "right_holder",
                "country": "ES",
                "language": "es",
                "time_zone": "Nowhere/City",
            },
            form_page="/signup",
        )
    )
    assert invalid(page, "email") == "email-error"
    assert invalid(page, "password") == "password-error"
    assert invalid(page, "time_zone") == "time_zone-error"
    for name in ("display_name", "organisation", "role", "country", "language", "invitation_code"):
        assert invalid(page, name) is None, name
    assert summary_target(page) in {"email-error", "password-error", "time_zone-error"}


def test_sign_up_marks_the_language_chosen_in_the_shared_select(browser):
    page = refused(
        browser().post(
            "/signup",
            {
                "email": "ana@holder.es",
                "password": "long-password-1",
                "display_name": "Ana",
                "organisation": "Ana S.L.",
                "role": "right_holder",
                "country": "ES",
                "language": "xx",
                "time_zone": "UTC",
            },
            form_page="/signup",
        )
    )
    assert invalid(page, "language") == "language-error"
    assert invalid(page, "email") is None


def test_a_notice_marks_nested_fields_with_dashed_ids(world, browser):
    elements = notice_form_elements()
    del elements["elements.identity"]  # asked by the Chinese Civil Code, Art. 1195(1)
    page = refused(
        browser(world.holder).post(
            "/cases/new",
            {
                "jurisdiction": "CN",
                "right_type": "trademark",
                "title": "",
                "text": "Uso de nuestra marca.",
                "language": "es",
                "listings": "https://shop.example/a",
                "respondent_email": "new-seller@shop.example",
                "respondent_name": "Shop",
                "respondent_country": "CN",
                "respondent_language": "xx",
                "submission_key": "n-1",
                **elements,
            },
            form_page="/cases/new",
        )
    )
    assert invalid(page, "title") == "title-error"
    assert invalid(page, "respondent_language") == "respondent-language-error"
    assert invalid(page, "elements.identity") == "elements-identity-error"
    for name in (
        "jurisdiction",
        "right_type",
        "text",
        "language",
        "listings",
        "remedy_sought",
        "respondent_email",
        "respondent_name",
        "respondent_country",
        "elements.signature",
        "elements.good_faith_statement",
    ):
        assert invalid(page, name) is None, name
    assert summary_target(page).endswith("-error")
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_an_unticked_confirmation_is_marked_on_its_checkbox(world, browser):
    elements = notice_form_elements()
    del elements["elements.bona_fide_statement"]  # asked by the DSA, Art. 16(2)(d)
    page = refused(
        browser(world.holder).post(
            "/cases/new",
            {
                "jurisdiction": "EU",
                "right_type": "trademark",
                "title": "Marca",
                "text": "Uso de nuestra marca.",
                "language": "es",
                "listings": "https://shop.example/a",
                "respondent_email": "nobody",
                "submission_key": "n-2",
                **elements,
            },
            form_page="/cases/new",
        )
    )
    assert invalid(page, "elements.bona_fide_statement") == "elements-bona_fide_statement-error"
    assert invalid(page, "respondent_email") == "respondent-email-error"
    assert invalid(page, "title") is None and invalid(page, "elements.accuracy_statement") is None


def filed_case(api, world, **overrides) -> int:
    response = api(world.holder).post("/cases", notice_data(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_an_offer_with_a_bad_amount_marks_the_terms_on_the_case_page(world, api, browser):
    case_id = filed_case(api, world, jurisdiction="EU")
    decide_eu_notice(world.admin, case_id)
    response = api(world.seller).post(
        f"/cases/{case_id}/filings", {"kind": "response", "language": "zh", "text": "我们不同意。"}
    )
    assert response.status_code == 201, response.get_json()
    page = refused(
        browser(world.seller).post(
            f"/cases/{case_id}/filings",
            {
                "kind": "offer",
                "language": "zh",
                "text": "我们提议。",
                "amount": "a lot",
                "currency": "EUR",
                "listing_measure": "sideways",
                "submission_key": "o-1",
            },
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "amount") == "terms-amount-error"
    assert invalid(page, "listing_measure") == "terms-listing_measure-error"
    for name in ("currency", "text", "kind", "language", "licence"):
        assert invalid(page, name) is None, name
    assert summary_target(page) in {"terms-amount-error", "terms-listing_measure-error"}


def test_a_counter_notice_marks_the_missing_element(world, api, browser):
    case_id = filed_case(api, world)
    elements = {f"elements.{k}": "on" if v is True else v for k, v in COUNTER_NOTICE_ELEMENTS.items()}
    del elements["elements.identity"]  # asked by the Chinese Civil Code, Art. 1196(1)
    page = refused(
        browser(world.seller).post(
            f"/cases/{case_id}/filings",
            {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "submission_key": "c-1", **elements},
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "elements.identity") == "elements-identity-error"
    assert invalid(page, "elements.non_infringement_evidence") is None and invalid(page, "text") is None


def receive(party_api, case_id, act):
    """The addressee opens the act in the inbox: the periods that run from its receipt start."""
    served = next(
        d for d in party_api.get("/inbox").get_json()["deliveries"] if d["case_id"] == case_id and d["act"] == act
    )
    assert party_api.post(f"/inbox/{served['id']}/open").status_code == 200


def test_a_refused_extension_is_marked_on_the_form_of_its_deadline(world, api, browser):
    case_id = filed_case(api, world)
    counter = api(world.seller).post(
        f"/cases/{case_id}/filings",
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    assert counter.status_code == 201, counter.get_json()
    receive(api(world.holder), case_id, "counter_notice")  # the 15 days run from the right holder's receipt
    db.session.get(Case, case_id).mediator_id = world.mediator.id
    db.session.commit()
    (deadline,) = api(world.holder).get(f"/cases/{case_id}").get_json()["deadlines"]
    page = refused(
        browser(world.mediator).post(
            f"/cases/{case_id}/deadlines/{deadline['id']}/extensions",
            {"count": "99", "reason": "Notarisation"},
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "count") == "count-error"
    assert invalid(page, "reason") is None
    assert summary_target(page) == "count-error"


def test_a_deposit_without_a_title_marks_the_title(world, browser):
    page = refused(
        browser(world.holder).post("/deposits", {"title": "", "submission_key": "d-1"}, form_page="/deposits")
    )
    assert invalid(page, "title") == "title-error"


def test_a_valid_page_marks_nothing(world, browser):
    for path in ("/cases/new", "/deposits", "/profile"):
        html = browser(world.holder).get(path).get_data(as_text=True)
        assert "aria-invalid" not in html and 'class="field-error"' not in html, path


# -- every refused form comes back the same way: its errors at its fields, what was typed kept ----------


def typed(page, name: str) -> str:
    """What the input or textarea with id `name` shows."""
    (field,) = page.xpath("//*[@id=$name]", name=name)
    return field.text_content() if field.tag == "textarea" else field.get("value")


def chosen(page, name: str) -> str:
    (option,) = page.xpath("//select[@id=$name]/option[@selected]", name=name)
    return option.get("value")


def no_raw_field_names(page) -> None:
    flashes = " ".join(p.text_content() for p in page.find_class("flash"))
    assert not re.search(r"\b(amount|currency|accept_rules|max_rounds|terms\.\w+):", flashes), flashes


def bidding_case(api, world) -> int:
    case_id = filed_case(api, world, jurisdiction="EU")
    decide_eu_notice(world.admin, case_id)
    response = api(world.seller).post(
        f"/cases/{case_id}/filings", {"kind": "response", "language": "zh", "text": "我们不同意。"}
    )
    assert response.status_code == 201, response.get_json()
    return case_id


def test_a_refused_bid_marks_the_amount_and_keeps_what_was_typed(world, api, browser):
    case_id = bidding_case(api, world)
    assert (
        api(world.holder)
        .post(f"/cases/{case_id}/bidding", {"currency": "EUR", "listing_measure": "remove"})
        .status_code
        == 201
    )
    page = refused(
        browser(world.seller).post(f"/cases/{case_id}/bids", {"amount": "12,5 EUR"}, form_page=f"/cases/{case_id}")
    )
    assert invalid(page, "bid-amount") == "amount-error" and typed(page, "bid-amount") == "12,5 EUR"
    assert invalid(page, "accept_rules") == "accept_rules-error"
    assert summary_target(page) in {"amount-error", "accept_rules-error"}
    no_raw_field_names(page)
    # The case page's other forms stay blank and unmarked.
    assert invalid(page, "amount") is None and typed(page, "amount") == ""


def test_opening_blind_bidding_with_bad_rules_marks_each_rule(world, api, browser):
    case_id = bidding_case(api, world)
    page = refused(
        browser(world.holder).post(
            f"/cases/{case_id}/bidding",
            {"currency": "euro", "max_rounds": "99", "gap_percent": "30"},
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "bid-currency") == "currency-error" and typed(page, "bid-currency") == "euro"
    assert invalid(page, "bid-rounds") == "max_rounds-error" and typed(page, "bid-rounds") == "99"
    assert invalid(page, "bid-gap") is None and typed(page, "bid-gap") == "30"
    no_raw_field_names(page)


def test_a_refused_offer_keeps_the_chosen_kind_the_text_and_the_terms(world, api, browser):
    case_id = bidding_case(api, world)
    page = refused(
        browser(world.seller).post(
            f"/cases/{case_id}/filings",
            {
                "kind": "offer",
                "language": "zh",
                "text": "我们提议一千欧元。",
                "amount": "one thousand",
                "currency": "EUR",
                "licence": "Non-exclusive",
                "submission_key": "o-2",
            },
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "amount") == "terms-amount-error"
    assert chosen(page, "kind") == "offer" and chosen(page, "language") == "zh"
    assert typed(page, "text") == "我们提议一千欧元。" and typed(page, "amount") == "one thousand"
    assert typed(page, "currency") == "EUR" and typed(page, "licence") == "Non-exclusive"
    no_raw_field_names(page)


def test_a_refused_court_decision_marks_its_fields_and_keeps_the_text(world, browser):
    case_id = escalate(world).id
    page = refused(
        browser(world.court).post(
            f"/cases/{case_id}/decision",
            {
                "outcome": "dismissed",
                "listing_measure": "restore",
                "language": "zh",
                "text": "驳回。",
                "amount": "lots",
                "currency": "CNY",
                "payer": "claimant",
                "submission_key": "d-2",
            },
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "decision-amount") == "amounts-0-amount-error" and typed(page, "decision-amount") == "lots"
    assert invalid(page, "document") == "document-error"
    assert typed(page, "decision-text") == "驳回。" and chosen(page, "outcome") == "dismissed"
    assert chosen(page, "payer") == "claimant"


def test_an_error_about_no_field_of_the_form_is_said_in_words_at_the_form(world, api, browser):
    case_id = bidding_case(api, world)
    # Only the mediator sets how long bidding stays open; a party's form has no such field.
    response = browser(world.holder).post(
        f"/cases/{case_id}/bidding",
        {"currency": "EUR", "listing_measure": "remove", "days": "3"},
        form_page=f"/cases/{case_id}",
    )
    assert response.status_code == 422
    page = lxml.html.fromstring(response.get_data(as_text=True))
    (item,) = page.find_class("form-error")
    assert item.get("id") == "days-error" and "mediator" in item.text_content()
    assert summary_target(page) == "days-error"
    no_raw_field_names(page)


def test_a_restriction_by_region_without_regions_marks_the_regions_and_keeps_the_choice(world, api, browser):
    case_id = filed_case(api, world, jurisdiction="EU")
    decide_eu_notice(world.admin, case_id)
    assert (
        api(world.seller)
        .post(f"/cases/{case_id}/filings", {"kind": "response", "language": "zh", "text": "我们不同意。"})
        .status_code
        == 201
    )
    page = refused(
        browser(world.holder).post(
            f"/cases/{case_id}/filings",
            {
                "kind": "offer",
                "language": "es",
                "text": "Restrinjan la venta del anuncio.",
                "listing_measure": "geo_restrict",
                "regions": "",
                "submission_key": "o-regions",
            },
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "regions") == "terms-regions-error"
    assert chosen(page, "listing_measure") == "geo_restrict"
    page = refused(
        browser(world.holder).post(
            f"/cases/{case_id}/filings",
            {
                "kind": "offer",
                "language": "es",
                "text": "Retiren el anuncio.",
                "listing_measure": "remove",
                "regions": "DE, FR",
                "submission_key": "o-regions-2",
            },
            form_page=f"/cases/{case_id}",
        )
    )
    assert invalid(page, "regions") == "terms-regions-error" and typed(page, "regions") == "DE, FR"
