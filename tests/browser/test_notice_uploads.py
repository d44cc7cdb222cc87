"""The right holder files a notice in one pass after one refusal, without attaching the evidence again: the
refused form keeps the uploaded files, the evidence and the files the law asks for as elements (the Chinese
right certificate), (odr/cases/pending.py) and shows them as already attached. Counted in Chromium: page loads
and submissions, in English and Spanish."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_ui import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4 test purchase receipt\n"
# The statement in the language the form preselects (the page's): another would be questioned first.
TEXTS = {
    "en": "The seller offers counterfeit bags bearing our registered trademark.",
    "es": "El vendedor ofrece bolsos falsificados con nuestra marca registrada.",
}


def _fill_elements(page, tmp_path, files: bool = True) -> None:
    """Every element the chosen procedure asks, as a right holder would type it (``files``: and attach it)."""
    for field in page.locator("input[name^='elements.'], textarea[name^='elements.']").all():
        if not field.is_visible() or field.is_disabled():
            continue
        kind = field.get_attribute("type") or "textarea"
        if kind == "checkbox":
            field.check()
        elif kind == "file":
            if files:
                path = tmp_path / f"{field.get_attribute('name').split('.', 1)[1]}.pdf"
                path.write_bytes(PDF)
                field.set_input_files(str(path))
        elif not field.input_value():
            field.fill("Flamenco Diseños S.L., Calle Mayor 1, 28013 Madrid, B12345678")


@pytest.mark.parametrize(("locale", "jurisdiction"), [("en", "EU"), ("es", "EU"), ("es", "CN")])
def test_the_right_holder_files_after_one_refusal_without_attaching_again(
    chromium, live_app, locale, jurisdiction, tmp_path
):
    context, page = sign_in(chromium, live_app, ACCOUNTS["right_holder"], PASSWORD)
    loads = submissions = 0
    evidence = tmp_path / "compra-de-prueba.pdf"
    evidence.write_bytes(PDF)
    try:
        page.goto(f"/cases/new?lang={locale}")
        loads += 1
        page.select_option("#jurisdiction", jurisdiction)
        page.fill("#title", f"Bolsos falsificados {locale}")
        page.fill("#listings", f"https://shop.example/item/{locale}-{jurisdiction}-1")
        page.fill("#text", TEXTS[locale])
        page.set_input_files("#evidence", str(evidence))
        page.fill("#respondent_email", f"seller-{locale}-{jurisdiction}@shop.example")
        page.fill("#respondent_name", "Shenzhen Example Trading")
        page.fill("#respondent_country", "XX")  # a typo: refused by the server
        _fill_elements(page, tmp_path)
        with page.expect_navigation():
            page.click("main form button[type=submit].primary")
        submissions += 1
        loads += 1
        assert page.locator(".attached-files").count() == 1, page.locator("main").inner_text()[:1500]
        assert "compra-de-prueba.pdf" in page.locator(".attached-files").inner_text()
        assert page.locator("#text").input_value() == TEXTS[locale]
        # The certificate and the evidence file the Chinese notice asks for (the form offers every element).
        asked = {"right_certificate.pdf", "prima_facie_evidence_file.pdf"} if jurisdiction == "CN" else set()
        assert asked <= set(page.locator(".attached-element:visible bdi").all_inner_texts())
        page.fill("#respondent_country", "CN")
        _fill_elements(page, tmp_path, files=False)  # the element files are kept too: not attached again
        with page.expect_navigation():
            page.click("main form button[type=submit].primary")
        submissions += 1
        loads += 1
        assert "/cases/new" not in page.url, [e.get_attribute("id") for e in page.locator(".field-error").all()]
        evidence = page.locator("main").text_content()
        assert "compra-de-prueba.pdf" in evidence  # in the evidence section
        assert all(name in evidence for name in asked)
    finally:
        context.close()
    print(locale, {"page_loads": loads, "submissions": submissions})
    assert (loads, submissions) == (3, 2)
