"""Every role walks its main pages in all ten languages in Chromium: translated, mirrored in Arabic, accessible.

Screenshots of the main pages in en, zh_Hans and ar land in artifacts/screenshots/.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from babel.messages.pofile import read_po

from odr.config import UI_LOCALES
from tests.browser.conftest import ROOT, SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser

PASSWORD = "demo-password"
ACCOUNTS = {
    "right_holder": "lucia@flamenco-disenos.es",
    "seller": "wei@shenzhen-gadgets.cn",
    "mediator": "jonas@mediation.example.de",
    "court": "clerk@internet-court.example.cn",
    "admin": "admin@odr.example",
}
SCREENSHOT_LOCALES = ("en", "zh_Hans", "ar")
AXE_LOCALES = ("en", "ar")
WORD = re.compile(r"[A-Za-z]{3,}")
IDENTIFIER = re.compile(r"\b[a-z]+_[a-z_]+\b")
# Words that are the same in every language of the UI (brand, standards, codes).
SAME_EVERYWHERE = {"ODR", "SHA", "URL", "JSON", "PDF", "API", "ISO", "ECF", "UTC", "EUR", "USD", "CNY", "GBP", "JPY"}

# The visible UI text of a page, leaving out user content (bidi-isolated), code, text in another language and
# values Babel formatted in the reader's locale (data-l10n=babel: dates, zone names).
UI_TEXT_JS = """() => {
  const lang = document.documentElement.lang;
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest('script,style,code,pre,bdi,[dir=auto],[translate=no],[data-l10n=babel]')) continue;
    const other = el.closest('[lang]');
    if (other && other.lang !== lang) continue;
    const text = node.textContent.replace(/\\s+/g, ' ').trim();
    if (text) texts.push(text);
  }
  for (const el of document.querySelectorAll('[aria-label],[placeholder],[title],[alt]')) {
    for (const name of ['aria-label', 'placeholder', 'title', 'alt']) {
      if (el.getAttribute(name)) texts.push(el.getAttribute(name));
    }
  }
  return texts;
}"""

AXE_JS = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                                          resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.impact} ${v.id}: ${v.help} @ ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`);
}"""


def _catalog_words(locale: str) -> set[str]:
    path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    words: set[str] = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        words.update(*(WORD.findall(text) for text in (ids if locale == "en" else strings) if text))
    return words


@pytest.fixture(scope="module")
def vocabulary():
    """English UI words, and the words each translation legitimately shares with English."""
    return {locale: _catalog_words(locale) for locale in UI_LOCALES}


def _untranslated(texts: list[str], locale: str, vocabulary) -> list[str]:
    english, own = vocabulary["en"], vocabulary[locale]
    found = []
    for text in texts:
        words = {w for w in WORD.findall(text) if w in english and w not in own and w not in SAME_EVERYWHERE}
        if words or IDENTIFIER.search(text):
            found.append(f"{text!r} ({', '.join(sorted(words)) or 'raw identifier'})")
    return found


def _login(chromium, base, email):
    return sign_in(chromium, base, email, PASSWORD)


def _main_pages(page) -> dict[str, str]:
    """The role's pages: its navigation, its first case, its preferences."""
    pages = {"dashboard": "/"}
    page.goto("/?lang=en")
    for link in page.locator(".main-nav a").all():
        path = urlsplit(link.get_attribute("href")).path
        if path != "/":
            pages[path.strip("/").replace("/", "-")] = path
    first_case = page.locator("table.cases a").first
    if first_case.count():
        pages["case"] = urlsplit(first_case.get_attribute("href")).path
    pages["profile"] = "/profile"
    return pages


def _visit(page, path, locale):
    response = page.goto(f"{path}?lang={locale}")
    assert response is not None and response.status == 200, f"{path} in {locale}: {response and response.status}"
    assert page.evaluate("document.documentElement.lang") == locale.replace("_", "-")


def _shoot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _axe(page, axe_source) -> list[str]:
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(content=axe_source)
    return page.evaluate(AXE_JS)


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_each_role_walks_its_pages_in_every_language(chromium, live_app, role, vocabulary, axe_source):
    context, page = _login(chromium, live_app, ACCOUNTS[role])
    problems: list[str] = []
    try:
        pages = _main_pages(page)
        assert "case" in pages, f"the demo gives {role} at least one case"
        for locale in UI_LOCALES:
            for name, path in pages.items():
                _visit(page, path, locale)
                if locale != "en":
                    problems += [
                        f"{role} {name} [{locale}] untranslated: {hit}"
                        for hit in _untranslated(page.evaluate(UI_TEXT_JS), locale, vocabulary)
                    ]
                if locale in AXE_LOCALES:
                    problems += [f"{role} {name} [{locale}] axe {v}" for v in _axe(page, axe_source)]
                if locale in SCREENSHOT_LOCALES:
                    _shoot(page, f"{role}-{name}-{locale}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_sign_in_and_sign_up_pages_in_every_language(chromium, live_app, vocabulary, axe_source):
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    try:
        for locale in UI_LOCALES:
            for name in ("login", "signup"):
                _visit(page, f"/{name}", locale)
                if locale != "en":
                    problems += [
                        f"{name} [{locale}] untranslated: {hit}"
                        for hit in _untranslated(page.evaluate(UI_TEXT_JS), locale, vocabulary)
                    ]
                if locale in AXE_LOCALES:
                    problems += [f"{name} [{locale}] axe {v}" for v in _axe(page, axe_source)]
                if locale in SCREENSHOT_LOCALES:
                    _shoot(page, f"anonymous-{name}-{locale}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


# What assistive technology reads with each control marked invalid: its error message, found by id.
INVALID_FIELDS_JS = """() => [...document.querySelectorAll('[aria-invalid=true]')].map(el => {
  const message = document.getElementById(el.getAttribute('aria-describedby'));
  return [el.id, message ? message.textContent.trim() : null];
})"""


def test_a_refused_form_ties_each_error_to_its_field(chromium, live_app, axe_source):
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    problems: list[str] = []
    try:
        for locale in AXE_LOCALES:
            _visit(page, "/signup", locale)
            page.fill("#email", f"refused-{locale}@example.org")
            page.fill("#password", "short")
            page.fill("#display_name", "Ana")
            page.fill("#organisation", "Ana S.L.")
            page.fill("#country", "ES")
            page.fill("#time_zone", "Nowhere/City")
            with page.expect_navigation():
                page.click("form.card button[type=submit]")
            invalid = dict(page.evaluate(INVALID_FIELDS_JS))
            assert set(invalid) == {"password", "time_zone"} and all(invalid.values()), invalid
            problems += [f"refused signup [{locale}] axe {v}" for v in _axe(page, axe_source)]
            if locale in SCREENSHOT_LOCALES:
                _shoot(page, f"anonymous-signup-refused-{locale}")
            # The summary at the top leads to the first error.
            page.click(".flash.error a")
            assert page.evaluate("location.hash") in {"#password-error", "#time_zone-error"}
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_a_refused_form_on_the_case_page_keeps_the_input_and_marks_the_field(chromium, live_app, axe_source):
    context, page = _login(chromium, live_app, ACCOUNTS["right_holder"])
    try:
        page.goto("/?lang=en")
        case = urlsplit(
            page.locator("table.cases tr", has_text="FLAMENCO").locator("a").first.get_attribute("href")
        ).path
        page.goto(f"{case}?lang=en")
        page.click("#settling > summary")  # the ways to settle are folded under the conversation
        page.fill("#bid-currency", "E1")
        page.fill("#bid-rounds", "7")
        page.select_option("#bid-listing", "remove")
        with page.expect_navigation():
            page.click("#bid-currency >> xpath=ancestor::form//button[@type='submit']")
        assert dict(page.evaluate(INVALID_FIELDS_JS)).keys() == {"bid-currency"}
        assert page.input_value("#bid-currency") == "E1" and page.input_value("#bid-rounds") == "7"
        assert page.input_value("#bid-listing") == "remove"
        assert "currency:" not in page.locator(".flash.error").inner_text()
        problems = [f"refused bidding axe {v}" for v in _axe(page, axe_source)]
        _shoot(page, "right_holder-bidding-refused-en")
        page.click(".flash.error a")
        assert page.evaluate("location.hash") == "#currency-error"
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def _box(page, selector):
    box = page.locator(selector).first.bounding_box()
    assert box, f"{selector} is not visible"
    return box


def test_arabic_pages_really_lay_out_right_to_left(chromium, live_app):
    context, page = _login(chromium, live_app, ACCOUNTS["right_holder"])
    try:
        layout = {}
        for locale in ("en", "ar"):
            _visit(page, "/", locale)
            main = _box(page, "main")
            heading = _box(page, "main h1")
            layout[locale] = {
                "dir": page.evaluate("document.documentElement.dir"),
                "direction": page.evaluate("getComputedStyle(document.body).direction"),
                "brand": _box(page, ".brand")["x"],
                "language": _box(page, ".lang-switch")["x"],
                "heading_start_gap": heading["x"] - main["x"],
                "heading_end_gap": (main["x"] + main["width"]) - (heading["x"] + heading["width"]),
                "cell_align": page.evaluate("getComputedStyle(document.querySelector('th')).textAlign"),
            }
        en, ar = layout["en"], layout["ar"]
        assert (en["dir"], en["direction"]) == ("ltr", "ltr")
        assert (ar["dir"], ar["direction"]) == ("rtl", "rtl")
        # The brand sits at the start of the line: left in English, right in Arabic; the language menu opposite.
        assert en["brand"] < en["language"]
        assert ar["brand"] > ar["language"]
        # Headings hug the start edge: the left one in English, the right one in Arabic.
        assert en["heading_start_gap"] < 40 < en["heading_end_gap"]
        assert ar["heading_end_gap"] < 40 < ar["heading_start_gap"]
        assert en["cell_align"] in {"start", "left"} and ar["cell_align"] in {"start", "right"}
        # User text is isolated from the page direction.
        assert page.evaluate("getComputedStyle(document.querySelector('bdi')).unicodeBidi") == "isolate"
        page.set_viewport_size({"width": 390, "height": 844})
        _visit(page, "/", "ar")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
        _shoot(page, "phone-dashboard-ar")
        _visit(page, "/", "en")
        _shoot(page, "phone-dashboard-en")
    finally:
        context.close()


def test_a_keyboard_user_can_skip_to_the_content_and_switch_language(chromium, live_app):
    context = chromium.new_context(base_url=live_app, bypass_csp=True)
    page = context.new_page()
    try:
        _visit(page, "/login", "en")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className").startswith("skip")
        assert page.locator(".skip").is_visible()
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"
        page.locator(".lang-switch summary").focus()
        page.keyboard.press("Enter")
        page.locator(".lang-menu a[lang=ja]").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.evaluate("document.documentElement.lang") == "ja"
        # Remembered: the next page without ?lang= stays in Japanese.
        page.goto("/signup")
        assert page.evaluate("document.documentElement.lang") == "ja"
    finally:
        context.close()


def test_the_accessibility_check_does_catch_violations(chromium, axe_source):
    """The axe pass above is only worth something if it can fail: an unlabelled field and an image without alt."""
    context = chromium.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.set_content(
            '<html lang="en"><head><title>t</title></head><body><main><img src="x.png">'
            '<input type="text"></main></body></html>'
        )
        found = " ".join(_axe(page, axe_source))
        assert "image-alt" in found and "label" in found, found
    finally:
        context.close()


def test_the_untranslated_check_flags_english_ui_words_and_raw_identifiers(vocabulary):
    assert _untranslated(["Abmelden", "Mediator", "ODR-2026-000001 · CN"], "de", vocabulary) == []
    assert _untranslated(["Sign out"], "de", vocabulary) and _untranslated(["awaiting_response"], "ja", vocabulary)
    assert _untranslated(["期限：Next deadline"], "zh_Hans", vocabulary)
