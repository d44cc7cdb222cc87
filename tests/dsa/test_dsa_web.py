"""The DSA lane through the pages: the reviewers' queue and decision form, the statement of reasons page with
the complaint form, and the complaint's decision; refused forms keep the input and mark the fields."""

import re
from datetime import timedelta

import lxml.html

from odr.cases.models import Case
from odr.domain_events import commit
from odr.dsa import services as dsa
from odr.dsa.models import Complaint, ComplaintStatus
from odr.extensions import db
from odr.models_base import utcnow
from tests.conftest import EU_DECISION, decide_eu_notice, notice_data


def filed(api, world, **overrides) -> int:
    response = api(world.holder).post("/cases", notice_data(jurisdiction="EU", target_market="FR", **overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def html(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def test_the_queue_puts_the_trusted_flagger_first_and_the_form_decides_with_reasons(world, api, browser):
    first, second = filed(api, world, title="First"), filed(api, world, title="Second")
    dsa.mark_trusted_flagger(db.session.get(Case, second), "FR-TF-001 (Arcom)", utcnow())
    commit()
    admin = browser(world.admin)
    queue = html(admin.get("/dsa/reviews"))
    links = [a.get("href") for a in queue.xpath("//table[contains(@class,'reviews')]//a")]
    assert links == [f"/cases/{second}/notice-decision", f"/cases/{first}/notice-decision"]
    assert browser(world.seller).get("/dsa/reviews").status_code == 404

    page = f"/cases/{first}/notice-decision"
    refused = admin.post(
        page, {"outcome": "restrict", "explanation": "x", "legal_ground": "Art. 9 EUTMR"}, form_page=page
    )
    assert refused.status_code == 422
    form = html(refused)
    assert form.xpath("//*[@id='explanation']")[0].get("aria-invalid") == "true"
    assert form.xpath("//*[@id='facts']")[0].get("aria-invalid") == "true"
    assert form.xpath("//*[@id='legal_ground']")[0].get("value") == "Art. 9 EUTMR", "input kept"
    done = admin.post(page, dict(EU_DECISION), form_page=page)
    assert done.status_code == 302
    assert db.session.get(Case, first).state == "awaiting_response"


def test_the_statement_page_and_the_complaint_form(world, api, browser):
    case_id = filed(api, world)
    decide_eu_notice(world.admin, case_id)
    seller = browser(world.seller)
    page = seller.get(f"/cases/{case_id}/statement-of-reasons?lang=en")
    assert page.status_code == 200
    doc = html(page)
    titles = [h.text_content() for h in doc.xpath("//article//h3")]
    assert titles == [
        "The restriction",
        "Where it applies",
        "How long",
        "Facts and circumstances",
        "Use of automated means",
        "Legal ground",
        "Which law applies",
        "What you can do",
    ]
    text = doc.text_content()
    assert "In France" in text and EU_DECISION["explanation"] in text and "User Rights GmbH (DE)" in text
    assert browser(world.stranger_seller).get(f"/cases/{case_id}/statement-of-reasons").status_code == 404
    case_page = seller.get(f"/cases/{case_id}").get_data(as_text=True)
    assert f"/cases/{case_id}/statement-of-reasons" in case_page

    path = f"/cases/{case_id}/complaints"
    refused = seller.post(path, {"text": "  "}, form_page=f"/cases/{case_id}/statement-of-reasons")
    assert refused.status_code == 422 and html(refused).xpath("//*[@id='text']")[0].get("aria-invalid") == "true"
    assert (
        seller.post(path, {"text": "Genuine goods."}, form_page=f"/cases/{case_id}/statement-of-reasons").status_code
        == 302
    )
    complaint = db.session.scalar(db.select(Complaint))
    assert complaint.role == "respondent"

    admin = browser(world.admin)
    queue = admin.get("/dsa/reviews").get_data(as_text=True)
    assert "Genuine goods." in queue and "open for 0 days" in queue
    decision = f"/complaints/{complaint.id}/decision"
    refused = admin.post(decision, {"outcome": "rejected", "reasons": ""}, form_page="/dsa/reviews")
    assert refused.status_code == 422
    done = admin.post(
        decision,
        {"outcome": "rejected", "reasons": "The test purchase shows the goods are not the right holder's."},
        form_page="/dsa/reviews",
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == ComplaintStatus.REJECTED


def test_the_notifier_complains_from_the_case_after_no_action(world, api, browser):
    case_id = filed(api, world)
    decide_eu_notice(world.admin, case_id, outcome="no_action", at=utcnow() - timedelta(minutes=1))
    holder = browser(world.holder)
    page = holder.get(f"/cases/{case_id}/statement-of-reasons").get_data(as_text=True)
    assert "No restriction has been imposed" in page and 'name="text"' in page
    posted = holder.post(
        f"/cases/{case_id}/complaints",
        {"text": "The listing copies our mark."},
        form_page=f"/cases/{case_id}/statement-of-reasons",
    )
    assert posted.status_code == 302
    assert db.session.scalar(db.select(Complaint)).role == "claimant"


def test_a_platform_reviewer_sees_no_case_outside_the_dsa_review_lane(world, api, browser, platform):
    """The adversarial run of issue 20 found the decision page showing any case's notice to any platform client."""
    chinese = api(world.holder).post("/cases", notice_data(title="Secret CN notice")).get_json()["id"]
    reviewer = browser(platform)
    page = reviewer.get(f"/cases/{chinese}/notice-decision")
    missing = reviewer.get(f"/cases/{2**31 - 7}/notice-decision")
    assert page.status_code == missing.status_code == 404
    assert "Secret CN notice" not in page.get_data(as_text=True)

    # The same page as for a case that does not exist, but for the number asked for and per-request tokens.
    def scrubbed(response) -> bytes:
        return re.sub(rb"/cases/\d+", b"/cases/N", re.sub(rb'(value|nonce)="[^"]*"', b"", response.get_data()))

    assert scrubbed(page) == scrubbed(missing)
    refused = api(platform).post(f"/cases/{chinese}/notice-decision", dict(EU_DECISION))
    assert refused.status_code == 404  # not "not waiting for a decision": that would say the case exists
    # A case in the lane stays the reviewer's to decide.
    eu = filed(api, world, title="EU notice")
    assert reviewer.get(f"/cases/{eu}/notice-decision").status_code == 200
