"""The statement of reasons page (DSA Art. 17) in German, French and Arabic, as the seller of the demo reads it:
every Art. 17(3) section titled in the reader's language, nothing left in English, mirrored in Arabic, accessible."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from odr.config import UI_LOCALES
from tests.browser.test_ui import ACCOUNTS, UI_TEXT_JS, _axe, _catalog_words, _login, _shoot, _untranslated, _visit

pytestmark = pytest.mark.browser

# The page title and the first and last section titles, as each catalog says them.
EXPECTED = {
    "de": ("Begründung", "Die Beschränkung", "Was Sie tun können"),
    "fr": ("Exposé des motifs", "La restriction", "Ce que vous pouvez faire"),
    "ar": ("بيان الأسباب", "التقييد", "ما يمكنك فعله"),
}


@pytest.fixture(scope="module")
def words():
    """English UI words, and the words each translation legitimately shares with English (as test_ui)."""
    return {locale: _catalog_words(locale) for locale in UI_LOCALES}


def _statement_path(page) -> str:
    """The seller's case that carries a statement of reasons (the demo's EU case), through the case pages."""
    page.goto("/?lang=en")
    for href in [a.get_attribute("href") for a in page.locator("table.cases a").all()]:
        page.goto(href)
        link = page.locator("a[href$='/statement-of-reasons']")
        if link.count():
            return urlsplit(link.first.get_attribute("href")).path
    raise AssertionError("the demo seller has a case with a statement of reasons")


def test_the_statement_of_reasons_page_in_german_french_and_arabic(chromium, live_app, words, axe_source):
    context, page = _login(chromium, live_app, ACCOUNTS["seller"])
    problems: list[str] = []
    try:
        path = _statement_path(page)
        for locale, (title, first, last) in EXPECTED.items():
            _visit(page, path, locale)
            assert page.locator("main h1").inner_text().strip() == title
            sections = [h.strip() for h in page.locator("article.statement h3").all_inner_texts()]
            assert len(sections) == 8 and sections[0] == first and sections[-1] == last, (locale, sections)
            direction = page.evaluate("getComputedStyle(document.body).direction")
            assert direction == ("rtl" if locale == "ar" else "ltr")
            problems += [
                f"[{locale}] untranslated: {hit}" for hit in _untranslated(page.evaluate(UI_TEXT_JS), locale, words)
            ]
            problems += [f"[{locale}] axe {v}" for v in _axe(page, axe_source)]
            _shoot(page, f"seller-statement-of-reasons-{locale}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
