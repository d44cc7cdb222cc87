"""A right holder's rights profile (odr/cases/profiles.py, /rights-profile): written once under the account, its
documents stored; a guided notice's elements step fills its empty elements in from it and attaches copies of its
documents, and the notice filed keeps its own copies while the profile keeps its documents."""

from __future__ import annotations

import io
import re

from odr.cases.models import Case, EvidenceFile, RightsDocument, RightsProfile
from odr.evidence import storage
from odr.extensions import db
from tests.cases.test_guided_notice import ELEMENTS, RIGHT, draft_of

PDF = b"%PDF-1.4 certificate of registration\n"
IDENTITY = "Flamenco Diseños S.L., Calle Mayor 1, 28013 Madrid, CIF B12345678"


def save(holder, **extra):
    form = {
        "identity": IDENTITY,
        "registrations": "CN 12345678 (class 18); EUTM 018123456",
        "contact": "Ana García, Calle Mayor 1, 28013 Madrid, +34 600 000 000",
        "signatory": "Ana García",
        "right_certificate": (io.BytesIO(PDF), "registro-cn.pdf"),
        "authorisation": (io.BytesIO(PDF), "poder.pdf"),
        **extra,
    }
    return holder.post("/rights-profile", form, form_page="/rights-profile", content_type="multipart/form-data")


def test_the_profile_is_saved_once_with_its_documents(world, browser):
    holder = browser(world.holder)
    assert save(holder).status_code == 303
    html = holder.get("/rights-profile").get_data(as_text=True)
    assert "Flamenco Diseños S.L." in html and "registro-cn.pdf" in html and "poder.pdf" in html
    old = db.session.scalar(db.select(RightsDocument.stored_name).where(RightsDocument.kind == "right_certificate"))
    # A new certificate replaces the stored one; a text file is refused with the typed words kept.
    assert save(holder, right_certificate=(io.BytesIO(PDF), "registro-2026.pdf")).status_code == 303
    assert not storage.blob_store().path("evidence", old).exists()
    refused = save(holder, identity="Otra S.L.", authorisation=(io.BytesIO(b"just text"), "poder.txt"))
    assert refused.status_code == 422 and "Otra S.L." in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(RightsProfile.identity)) == IDENTITY
    assert sorted(db.session.scalars(db.select(RightsDocument.original_name))) == ["poder.pdf", "registro-2026.pdf"]


def test_only_notifiers_have_a_rights_profile(world, browser):
    assert browser(world.seller).get("/rights-profile").status_code == 403


def test_a_guided_notice_is_filled_in_from_the_profile_and_files_copies_of_its_documents(world, browser):
    holder = browser(world.holder)
    save(holder)
    draft = draft_of(holder.post("/notices/new", dict(RIGHT), form_page="/notices/new"))
    step = f"/notices/drafts/{draft}"
    holder.post(f"{step}/procedure", {}, form_page=f"{step}/procedure")
    typed = {"text": ELEMENTS["text"], "language": "es"}
    response = holder.post(
        f"{step}/elements", dict(typed, go="profile"), form_page=f"{step}/elements", content_type="multipart/form-data"
    )
    assert response.status_code == 303 and response.location.endswith("/elements")
    html = holder.get(f"{step}/elements").get_data(as_text=True)
    assert "Flamenco Diseños S.L., Calle Mayor 1" in html and ELEMENTS["text"] in html  # typed text kept
    kept = dict(re.findall(r'name="kept_element\.([a-z_]+)" value="([0-9a-f]+)"', html))
    evidence = re.findall(r'name="kept_upload" value="([0-9a-f]+)"', html)
    assert set(kept) == {"right_certificate"} and len(evidence) == 1 and "poder.pdf" in html
    rest = {k: v for k, v in ELEMENTS.items() if k != "elements.identity"}
    response = holder.post(
        f"{step}/elements",
        dict(
            rest,
            **{"elements.identity": IDENTITY, "kept_element.right_certificate": kept["right_certificate"]},
            kept_upload=evidence[0],
            **{"elements.prima_facie_evidence_file": (io.BytesIO(PDF), "compra.pdf")},
        ),
        form_page=f"{step}/elements",
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and response.location.endswith("/summary"), response.get_data(as_text=True)
    page = f"{step}/summary"
    key = re.search(r'name="submission_key" value="([^"]+)"', holder.get(page).get_data(as_text=True)).group(1)
    assert holder.post(f"{step}/file", {"submission_key": key}, form_page=page).status_code == 302
    case = db.session.scalar(db.select(Case))
    assert case.filings[0].terms["elements"]["identity"] == IDENTITY
    filed = {e.original_name: e.stored_name for e in db.session.scalars(db.select(EvidenceFile))}
    profile_docs = {d.original_name: d.stored_name for d in db.session.scalars(db.select(RightsDocument))}
    assert {"registro-cn.pdf", "poder.pdf", "compra.pdf"} == set(filed)
    # The notice has its own copies; the profile keeps its documents for the next notice.
    assert filed["registro-cn.pdf"] != profile_docs["registro-cn.pdf"]
    assert storage.blob_store().path("evidence", profile_docs["registro-cn.pdf"]).exists()


def test_a_draft_is_filled_in_only_from_its_owners_profile(world, browser):
    save(browser(world.holder))
    other = browser(world.stranger_holder)
    draft = draft_of(other.post("/notices/new", dict(RIGHT), form_page="/notices/new"))
    step = f"/notices/drafts/{draft}"
    other.post(f"{step}/procedure", {}, form_page=f"{step}/procedure")
    html = other.get(f"{step}/elements").get_data(as_text=True)
    assert 'value="profile"' not in html  # no profile of its own: nothing offered
    other.post(f"{step}/elements", {"go": "profile"}, form_page=f"{step}/elements")
    assert IDENTITY not in other.get(f"{step}/elements").get_data(as_text=True)
