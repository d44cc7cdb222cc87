"""The guided notice (odr/cases/drafts.py, /notices/new): the right and the listings first, then which procedure
applies and why, then only that procedure's elements, then a summary with the jurisdiction's warnings, then one
filing through the notice service itself; a draft row keeps everything between the steps, and without script."""

from __future__ import annotations

import io
import re

from odr.cases.models import Case, EvidenceFile, NoticeDraft, PendingUpload
from odr.extensions import db
from odr.idempotency import IdempotentRequest

PDF = b"%PDF-1.4 certificate of registration\n"
KEPT_RE = re.compile(r'name="kept_element\.([a-z_]+)" value="([0-9a-f]+)"')

RIGHT = {
    "jurisdiction": "CN",
    "right_type": "trademark",
    "title": "Bolsos falsificados",
    "listings": "https://shop.example/item/1 | Bolso FLAMENCO\nhttps://shop.example/item/2",
    "product_category": "general",
    "target_market": "",
    "respondent_email": "seller@example.cn",
    "respondent_name": "Shenzhen Example Trading",
    "respondent_country": "CN",
    "respondent_language": "zh",
}
ELEMENTS = {
    "elements.identity": "Flamenco Diseños S.L., Calle Mayor 1, 28013 Madrid, B12345678",
    "elements.prima_facie_evidence": "Compra de prueba del 20-02-2026: el bolso lleva nuestra marca registrada.",
    "elements.truthfulness_guarantee": "on",
    "language": "es",
    "text": "El vendedor ofrece bolsos falsificados con nuestra marca registrada.",
    "remedy_sought": "Retirada de los anuncios",
}


def files() -> dict:
    return {
        "elements.right_certificate": (io.BytesIO(PDF), "certificado-marca.pdf"),
        "elements.prima_facie_evidence_file": (io.BytesIO(PDF), "compra-de-prueba.pdf"),
        "evidence": (io.BytesIO(PDF), "fotos.pdf"),
    }


def draft_of(response) -> int:
    match = re.search(r"/notices/drafts/(\d+)/", response.location or response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return int(match.group(1))


def to_summary(holder, right=RIGHT, elements=ELEMENTS) -> int:
    response = holder.post("/notices/new", dict(right), form_page="/notices/new")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    draft = draft_of(response)
    assert response.location.endswith(f"/notices/drafts/{draft}/procedure")
    step = f"/notices/drafts/{draft}"
    response = holder.post(f"{step}/procedure", {}, form_page=f"{step}/procedure")
    assert response.status_code == 303 and response.location.endswith("/elements")
    response = holder.post(
        f"{step}/elements", dict(elements, **files()), form_page=f"{step}/elements", content_type="multipart/form-data"
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    assert response.location.endswith("/summary")
    return draft


def test_the_procedure_page_says_which_procedure_applies_and_why_before_any_element(world, browser):
    holder = browser(world.holder)
    start = holder.get("/notices/new").get_data(as_text=True)
    assert 'name="elements.' not in start  # nothing of any procedure is asked with the right
    draft = draft_of(holder.post("/notices/new", dict(RIGHT), form_page="/notices/new"))
    html = holder.get(f"/notices/drafts/{draft}/procedure").get_data(as_text=True)
    assert 'name="elements.' not in html
    assert "cn-ecl" in html and "E-Commerce Law" in html  # the procedure, its citation
    assert "The notice was filed under the law of the platform&#39;s jurisdiction: China." in html  # why
    assert "A period starts" in html  # the periods and what happens when they run out


def test_the_elements_step_asks_only_the_chosen_procedures_elements(world, browser):
    holder = browser(world.holder)
    draft = draft_of(holder.post("/notices/new", dict(RIGHT), form_page="/notices/new"))
    holder.post(f"/notices/drafts/{draft}/procedure", {}, form_page=f"/notices/drafts/{draft}/procedure")
    html = holder.get(f"/notices/drafts/{draft}/elements").get_data(as_text=True)
    asked = set(re.findall(r'name="elements\.([a-z_]+)"', html))
    assert asked == {
        "identity",
        "right_certificate",
        "prima_facie_evidence",
        "prima_facie_evidence_file",
        "truthfulness_guarantee",
    }  # the Chinese trademark notice's; not the DMCA's signature nor a patent's evaluation report


def test_a_market_that_changes_the_procedure_is_said_before_any_element(world, browser):
    holder = browser(world.holder)
    draft = draft_of(holder.post("/notices/new", dict(RIGHT, target_market="DE"), form_page="/notices/new"))
    html = holder.get(f"/notices/drafts/{draft}/procedure").get_data(as_text=True)
    assert "Digital Services" in html and "eu-dsa" in html


def test_going_back_keeps_what_was_typed(world, browser):
    holder = browser(world.holder)
    draft = draft_of(holder.post("/notices/new", dict(RIGHT), form_page="/notices/new"))
    step = f"/notices/drafts/{draft}"
    holder.post(f"{step}/procedure", {}, form_page=f"{step}/procedure")
    typed = {"elements.identity": "Flamenco Diseños S.L., Madrid", "text": "Bolsos con nuestra marca."}
    response = holder.post(f"{step}/elements", dict(typed, go="back"), form_page=f"{step}/elements")
    assert response.status_code == 303 and response.location.endswith("/procedure")
    right = holder.get(f"{step}/right").get_data(as_text=True)
    assert "Bolsos falsificados" in right and "https://shop.example/item/2" in right
    elements = holder.get(f"{step}/elements").get_data(as_text=True)
    assert "Flamenco Diseños S.L., Madrid" in elements and "Bolsos con nuestra marca." in elements


def test_a_refusal_at_the_elements_step_keeps_the_text_and_the_files(world, browser):
    holder = browser(world.holder)
    draft = draft_of(holder.post("/notices/new", dict(RIGHT), form_page="/notices/new"))
    step = f"/notices/drafts/{draft}"
    holder.post(f"{step}/procedure", {}, form_page=f"{step}/procedure")
    incomplete = {k: v for k, v in ELEMENTS.items() if k != "elements.identity"}
    response = holder.post(
        f"{step}/elements",
        dict(incomplete, **files()),
        form_page=f"{step}/elements",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert ELEMENTS["elements.prima_facie_evidence"] in html and ELEMENTS["text"] in html
    assert set(dict(KEPT_RE.findall(html))) == {"right_certificate", "prima_facie_evidence_file"}
    assert "fotos.pdf" in html
    # Sent again with the missing element and no file: on to the summary, every file still there.
    response = holder.post(
        f"{step}/elements",
        dict(
            ELEMENTS,
            kept_upload=re.search(r'name="kept_upload" value="([0-9a-f]+)"', html).group(1),
            **{f"kept_element.{n}": t for n, t in KEPT_RE.findall(html)},
        ),
        form_page=f"{step}/elements",
        content_type="multipart/form-data",
    )
    assert response.status_code == 303 and response.location.endswith("/summary")
    summary = holder.get(f"{step}/summary").get_data(as_text=True)
    assert all(name in summary for name in ("certificado-marca.pdf", "compra-de-prueba.pdf", "fotos.pdf"))


def test_the_summary_shows_what_will_be_filed_and_the_jurisdictions_warnings(world, browser):
    holder = browser(world.holder)
    draft = to_summary(holder)
    html = holder.get(f"/notices/drafts/{draft}/summary").get_data(as_text=True)
    assert "Before you file:" in html and "E-Commerce Law" in html  # cn_wrongful_notice, with its rule
    assert "https://shop.example/item/1 | Bolso FLAMENCO" in html and "https://shop.example/item/2" in html
    assert "certificado-marca.pdf" in html and "seller@example.cn" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0  # nothing filed yet


def test_filing_from_the_summary_opens_one_case_even_when_sent_twice(world, browser):
    holder = browser(world.holder)
    draft = to_summary(holder)
    page = f"/notices/drafts/{draft}/summary"
    key = re.search(r'name="submission_key" value="([^"]+)"', holder.get(page).get_data(as_text=True)).group(1)
    first = holder.post(f"/notices/drafts/{draft}/file", {"submission_key": key}, form_page=page)
    assert first.status_code == 302, first.get_data(as_text=True)[:3000]
    case = db.session.scalar(db.select(Case))
    assert first.location.endswith(f"/cases/{case.id}")
    assert [listing.locator for listing in case.listings] == [
        "https://shop.example/item/1",
        "https://shop.example/item/2",
    ]
    assert case.procedure_code == "cn-ecl"
    names = set(db.session.scalars(db.select(EvidenceFile.original_name)))
    assert names == {"certificado-marca.pdf", "compra-de-prueba.pdf", "fotos.pdf"}
    # The draft is gone with its files; the second submission (a double click) answers the same case.
    assert db.session.scalar(db.select(db.func.count()).select_from(NoticeDraft)) == 0
    assert db.session.scalar(db.select(db.func.count()).select_from(PendingUpload)) == 0
    second = holder.client.post(
        f"/notices/drafts/{draft}/file", data={"submission_key": key, "csrf_token": holder.csrf("/notices/new")}
    )
    assert second.status_code == 303 and second.location.endswith(f"/cases/{case.id}")
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(IdempotentRequest)) == 1


def test_another_account_cannot_read_or_change_a_draft(world, browser):
    draft = to_summary(browser(world.holder))
    other = browser(world.stranger_holder)
    for step in ("right", "procedure", "elements", "summary"):
        assert other.get(f"/notices/drafts/{draft}/{step}").status_code == 404
    assert other.post(f"/notices/drafts/{draft}/right", dict(RIGHT), form_page="/notices/new").status_code == 404
    assert other.post(f"/notices/drafts/{draft}/file", {}, form_page="/notices/new").status_code == 404
    assert other.post(f"/notices/drafts/{draft}/delete", {}, form_page="/notices/new").status_code == 404
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
    assert db.session.get(NoticeDraft, draft).step == "summary"


def test_a_later_step_cannot_be_skipped_to(world, browser):
    holder = browser(world.holder)
    draft = draft_of(holder.post("/notices/new", dict(RIGHT, title=""), form_page="/notices/new"))
    response = holder.get(f"/notices/drafts/{draft}/summary")
    assert response.status_code == 302 and response.location.endswith(f"/notices/drafts/{draft}/right")


def test_the_dashboard_leads_to_the_guided_notice_and_lists_the_drafts(world, browser):
    holder = browser(world.holder)
    assert 'href="/notices/new"' in holder.get("/").get_data(as_text=True)
    draft = draft_of(holder.post("/notices/new", dict(RIGHT), form_page="/notices/new"))
    for page in ("/", "/notices/new"):
        html = holder.get(page).get_data(as_text=True)
        assert "Continue your draft" in html and f"/notices/drafts/{draft}/procedure" in html


def test_the_first_step_sent_twice_starts_one_draft(world, browser):
    holder = browser(world.holder)
    key = re.search(r'name="start_key" value="([0-9a-f]+)"', holder.get("/notices/new").get_data(as_text=True))
    first = holder.post("/notices/new", dict(RIGHT, start_key=key.group(1)), form_page="/notices/new")
    second = holder.post("/notices/new", dict(RIGHT, start_key=key.group(1)), form_page="/notices/new")
    assert draft_of(first) == draft_of(second)
    assert db.session.scalar(db.select(db.func.count()).select_from(NoticeDraft)) == 1
