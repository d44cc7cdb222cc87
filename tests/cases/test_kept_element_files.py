"""Files sent as notice elements (the Chinese right certificate, the prima facie evidence file) are kept across a
refused notice form like the evidence input's files (odr/cases/pending.py KeptElements): the refused page shows
them as attached, and the form sent again without attaching them files them."""

from __future__ import annotations

import io
import re

from odr.cases.models import Case, EvidenceFile, PendingUpload
from odr.evidence import storage
from odr.extensions import db
from tests.conftest import notice_form_elements

PDF = b"%PDF-1.4 certificate of registration\n"
KEPT_RE = re.compile(r'name="kept_element\.([a-z_]+)" value="([0-9a-f]+)"')


def typed_fields(**overrides) -> dict:
    """What the right holder types (no files): a Chinese trademark notice."""
    form = {
        "jurisdiction": "CN",
        "right_type": "trademark",
        "title": "Bolsos falsificados",
        "text": "El vendedor ofrece bolsos falsificados con nuestra marca.",
        "language": "es",
        "listings": "https://shop.example/a",
        "respondent_email": "seller@example.cn",
        "submission_key": "kept-elements-1",
        **{k: v for k, v in notice_form_elements().items() if not isinstance(v, tuple)},
    }
    form.update(overrides)
    return form


def element_files() -> dict:
    return {
        "elements.right_certificate": (io.BytesIO(PDF), "certificado-marca.pdf"),
        "elements.prima_facie_evidence_file": (io.BytesIO(PDF), "compra-de-prueba.pdf"),
    }


def post(holder, form: dict):
    return holder.post("/cases/new", form, form_page="/cases/new", content_type="multipart/form-data")


def refused_with_element_files(holder) -> tuple[str, dict[str, str]]:
    form = typed_fields(**element_files())
    del form["elements.identity"]  # asked by the Chinese Civil Code, Art. 1195(1)
    response = post(holder, form)
    assert response.status_code == 422, response.status_code
    html = response.get_data(as_text=True)
    return html, dict(KEPT_RE.findall(html))


def test_a_refused_notice_keeps_its_element_files_and_shows_them_attached(world, browser):
    html, kept = refused_with_element_files(browser(world.holder))
    assert set(kept) == {"right_certificate", "prima_facie_evidence_file"}
    assert "certificado-marca.pdf" in html and "compra-de-prueba.pdf" in html
    rows = db.session.scalars(db.select(PendingUpload)).all()
    assert {(r.form, r.original_name, r.media_type) for r in rows} == {
        ("notice#right_certificate", "certificado-marca.pdf", "application/pdf"),
        ("notice#prima_facie_evidence_file", "compra-de-prueba.pdf", "application/pdf"),
    }
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_the_notice_sent_again_without_attaching_them_is_filed_with_the_kept_files(world, browser):
    holder = browser(world.holder)
    _html, kept = refused_with_element_files(holder)
    stored = {r.form.split("#")[1]: r.stored_name for r in db.session.scalars(db.select(PendingUpload))}
    response = post(holder, typed_fields(**{f"kept_element.{name}": token for name, token in kept.items()}))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    case = db.session.scalar(db.select(Case))
    files = {e.original_name: e.stored_name for e in db.session.scalars(db.select(EvidenceFile))}
    assert files == {
        "certificado-marca.pdf": stored["right_certificate"],
        "compra-de-prueba.pdf": stored["prima_facie_evidence_file"],
    }
    elements = case.filings[0].terms["elements"]
    assert elements["right_certificate"] == {"file": "certificado-marca.pdf", "media_type": "application/pdf"}
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0
    assert storage.blob_store().path("evidence", stored["right_certificate"]).read_bytes() == PDF


def test_a_new_file_replaces_the_kept_one_and_a_removed_one_is_asked_again(world, browser):
    holder = browser(world.holder)
    _html, kept = refused_with_element_files(holder)
    replaced = db.session.scalar(
        db.select(PendingUpload.stored_name).where(PendingUpload.form == "notice#right_certificate")
    )
    response = post(
        holder,
        typed_fields(
            **{f"kept_element.{name}": token for name, token in kept.items()},
            **{"elements.right_certificate": (io.BytesIO(PDF), "certificado-nuevo.pdf")},
            **{"remove_element.prima_facie_evidence_file": kept["prima_facie_evidence_file"]},
        ),
    )
    assert response.status_code == 422  # the removed file is asked for again, the new certificate is kept
    html = response.get_data(as_text=True)
    again = dict(KEPT_RE.findall(html))
    assert set(again) == {"right_certificate"} and "certificado-nuevo.pdf" in html
    assert not storage.blob_store().path("evidence", replaced).exists()
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 1


def test_another_account_cannot_file_a_kept_element_file(world, browser):
    _html, kept = refused_with_element_files(browser(world.holder))
    response = post(
        browser(world.stranger_holder),
        typed_fields(submission_key="other", **{f"kept_element.{n}": t for n, t in kept.items()}),
    )
    assert response.status_code == 422
    assert "no longer available" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
    assert {r.account_id for r in db.session.scalars(db.select(PendingUpload))} == {world.holder.id}
