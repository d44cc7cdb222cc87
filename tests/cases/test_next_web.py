"""The case page over HTTP: what to do next first, steps confirmed on their own page, refused filings kept whole."""

from __future__ import annotations

import re

import lxml.html
import pytest

from odr.cases import services
from odr.cases.models import Case, Filing
from odr.extensions import db
from tests.conftest import notice_data
from tests.export.conftest import escalate
from tests.mediation.conftest import open_case

pytestmark = pytest.mark.e2e


def html(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def test_the_case_page_leads_with_what_to_do_next_then_the_conversation(world, browser):
    case = services.file_notice(world.holder, notice_data()).obj
    page = html(browser(world.seller).get(f"/cases/{case.id}"))
    sections = [s.get("id") for s in page.xpath("//main/section")]
    assert sections[:3] == ["next-action", "conversation", "details"]
    (next_action,) = page.xpath("//section[@id='next-action']")
    text = next_action.text_content()
    assert "Answer the notice" in text and "File a counter-notice" in text and "If nobody acts by then" in text
    assert next_action.xpath(".//*[@data-countdown]")  # counted down live by static/case.js
    (answer,) = next_action.xpath(".//a[normalize-space()='Answer the notice']")
    assert answer.get("href") == f"/cases/{case.id}?kind=response#file"
    # The link preselects the kind in the filing form, without any script.
    chosen = html(browser(world.seller).get(answer.get("href").split("#")[0]))
    assert chosen.xpath("//select[@id='kind']/option[@selected]/@value") == ["response"]
    # The details are folded; the notice's elements are in them, for the parties.
    assert "Flamenco S.L." in page.xpath("//details[@id='parties']")[0].text_content()
    holder = html(browser(world.holder).get(f"/cases/{case.id}")).xpath("//section[@id='next-action']")[0]
    assert "Nothing is required of you now" in holder.text_content() and "Waiting for" in holder.text_content()


def test_a_step_is_confirmed_on_its_own_page_which_says_what_will_happen(world, browser):
    case = services.file_notice(world.holder, notice_data()).obj
    holder = browser(world.holder)
    step = f"/cases/{case.id}/actions/withdraw"
    confirm = holder.get(step)
    assert confirm.status_code == 200
    text = html(confirm).text_content()
    assert "What will happen" in text and "cannot be reopened" in text and "Withdrawn" in text
    # A post that does not come from the confirmation page takes nothing and asks there.
    response = holder.post(step, form_page=step)
    assert response.status_code == 303 and response.headers["Location"].endswith(step)
    assert db.session.get(Case, case.id).state == "awaiting_response"
    assert holder.post(step, {"confirmed": "1"}, form_page=step).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "withdrawn"
    # A step not open to the reader has no confirmation page either.
    assert browser(world.seller).get(step).status_code == 404


def test_escalating_says_which_court_receives_the_case(world, browser):
    case_id = open_case(world)
    text = html(browser(world.seller).get(f"/cases/{case_id}/actions/escalate")).text_content()
    assert "sent to the court" in text and "The people's court with jurisdiction over the case" in text


def test_offer_terms_in_a_message_are_refused_with_the_input_kept(world, browser):
    case_id = open_case(world)
    seller = browser(world.seller)
    page = f"/cases/{case_id}"
    before = db.session.query(Filing).count()
    response = seller.post(
        f"{page}/filings",
        {"kind": "message", "language": "zh", "text": "我们可以付款。", "amount": "300", "currency": "EUR"},
        form_page=page,
    )
    assert response.status_code == 422
    refused = html(response)
    assert "belong to an offer or a settlement" in refused.xpath("//*[@id='terms-error']")[0].text_content()
    assert refused.xpath("//select[@id='kind']/option[@selected]/@value") == ["message"]
    assert refused.xpath("//textarea[@id='text']")[0].text == "我们可以付款。"
    assert refused.xpath("//input[@id='amount']/@value") == ["300"]
    assert db.session.query(Filing).count() == before  # nothing half-written, nothing dropped


def test_a_refused_filing_keeps_the_chosen_kind(world, browser):
    case_id = open_case(world)
    page = f"/cases/{case_id}"
    response = browser(world.holder).post(
        f"{page}/filings", {"kind": "offer", "language": "es", "text": "", "amount": "x"}, form_page=page
    )
    assert response.status_code == 422
    assert html(response).xpath("//select[@id='kind']/option[@selected]/@value") == ["offer"]


def test_the_dashboard_and_the_api_list_the_obligations_most_urgent_first(world, browser, api):
    case = services.file_notice(world.holder, notice_data()).obj
    dashboard = html(browser(world.seller).get("/"))
    (item,) = dashboard.xpath("//ul[@class='todo']/li")
    assert "Answer the notice or File a counter-notice" in item.text_content()
    assert item.xpath(".//a/@href") == [f"/cases/{case.id}#next-action"]
    body = api(world.seller).get("/todo").get_json()
    (obligation,) = body["obligations"]
    assert obligation["case_id"] == case.id and obligation["role"] == "respondent"
    assert [c["name"] for c in obligation["choices"]] == ["response", "counter_notice"]
    assert obligation["if_nobody_acts"]["state"] == "facilitated_settlement" and obligation["due_at"]
    assert api(world.holder).get("/todo").get_json() == {"obligations": [], "next": None, "next_cursor": None}


def test_after_escalation_the_parties_read_which_court_has_the_case_then_its_decision(world, browser, api):
    from tests.export.test_court_portal import DECISION, _decide

    case = escalate(world)
    seller = browser(world.seller)
    status = html(seller.get(f"/cases/{case.id}")).xpath("//section[@id='court-status']")[0].text_content()
    assert "The case is with the court" in status and world.court.party.name in status
    assert "not yet acknowledged" in status and "What happens next" in status
    assert _decide(api(world.court), case.id, DECISION).status_code == 201
    page = html(browser(world.holder).get(f"/cases/{case.id}"))
    decision = page.xpath("//section[@id='court-status']")[0]
    text = " ".join(decision.text_content().split())
    for shown in (
        "Claim upheld",
        "Take the listings down",
        "paid by the seller",
        "(2026)浙0192民初1号",
        world.court.party.name,
    ):
        assert shown in text, shown
    assert "1,500" in text and "damages" in text
    (link,) = decision.xpath(".//a[contains(@href, '/evidence/')]")
    download = seller.get(link.get("href"))
    assert download.status_code == 200 and download.get_data().startswith(b"%PDF")
    download.close()
    # No raw code of the decision anywhere among the filings: labels in the reader's language.
    filings = page.xpath("//section[@class='filings']")[0].text_content()
    assert "Claim upheld" in filings and not re.search(r"·\s*(remove|upheld)\b|take_down", filings)


def test_language_names_read_in_the_readers_language_and_own_names_in_the_pickers(world, browser):
    case_id = open_case(world)
    page = html(browser(world.holder).get(f"/cases/{case_id}?lang=de"))
    headers = " ".join(h.text_content() for h in page.xpath("//article[@class='filing']/header"))
    assert "Spanisch" in headers and "Chinesisch" in headers and "Español" not in headers
    assert page.xpath("//ul[@class='lang-menu']//a[@lang='es']")[0].text_content() == "Español"


def test_the_sign_in_prompt_is_in_the_readers_language(app):
    response = app.test_client().get("/?lang=es", follow_redirects=True)
    assert "Please log in" not in response.get_data(as_text=True)
    assert "Inicie sesión para ver esta página." in response.get_data(as_text=True)


def test_a_decision_keeping_the_measures_in_force_reads_so_on_the_parties_case_page(world, browser, api):
    from tests.export.test_court_portal import DECISION, _decide

    case = escalate(world)
    assert _decide(api(world.court), case.id, DECISION | {"listing_measure": "keep_in_force"}).status_code == 201
    response = browser(world.seller).get(f"/cases/{case.id}")
    assert response.status_code == 200
    page = html(response)
    decision = " ".join(page.xpath("//section[@id='court-status']")[0].text_content().split())
    assert "Keep the measures now in force" in decision
    assert "keep_in_force" not in page.xpath("//main")[0].text_content()
