"""The case page is built around the next action: measured in Chromium, as a right holder and a seller read it.

For each reader of the demo's negotiation case (FLAMENCO) it measures the page height at desktop width
(1280 px) and on a phone (390 px), how far down the parties' messages start, and how many Tab presses
reach the message box from the top of the page. The figures are written to
artifacts/measurements/case-page.json (ignored by git) and printed; the assertions hold the layout to
its promise: what to do next comes first, the conversation right after it.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import ROOT
from tests.browser.test_ui import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.browser

MEASUREMENTS = ROOT / "artifacts" / "measurements"
MAX_TABS = 200

MEASURE_JS = """() => {
  const top = el => el ? Math.round(el.getBoundingClientRect().top + window.scrollY) : null;
  return {
    height: document.documentElement.scrollHeight,
    width: document.documentElement.scrollWidth,
    messages_at: top(document.querySelector('.filing')),
    message_box_at: top(document.querySelector('#text')),
    next_at: top(document.querySelector('#next-action')),
  };
}"""


def _context(chromium, base, email, width):
    context = chromium.new_context(base_url=base, viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    page.goto("/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))
    return context, page


def _case_path(page, title: str) -> str:
    page.goto("/?lang=en")
    return urlsplit(page.locator("table.cases tr", has_text=title).locator("a").first.get_attribute("href")).path


def tabs_to(page, element_id: str) -> int | None:
    """Tab presses from the top of a freshly loaded page until ``element_id`` has the focus (None: never)."""
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return presses
    return None


def measure_case_page(chromium, base, role: str, title: str) -> dict:
    figures: dict = {}
    for name, width in (("desktop", 1280), ("phone", 390)):
        context, page = _context(chromium, base, ACCOUNTS[role], width)
        try:
            path = _case_path(page, title)
            page.goto(f"{path}?lang=en")
            figures[name] = page.evaluate(MEASURE_JS) | {"tabs_to_message_box": tabs_to(page, "text")}
        finally:
            context.close()
    return figures


@pytest.mark.parametrize("role", ["right_holder", "seller"])
def test_the_next_action_comes_first_and_the_conversation_right_after(chromium, live_app, role, axe_source):
    figures = measure_case_page(chromium, live_app, role, "FLAMENCO")
    MEASUREMENTS.mkdir(parents=True, exist_ok=True)
    out = MEASUREMENTS / "case-page.json"
    known = json.loads(out.read_text()) if out.exists() else {}
    known[role] = figures
    out.write_text(json.dumps(known, indent=2))
    print(role, json.dumps(figures))
    for name, found in figures.items():
        assert found["next_at"] is not None, f"{role} {name}: no 'what to do next' block"
        assert found["next_at"] < found["message_box_at"] < 2000, f"{role} {name}: {found}"
        assert found["tabs_to_message_box"] is not None and found["tabs_to_message_box"] <= 25, found
        assert found["width"] <= (1280 if name == "desktop" else 390), f"{role} {name}: sideways scrolling"
