"""Files of a refused form are kept for their uploader (odr/cases/pending.py): the form, sent again, files them
without a second upload; nobody else can use them; they expire and a periodic job removes them."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from odr.cases.models import Case, EvidenceFile, PendingUpload
from odr.cases.pending import sweep_expired
from odr.evidence import storage
from odr.extensions import db
from odr.models_base import utcnow
from tests.conftest import notice_data, notice_form_elements

PDF = b"%PDF-1.4 test purchase receipt\n"
# The files notice_data() and the notice form send as elements (tests/conftest.py): not this test's uploads.
ELEMENT_FILES = ("trademark-certificate.pdf", "test-purchase.pdf")
UPLOADED = EvidenceFile.original_name.not_in(ELEMENT_FILES)
EVIDENCE_FORM = PendingUpload.form == "notice"
TOKEN_RE = re.compile(r'name="kept_upload" value="([0-9a-f]+)"')


def notice_form(**overrides) -> dict:
    form = {
        "jurisdiction": "CN",
        "right_type": "trademark",
        "title": "Bolsos falsificados",
        "text": "El vendedor ofrece bolsos falsificados con nuestra marca.",
        "language": "es",
        "listings": "https://shop.example/a",
        "respondent_email": "seller@example.cn",
        "submission_key": "kept-1",
        **notice_form_elements(),
    }
    form.update(overrides)
    return form


def refused_with_file(page_browser, form: dict, name="receipt.pdf"):
    form = dict(form, evidence=(io.BytesIO(PDF), name))
    response = page_browser.post("/cases/new", form, form_page="/cases/new", content_type="multipart/form-data")
    assert response.status_code == 422, response.status_code
    return response.get_data(as_text=True)


def test_a_refused_notice_keeps_its_file_and_the_next_submission_files_it(world, browser):
    holder = browser(world.holder)
    form = notice_form()
    del form["elements.identity"]  # asked by the Chinese Civil Code, Art. 1195(1)
    html = refused_with_file(holder, form, name="../../etc/recibo.pdf")
    tokens = TOKEN_RE.findall(html)
    assert len(tokens) == 1 and "recibo.pdf" in html and "../" not in html.split("kept_upload")[1][:200]
    kept = db.session.scalar(db.select(PendingUpload).where(EVIDENCE_FORM))
    assert kept.account_id == world.holder.id and kept.form == "notice" and kept.media_type == "application/pdf"
    assert kept.original_name == "recibo.pdf" and kept.stored_name != "recibo.pdf"
    # Sent again, complete, with no file attached: the kept one is filed.
    response = holder.post(
        "/cases/new", notice_form(kept_upload=tokens[0]), form_page="/cases/new", content_type="multipart/form-data"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    evidence = db.session.scalars(db.select(EvidenceFile).where(UPLOADED)).all()
    assert [(e.original_name, e.stored_name, e.size) for e in evidence] == [("recibo.pdf", kept.stored_name, len(PDF))]
    # (The element files the first form sent stay kept for their elements until they expire: attached again here.)
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload).where(EVIDENCE_FORM)) == 0
    assert storage.blob_store().path("evidence", kept.stored_name).read_bytes() == PDF


def test_a_kept_file_can_be_removed_before_sending_again(world, browser):
    holder = browser(world.holder)
    form = notice_form()
    del form["elements.identity"]
    token = TOKEN_RE.findall(refused_with_file(holder, form))[0]
    stored_name = db.session.scalar(db.select(PendingUpload.stored_name).where(EVIDENCE_FORM))
    response = holder.post(
        "/cases/new",
        notice_form(kept_upload=token, remove_upload=token),
        form_page="/cases/new",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(db.select(db.func.count()).select_from(EvidenceFile).where(UPLOADED)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload).where(EVIDENCE_FORM)) == 0
    assert not storage.blob_store().path("evidence", stored_name).exists()


def test_another_account_cannot_use_a_kept_file(world, browser):
    form = notice_form()
    del form["elements.identity"]
    token = TOKEN_RE.findall(refused_with_file(browser(world.holder), form))[0]
    response = browser(world.stranger_holder).post(
        "/cases/new",
        notice_form(kept_upload=token, submission_key="other"),
        form_page="/cases/new",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "no longer available" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(EvidenceFile).where(UPLOADED)) == 0
    assert db.session.scalar(db.select(PendingUpload.account_id)) == world.holder.id  # still the holder's


def test_kept_files_expire_and_the_sweep_removes_them(world, browser, app):
    holder = browser(world.holder)
    form = notice_form()
    del form["elements.identity"]
    token = TOKEN_RE.findall(refused_with_file(holder, form))[0]
    stored_name = db.session.scalar(db.select(PendingUpload.stored_name).where(EVIDENCE_FORM))
    hours = app.config["ODR"]["PENDING_UPLOAD_HOURS"]
    assert sweep_expired(utcnow()) == 0
    # The evidence file and the three element files the refused form sent (tests/conftest.py NOTICE_ELEMENTS).
    assert sweep_expired(utcnow() + timedelta(hours=hours, minutes=1)) == 4
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0
    assert not storage.blob_store().path("evidence", stored_name).exists()
    # The form sent again says the file is gone: never filed without it silently.
    response = holder.post(
        "/cases/new", notice_form(kept_upload=token), form_page="/cases/new", content_type="multipart/form-data"
    )
    assert response.status_code == 422 and "no longer available" in response.get_data(as_text=True)


def test_a_refused_filing_on_the_case_page_keeps_its_file(world, api, browser):
    response = api(world.holder).post("/cases", notice_data())
    case_id = response.get_json()["id"]
    seller = browser(world.seller)
    page = f"/cases/{case_id}"
    response = seller.post(
        f"/cases/{case_id}/filings",
        {"kind": "message", "text": "", "language": "zh", "evidence": (io.BytesIO(PDF), "invoice.pdf")},
        form_page=page,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    tokens = TOKEN_RE.findall(response.get_data(as_text=True))
    assert len(tokens) == 1
    response = seller.post(
        f"/cases/{case_id}/filings",
        {
            "kind": "message",
            "text": "附上发票。",
            "language": "zh",
            "language_confirmed": "1",
            "kept_upload": tokens[0],
        },
        form_page=page,
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    assert db.session.scalars(db.select(EvidenceFile.original_name).where(UPLOADED)).all() == ["invoice.pdf"]
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0
