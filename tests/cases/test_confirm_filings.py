"""A counter-notice and a court's decision take effect at once: the web form's first submission shows what will
happen (a confirmation page, no script needed) carrying the typed values and the kept files; only "confirm"
files it. The API files at once, as before."""

from __future__ import annotations

import html
import io
import re

from odr.cases.models import Case, EvidenceFile, Filing, FilingKind, PendingUpload
from odr.export.models import CourtDecision
from odr.extensions import db
from tests.conftest import COUNTER_NOTICE_ELEMENTS, notice_data
from tests.export.conftest import escalate

PDF = b"%PDF-1.7\n% signed decision\n" + b"0" * 200
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def hidden_fields(page: str) -> list[tuple[str, str]]:
    return [(k, html.unescape(v)) for k, v in HIDDEN_RE.findall(page) if k != "csrf_token"]


def confirm(client, path: str, page: str, **extra):
    """Press a button of the confirmation page: its hidden fields, and the button's own name and value."""
    data: dict = {}
    for name, value in hidden_fields(page):
        data.setdefault(name, []).append(value)
    data.update(extra)
    return client.post(path, data, form_page=path.rsplit("/", 1)[0], content_type="multipart/form-data")


def counter_notice_form() -> dict:
    return {
        "kind": "counter_notice",
        "language": "en",
        "text": "The listing was removed by mistake.",
        "submission_key": "cn-1",
        **{f"elements.{k}": "on" if v is True else v for k, v in COUNTER_NOTICE_ELEMENTS.items()},
    }


def test_a_counter_notice_is_filed_only_after_its_confirmation_page(world, api, browser):
    response = api(world.holder).post("/cases", notice_data(jurisdiction="US", right_type="copyright"))
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["id"]
    seller = browser(world.seller)
    path = f"/cases/{case_id}/filings"
    first = seller.post(
        path,
        {**counter_notice_form(), "evidence": (io.BytesIO(PDF), "invoice.pdf")},
        form_page=f"/cases/{case_id}",
        content_type="multipart/form-data",
    )
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "File this counter-notice?" in page and "invoice.pdf" in page
    assert "business days" in page and "512" in page  # what happens next, with the rule (17 U.S.C. §512(g))
    assert db.session.query(Filing).filter_by(case_id=case_id, kind=FilingKind.COUNTER_NOTICE).count() == 0
    state_before = db.session.get(Case, case_id).state
    assert ("text", "The listing was removed by mistake.") in hidden_fields(page)
    # "No, change it": the form again with what was typed and the file kept.
    change = confirm(seller, path, page, edit="1").get_data(as_text=True)
    assert "The listing was removed by mistake." in change and "invoice.pdf" in change
    assert db.session.query(Filing).filter_by(case_id=case_id, kind=FilingKind.COUNTER_NOTICE).count() == 0
    # Confirmed: filed, with the kept file, once.
    done = confirm(seller, path, page, confirmed="1")
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    db.session.expire_all()
    assert db.session.query(Filing).filter_by(case_id=case_id, kind=FilingKind.COUNTER_NOTICE).count() == 1
    assert db.session.get(Case, case_id).state != state_before
    by_seller = db.select(EvidenceFile.original_name).filter_by(case_id=case_id, uploaded_by_id=world.seller.id)
    assert db.session.scalars(by_seller).all() == ["invoice.pdf"]
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0


def test_the_api_files_a_counter_notice_at_once(world, api):
    case_id = api(world.holder).post("/cases", notice_data(jurisdiction="US", right_type="copyright")).get_json()["id"]
    response = api(world.seller).post(
        f"/cases/{case_id}/filings",
        {"kind": "counter_notice", "language": "en", "text": "Mistake.", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    assert response.status_code == 201, response.get_json()


def decision_form() -> dict:
    return {
        "outcome": "upheld",
        "listing_measure": "take_down",
        "language": "zh",
        "text": "支持原告的请求。",
        "amount": "5000",
        "currency": "CNY",
        "payer": "respondent",
        "reason": "赔偿",
        "court_reference": "(2026) 粤03民初123号",
        "submission_key": "dec-1",
    }


def test_a_decision_takes_effect_only_after_its_confirmation_page(world, browser):
    case = escalate(world)
    clerk = browser(world.court)
    path = f"/cases/{case.id}/decision"
    first = clerk.post(
        path,
        {**decision_form(), "document": (io.BytesIO(PDF), "judgment.pdf")},
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    for shown in ("Record this decision?", "Claim upheld", "Take the listings down", "5000 CNY", "judgment.pdf"):
        assert shown in page, shown
    assert "The case closes" in page and "The platform carries out the decision" in page
    assert db.session.query(CourtDecision).filter_by(case_id=case.id).count() == 0
    done = confirm(clerk, path, page, confirmed="1")
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    db.session.expire_all()
    decision = db.session.query(CourtDecision).filter_by(case_id=case.id).one()
    assert decision.outcome == "upheld" and decision.court_reference == "(2026) 粤03民初123号"
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0


def test_a_refused_decision_keeps_its_document_and_is_confirmed_without_it_again(world, browser):
    case = escalate(world)
    clerk = browser(world.court)
    path = f"/cases/{case.id}/decision"
    refused = clerk.post(
        path,
        {**decision_form(), "text": "", "document": (io.BytesIO(PDF), "judgment.pdf")},
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    token = re.search(r'name="kept_upload" value="([0-9a-f]+)"', refused.get_data(as_text=True)).group(1)
    second = clerk.post(
        path,
        {**decision_form(), "kept_upload": token},
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert second.status_code == 200 and "judgment.pdf" in second.get_data(as_text=True)
    assert confirm(clerk, path, second.get_data(as_text=True), confirmed="1").status_code == 302
    db.session.expire_all()
    assert db.session.query(CourtDecision).filter_by(case_id=case.id).count() == 1


def test_a_document_that_is_not_a_pdf_is_refused_before_the_confirmation(world, browser):
    case = escalate(world)
    response = browser(world.court).post(
        f"/cases/{case.id}/decision",
        {**decision_form(), "document": (io.BytesIO(b"upheld :-)"), "judgment.pdf")},
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422 and "not a PDF" in response.get_data(as_text=True)
