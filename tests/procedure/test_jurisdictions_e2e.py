"""Each jurisdiction's procedure runs a case end to end through the API."""

from datetime import timedelta

import pytest

from odr.cases.models import Case
from odr.domain_events import commit
from odr.extensions import db
from odr.models_base import utcnow
from odr.notifications.deliveries import open_delivery
from odr.notifications.models import Delivery
from odr.procedure.services import sweep_deadlines
from tests.conftest import COUNTER_NOTICE_ELEMENTS, EU_DECISION, NOTICE_ELEMENTS, notice_data

pytestmark = pytest.mark.e2e


def file(holder, **overrides):
    response = holder.post("/cases?full=1", notice_data(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def events(api, case_id):
    return [e["kind"] for e in api.get(f"/cases/{case_id}/events").get_json()["events"]]


def counter_notice(seller, case_id):
    response = seller.post(
        f"/cases/{case_id}/filings",
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    assert response.status_code == 201, response.get_json()


def receive(account, case_id, act):
    """The addressee opens the act in their inbox: under the receipt rule, it is received then."""
    row = db.session.scalar(
        db.select(Delivery).where(
            Delivery.case_id == case_id,
            Delivery.act == act,
            Delivery.account_id == account.id,
            Delivery.channel == "inbox",
        )
    )
    open_delivery(account, row.id)
    commit()


def test_cn_measure_counter_notice_and_restoration_after_fifteen_days(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case = file(holder, jurisdiction="CN")
    assert case["procedure"]["code"] == "cn-ecl" and case["state"] == "awaiting_response"
    choice = seller.get(f"/cases/{case['id']}").get_json()["procedure_choice"]
    assert choice["time_zone"] == "Asia/Shanghai" and choice["reasons"], "the seller sees the procedure and why"
    assert "measure_taken" in events(holder, case["id"])
    counter_notice(seller, case["id"])
    assert holder.get(f"/cases/{case['id']}").get_json()["deadlines"] == [], (
        "the 15 days wait until the forwarded declaration reaches the right holder"
    )
    receive(world.holder, case["id"], "counter_notice")
    case = holder.get(f"/cases/{case['id']}").get_json()
    (deadline,) = case["deadlines"]
    assert deadline["receipt_rule"]["article"].startswith("Art. 137(2)")
    assert case["state"] == "counter_notice_forwarded"
    assert deadline["timer"] == "restore_period" and "Art. 43(2)" in deadline["rule"]["article"]
    assert deadline["extension"]["max"] == 20 and deadline["why"]
    # The mediator pauses the period for notarization; the due date moves by working days.
    db.session.get(Case, case["id"]).mediator_id = world.mediator.id
    db.session.commit()
    mediator = api(world.mediator)
    extended = mediator.post(
        f"/cases/{case['id']}/deadlines/{deadline['id']}/extensions", {"count": 3, "reason": "公证延误"}
    )
    assert extended.status_code == 200, extended.get_json()
    assert extended.get_json()["deadlines"][0]["due_at"] > deadline["due_at"]
    too_long = mediator.post(
        f"/cases/{case['id']}/deadlines/{deadline['id']}/extensions", {"count": 18, "reason": "more"}
    )
    assert too_long.status_code == 422 and "count" in too_long.get_json()["error"]["fields"]
    assert (
        seller.post(
            f"/cases/{case['id']}/deadlines/{deadline['id']}/extensions", {"count": 1, "reason": "x"}
        ).status_code
        == 409
    )
    assert sweep_deadlines(utcnow() + timedelta(days=25)) == 1
    assert holder.get(f"/cases/{case['id']}").get_json()["state"] == "negotiation"
    assert "measure_lifted" in events(holder, case["id"])


def test_us_copyright_restoration_window_and_suit(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case = file(holder, jurisdiction="US", right_type="copyright")
    assert case["procedure"]["code"] == "us-dmca"
    counter_notice(seller, case["id"])
    (deadline,) = holder.get(f"/cases/{case['id']}").get_json()["deadlines"]
    assert deadline["timer"] == "restore_window" and deadline["latest_at"] > deadline["due_at"]
    assert deadline["computation"]["unit"] == "business_days" and deadline["computation"]["latest"] == 14
    suit = holder.post(f"/cases/{case['id']}/actions/report_suit")
    assert suit.status_code == 200 and suit.get_json()["state"] == "escalated"


def test_us_trademark_runs_the_marketplace_procedure_to_settlement(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case = file(holder, jurisdiction="US", right_type="trademark")
    assert case["procedure"]["code"] == "us-marketplace"
    assert (
        seller.post(
            f"/cases/{case['id']}/filings", {"kind": "response", "language": "en", "text": "Let us talk."}
        ).status_code
        == 201
    )
    assert holder.get(f"/cases/{case['id']}").get_json()["state"] == "negotiation"


def test_eu_internal_complaint_reversed_by_the_platform(world, api):
    holder, seller, admin = api(world.holder), api(world.seller), api(world.admin)
    case = file(holder, jurisdiction="EU", target_market="NL")
    assert case["procedure"]["code"] == "eu-dsa" and case["state"] == "notice_review"
    assert case["procedure_choice"]["time_zone"] == "Europe/Amsterdam"
    assert "measure_taken" not in events(holder, case["id"]), "no measure before a reviewer decides"
    assert seller.post(f"/cases/{case['id']}/notice-decision", EU_DECISION).status_code == 403
    decided = admin.post(f"/cases/{case['id']}/notice-decision", EU_DECISION)
    assert decided.status_code == 201, decided.get_json()
    assert holder.get(f"/cases/{case['id']}").get_json()["state"] == "awaiting_response"
    (statement,) = seller.get(f"/cases/{case['id']}/statements-of-reasons").get_json()["statements"]
    assert statement["content"]["territorial_scope"] == ["NL"]
    complaint = seller.post(f"/cases/{case['id']}/complaints", {"text": "The goods are genuine."})
    assert complaint.status_code == 201, complaint.get_json()
    complaint_id = complaint.get_json()["id"]
    queue = admin.get("/dsa/complaints").get_json()["complaints"]
    assert [c["id"] for c in queue] == [complaint_id] and queue[0]["age_days"] == 0
    upheld = {"outcome": "upheld", "reasons": "The invoice shows the goods come from the right holder's distributor."}
    assert seller.post(f"/complaints/{complaint_id}/decision", upheld).status_code == 403
    reversed_ = admin.post(f"/complaints/{complaint_id}/decision", upheld)
    assert reversed_.status_code == 200 and reversed_.get_json()["status"] == "upheld"
    assert "measure_lifted" in events(holder, case["id"])
    assert admin.post(f"/complaints/{complaint_id}/decision", upheld).status_code == 409


def test_jp_measure_only_after_seven_days_of_silence(world, api):
    holder = api(world.holder)
    case = file(holder, jurisdiction="JP")
    assert case["procedure"]["code"] == "jp-plla"
    assert "measure_taken" not in events(holder, case["id"])
    assert sweep_deadlines(utcnow() + timedelta(days=12)) == 0, "the 7 days run from the seller's receipt"
    receive(world.seller, case["id"], "notice")
    assert sweep_deadlines(utcnow() + timedelta(days=12)) == 1
    assert holder.get(f"/cases/{case['id']}").get_json()["state"] == "facilitated_settlement"
    assert "measure_taken" in events(holder, case["id"])


def test_gb_trade_mark_notice_warns_of_unjustified_threats_instead_of_a_permitted_communication_tick(app, world, api):
    # Issue 12 item 9: s.70B(4)(a) makes a request to cease dealing in a product no permitted purpose, and
    # NOCO v Shenzhen Carku [2023] EWCA Civ 1502 held marketplace reports actionable threats: no tick can
    # make the notice a permitted communication, so the filer is warned, with the exemptions that exist.
    holder = api(world.holder)
    elements = {k: v for k, v in NOTICE_ELEMENTS.items() if k != "permitted_communication"}
    case = file(holder, jurisdiction="GB", elements=elements)
    assert case["procedure"]["code"] == "gb-ecr"
    assert any("not a permitted purpose" in reason for reason in case["procedure_choice"]["reasons"])
    with app.test_request_context():
        from odr.procedure import jurisdictions
        from odr.procedure.notices import notice_warnings

        gb = jurisdictions.get("GB")
        (warning,) = notice_warnings(gb, "trademark")
        assert "70B(4)(a)" in warning["rule"]["article"] and "253B" in warning["rule"]["article"]
        assert "NOCO v Shenzhen Carku [2023] EWCA Civ 1502" in warning["text"]
        assert "manufacturer or importer" in warning["text"]
        assert notice_warnings(gb, "copyright") == []
        assert "permitted_communication" not in {e.name for e in gb.notice_rules("trademark").elements}


def test_us_forms_warn_of_512f_and_give_the_venue_for_sellers_abroad(world, api, browser):
    # Issue 12 item 8: §512(f) on both forms; §512(g)(3)(D) for a subscriber outside the United States.
    page = browser(world.holder).get("/cases/new?lang=en").get_data(as_text=True)
    assert "17 U.S.C. §512(f)" in page and "knowingly materially misrepresents in a notice" in page
    case = file(api(world.holder), jurisdiction="US", right_type="copyright")
    shown = browser(world.seller).get(f"/cases/{case['id']}?lang=en").get_data(as_text=True)
    assert "knowingly materially misrepresents in a counter-notice" in shown
    assert "if my address is outside the United States, for any judicial district in which" in shown
    from odr.procedure import jurisdictions

    assert "for a seller outside the United States" in jurisdictions.get("US").escalation_body
    assert "for a seller outside the United States" in shown  # the case page says where escalation goes


def test_hostile_elements_and_unknown_market_get_clear_errors(world, api):
    holder = api(world.holder)
    response = holder.post("/cases", notice_data(elements=["not", "an", "object"], target_market="ZZ"))
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "target_market" in fields
    response = holder.post("/cases", notice_data(elements={"identity": {"nested": 1}}))
    assert response.status_code == 422 and "elements.identity" in response.get_json()["error"]["fields"]


def test_the_case_page_explains_the_procedure_and_each_date(world, browser):
    holder = browser(world.holder)
    from odr.cases import services

    case = services.file_notice(world.holder, notice_data(jurisdiction="CN")).obj
    html = holder.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Why this procedure?" in html and "Why this date?" in html
    assert "Asia/Shanghai" in html or "Shanghai" in html


def test_a_defective_dmca_counter_notice_is_refused_and_starts_no_window(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case = file(holder, jurisdiction="US", right_type="copyright")
    elements = {k: v for k, v in COUNTER_NOTICE_ELEMENTS.items() if k != "consent_to_jurisdiction"}
    refused = seller.post(
        f"/cases/{case['id']}/filings",
        {"kind": "counter_notice", "language": "en", "text": "Mistake.", "elements": elements},
    )
    assert refused.status_code == 422
    assert list(refused.get_json()["error"]["fields"]) == ["elements.consent_to_jurisdiction"]
    after = holder.get(f"/cases/{case['id']}").get_json()
    assert after["state"] == "awaiting_response" and after["deadlines"][0]["timer"] == "response_period"


def test_the_notice_form_asks_for_each_element_and_names_what_is_missing(world, browser):
    holder = browser(world.holder)
    page = holder.get("/cases/new?lang=en").get_data(as_text=True)
    assert 'name="elements.identity"' in page and 'name="elements.permitted_communication"' not in page
    assert "NOCO v Shenzhen Carku" in page
    assert 'name="target_market"' in page
    response = holder.post(
        "/cases/new?lang=en",
        {
            "jurisdiction": "CN",
            "right_type": "trademark",
            "title": "Bolsos",
            "text": "Copias.",
            "language": "es",
            "listings": "https://shop.example/1",
            "respondent_email": world.seller.email,
            "submission_key": "k-1",
            "elements.identity": "Flamenco S.L.",
        },
        form_page="/cases/new",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Missing: Prima facie evidence of infringement" in html and "Art. 42(1)" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_the_seller_files_a_dmca_counter_notice_through_the_page(world, browser):
    from odr.cases import services

    case = services.file_notice(world.holder, notice_data(jurisdiction="US", right_type="copyright")).obj
    seller = browser(world.seller)
    page = seller.get(f"/cases/{case.id}?lang=en").get_data(as_text=True)
    assert 'name="elements.consent_to_jurisdiction"' in page
    form = {
        "kind": "counter_notice",
        "language": "en",
        "text": "Removed by mistake.",
        "submission_key": "cn-1",
        **{f"elements.{k}": "on" if v is True else v for k, v in COUNTER_NOTICE_ELEMENTS.items()},
    }
    # The first submission shows what a counter-notice sets in motion; only the confirmation files it.
    asked = seller.post(f"/cases/{case.id}/filings", form, form_page=f"/cases/{case.id}")
    assert asked.status_code == 200 and "§512(g)(2)(C)" in asked.get_data(as_text=True)
    form["confirmed"] = "1"
    assert seller.post(f"/cases/{case.id}/filings", form, form_page=f"/cases/{case.id}").status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "counter_notice_received"
