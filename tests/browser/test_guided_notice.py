"""The guided notice on a phone, in English, Spanish, Chinese and Arabic, as a right holder files a Chinese
trademark notice: the right and two listings, the page that says which procedure applies and why, only that
procedure's elements (one refusal: the typed text and every file stay), the summary with the legal warning, then
one filing. Counted in Chromium: page loads and form submissions; no sideways scrolling at 390 px and no axe-core
violation on any step."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_ui import ACCOUNTS, PASSWORD, _axe

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4 certificado de registro\n"
WIDTH = 390
# The statement in the language the form preselects (the page's): another would be questioned first.
STATEMENTS = {
    "en": "The seller offers counterfeit bags bearing our registered trademark.",
    "es": "El vendedor ofrece bolsos falsificados con nuestra marca registrada.",
    "zh_Hans": "该卖家销售带有我方注册商标的假冒手提包，侵犯了我方的商标专用权。",
    "ar": "يعرض البائع حقائب مقلدة تحمل علامتنا التجارية المسجلة دون إذن منا.",
}


def _catalog_text(locale: str, message: str) -> str:
    """The words the reader's catalog gives a message (what the page must show)."""
    from babel.support import Translations

    return Translations.load("translations", [locale]).gettext(message)


def fits(page, axe_source) -> None:
    """No sideways scrolling on the phone, and no accessibility violation axe-core finds."""
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH, page.url
    assert _axe(page, axe_source) == [], page.url


@pytest.mark.parametrize("locale", list(STATEMENTS))
def test_the_right_holder_files_a_guided_notice_on_a_phone(chromium, live_app, axe_source, tmp_path, locale):
    context, page = sign_in(chromium, live_app, ACCOUNTS["right_holder"], PASSWORD, width=WIDTH)
    loads, submissions = [], []
    page.on("load", lambda: loads.append(page.url))
    page.on("request", lambda r: r.method == "POST" and r.resource_type == "document" and submissions.append(r.url))
    files = {}
    for name in ("certificado-marca", "compra-de-prueba", "fotos-del-bolso"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(PDF)
    try:
        page.goto(f"/?lang={locale}")
        with page.expect_navigation():
            page.click(".page-head a.button.primary")  # "File a notice"
        assert re.search(r"/notices/new$", page.url)
        assert page.locator("html").get_attribute("lang") == locale.replace("_", "-")
        assert page.locator("[name^='elements.']").count() == 0  # nothing of a procedure before it is chosen
        fits(page, axe_source)
        page.select_option("#jurisdiction", "CN")
        page.select_option("#right_type", "trademark")
        page.fill("#title", f"Bolsos FLAMENCO falsificados {locale}")
        page.fill(
            "#listings", f"https://shop.example/item/{locale}-1 | Bolso FLAMENCO\nhttps://shop.example/item/{locale}-2"
        )
        # With a script, the listings named are counted as they are typed, in the page's language.
        counted = page.locator("#listings-count")
        assert counted.is_visible() and re.search(r"2", counted.inner_text()), counted.inner_text()
        assert counted.inner_text() == _catalog_text(locale, "Listings named: %(count)s").replace("%(count)s", "2")
        page.fill("#respondent_email", f"guided-seller-{locale}@shop.example")
        page.fill("#respondent_name", "Shenzhen Example Trading")
        page.fill("#respondent_country", "CN")
        with page.expect_navigation():
            page.click("main form button.primary")
        # Which procedure applies and why, before any element is asked.
        assert page.url.endswith("/procedure"), page.locator("main").inner_text()[:1500]
        explained = page.locator("main").inner_text()
        assert "cn-ecl" in explained and "E-Commerce Law" in explained
        assert page.locator("[name^='elements.']").count() == 0
        fits(page, axe_source)
        with page.expect_navigation():
            page.click("main form button.primary")
        # Only that procedure's elements; the identity left out: refused once.
        assert page.url.endswith("/elements")
        assert page.locator("[name='elements.signature']").count() == 0  # the DMCA's, not China's
        fits(page, axe_source)
        prima_facie = "Compra de prueba del 20-02-2026: el bolso lleva nuestra marca registrada sin licencia."
        page.fill("[name='elements.prima_facie_evidence']", prima_facie)
        page.check("[name='elements.truthfulness_guarantee']")
        page.set_input_files("[name='elements.right_certificate']", str(files["certificado-marca"]))
        page.set_input_files("[name='elements.prima_facie_evidence_file']", str(files["compra-de-prueba"]))
        page.set_input_files("#evidence", str(files["fotos-del-bolso"]))
        page.fill("#text", STATEMENTS[locale])
        with page.expect_navigation():
            page.click("main form button.primary")
        assert page.url.endswith("/elements") and page.locator("#elements\\.identity[aria-invalid=true]").count() == 1
        assert page.locator("[name='elements.prima_facie_evidence']").input_value() == prima_facie
        kept = " ".join(page.locator(".attached-element bdi, .attached-files bdi").all_inner_texts())
        assert all(f"{name}.pdf" in kept for name in files), kept
        fits(page, axe_source)
        page.fill("[name='elements.identity']", "Flamenco Diseños S.L., Calle Mayor 1, 28013 Madrid, B12345678")
        with page.expect_navigation():
            page.click("main form button.primary")  # no file attached again
        # The summary: what will be filed and the Chinese warning on wrongful notices.
        assert page.url.endswith("/summary"), page.locator("main").inner_text()[:1500]
        summary = page.locator("main").inner_text()
        assert f"https://shop.example/item/{locale}-2" in summary and "certificado-marca.pdf" in summary
        assert page.locator(".notice-warning").count() == 1
        fits(page, axe_source)
        with page.expect_navigation():
            page.click("main form button.primary")  # "File the notice"
        assert re.search(r"/cases/\d+$", page.url), page.locator("main").inner_text()[:1500]
        filed = page.locator("main").text_content()
        assert all(f"{name}.pdf" in filed for name in files)
    finally:
        context.close()
    counted = {"page_loads": len(loads), "submissions": len(submissions)}
    print(locale, "390px", counted)
    # dashboard, start, procedure, elements, elements refused, summary, case; five forms sent
    assert counted == {"page_loads": 7, "submissions": 5}, (loads, submissions)
