"""Issue 12 item 3 (E-Commerce Law Art. 43(2)): the right holder reports a complaint or a suit with the authority
or court, its case number and the acceptance notice; a complaint goes to no court; a suit does, and its judgment
is carried out with the measure it names. The rule cases of each path are in tests/rules/cn.yaml."""

import io
import json

from odr.cases import services
from odr.cases.models import Case, EvidenceFile, FilingKind
from odr.export import court
from odr.export.models import CaseExport
from odr.extensions import db
from odr.mediation.models import Measure
from tests.conftest import COUNTER_NOTICE_ELEMENTS, PDF, notice_data


def counter_noticed(world) -> Case:
    case = services.file_notice(world.holder, notice_data(right_type="design")).obj
    services.add_filing(
        world.seller,
        case.id,
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    return case


def report(api_client, case_id, data, document="acceptance"):
    parts = {"data": json.dumps(data)}
    if document == "acceptance":
        document = (io.BytesIO(PDF), "受理通知书.pdf")
    if document is not None:
        parts["document"] = document
    return api_client.client.post(
        f"/api/v1/cases/{case_id}/reports", data=parts, headers=api_client.headers, content_type="multipart/form-data"
    )


def measures(case) -> list[str]:
    rows = db.session.scalars(db.select(Measure).where(Measure.case_id == case.id).order_by(Measure.id)).all()
    return [m.kind.value for m in rows if m.listing == case.listings[0].locator]


def test_a_complaint_reported_through_the_api_is_recorded_with_its_document_and_sent_to_no_court(world, api):
    case = counter_noticed(world)
    holder = api(world.holder)
    complaint = {"step": "report_complaint", "body": "杭州市市场监督管理局", "case_number": "杭市监案〔2026〕118号"}
    missing = report(holder, case.id, complaint, document=None)
    assert missing.status_code == 422 and "document" in missing.get_json()["error"]["fields"]
    not_a_document = report(holder, case.id, complaint, document=(io.BytesIO(b"just text"), "notice.pdf"))
    assert not_a_document.status_code == 422
    assert report(api(world.seller), case.id, complaint).status_code == 409, "only the right holder reports"

    reported = report(holder, case.id, complaint)
    assert reported.status_code == 201, reported.get_json()
    assert reported.get_json()["terms"]["forum"] == "authority"
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "complaint_reported"
    assert db.session.scalar(db.select(db.func.count()).select_from(CaseExport)) == 0
    filing = next(f for f in case.filings if f.kind == FilingKind.REPORT)
    assert filing.terms["case_number"] == "杭市监案〔2026〕118号"
    document = db.session.scalar(db.select(EvidenceFile).where(EvidenceFile.filing_id == filing.id))
    assert document.original_name == "受理通知书.pdf" and document.media_type == "application/pdf"
    assert measures(case) == ["take_down"]


def test_a_suit_goes_to_the_court_whose_judgment_is_carried_out_as_it_names_the_measure(world, api):
    case = counter_noticed(world)
    suit = {"step": "report_suit", "body": "杭州市中级人民法院", "case_number": "(2026)浙01民初77号"}
    assert report(api(world.holder), case.id, suit).status_code == 201
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "escalated" and case.court_party_id is not None
    decision = {
        "outcome": "partly_upheld",
        "listing_measure": "region_restrict",
        "regions": ["CN"],
        "language": "zh",
        "text": "被告在中国境内停止销售。",
        "court_reference": "(2026)浙01民初77号",
    }
    court.decide(world.court, case.id, decision, court.Upload(io.BytesIO(PDF), "判决书.pdf"))
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "decided"
    assert measures(case) == ["take_down", "not_purchasable_in"]


def test_the_case_page_offers_the_report_form_and_the_form_reports(world, browser):
    case = counter_noticed(world)
    holder = browser(world.holder)
    page = holder.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'action="/cases/%d/reports"' % case.id in page and 'name="document"' in page
    refused = holder.post(
        f"/cases/{case.id}/reports",
        {"step": "report_complaint", "body": "x", "case_number": "x", "language": "en"},
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert "Placeholders such as “x” are not accepted" in refused.get_data(as_text=True)
    done = holder.post(
        f"/cases/{case.id}/reports",
        {
            "step": "report_complaint",
            "body": "杭州市市场监督管理局",
            "case_number": "杭市监案〔2026〕118号",
            "language": "zh",
            "document": (io.BytesIO(PDF), "受理通知书.pdf"),
        },
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert done.status_code == 302, done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "complaint_reported"


def test_what_to_do_next_offers_the_right_holder_each_report_with_its_form(world, browser):
    from odr.todo.services import obligations
    from tests.rules.test_rule_cases import received_at_once

    case = counter_noticed(world)
    received_at_once(case, case.state_entered_at)  # the 15 days run from the right holder's receipt
    (reply,) = obligations(world.holder).items
    assert [(c.kind, c.name) for c in reply.choices if c.kind == "report"] == [
        ("report", "report_complaint"),
        ("report", "report_suit"),
    ]
    assert "lift_measures" in reply.consequence_actions
    page = browser(world.holder).get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'href="#report-report_complaint"' in page and 'id="report-report_complaint"' in page
