"""The screenshot set: every key page in en, zh_Hans and ar, at desktop width (1280 px) and on a phone (390 px).

The pages: the right holder's dashboard and new notice (the guided notice's first step), the case page in
negotiation, the agreement's signature page as the seller reads it, the court's decision as a party reads it,
the seller's inbox and the mediator's desk. Each is written as a full-page PNG to artifacts/screenshots/ (ignored
by git) and none scrolls sideways; each page's height in px and the Tab presses from the top of the case page to
its message box go to artifacts/screenshots/measurements.json, and are printed. The states shown (an agreement to
sign, a decided case) are made through the services.
"""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from tests.browser.conftest import SCREENSHOTS, serving, sign_in
from tests.browser.test_case_page import tabs_to
from tests.browser.test_settle_and_decide import JUDGMENT, at_the_court, demo_accounts, offer_made
from tests.browser.test_ui import ACCOUNTS, PASSWORD

pytestmark = pytest.mark.browser

LOCALES = ("en", "zh_Hans", "ar")
WIDTHS = {"desktop": 1280, "phone": 390}
MEASUREMENTS = SCREENSHOTS / "measurements.json"
NEGOTIATION = "Uso de la marca FLAMENCO"  # the demo's case in negotiation
TO_SIGN = "Acuerdo por firmar"
DECIDED = "Sentencia dictada"


def _prepare() -> None:
    """An agreement the seller accepted and may sign now; a case the court decided."""
    from odr.cases.models import FilingKind
    from odr.cases.services import Upload
    from odr.export import court
    from odr.mediation import signing

    people = demo_accounts()
    case = offer_made(people, TO_SIGN)
    offer = next(f for f in case.filings if f.kind == FilingKind.OFFER)
    signing.accept_offer(people["seller"], case.id, offer.id)
    signing.approve_version(people["seller"], case.id, "zh")
    case = at_the_court(people, DECIDED)
    decision = {
        "outcome": "partly_upheld",
        "listing_measure": "take_down",
        "amounts": [{"payer": "respondent", "amount": "1500", "currency": "CNY", "reason": "赔偿经济损失"}],
        "language": "zh",
        "text": "判决：被告下架侵权商品并赔偿原告经济损失。",
        "court_reference": "(2026)浙0192民初1号",
    }
    court.decide(people["court"], case.id, decision, Upload(io.BytesIO(JUDGMENT), "判决书.pdf"))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("screens"), _prepare) as url:
        yield url


def _case_ids(live) -> dict[str, int]:
    from odr.cases.models import Case
    from odr.extensions import db

    with live.app.app_context():
        return {t: db.session.scalar(select(Case.id).where(Case.title == t)) for t in (NEGOTIATION, TO_SIGN, DECIDED)}


def test_the_suite_writes_the_screenshot_set_with_page_heights_and_tab_counts(chromium, live):
    ids = _case_ids(live)
    # The key pages, each as the reader it is made for reads it.
    pages = {
        "right_holder": {
            "dashboard": "/",
            "new-notice": "/notices/new",  # the guided notice the dashboard offers, its first step
            "case-negotiation": f"/cases/{ids[NEGOTIATION]}",
            "court-decision": f"/cases/{ids[DECIDED]}",
        },
        "seller": {"agreement-signing": f"/cases/{ids[TO_SIGN]}/agreement", "inbox": "/inbox"},
        "mediator": {"mediator-desk": "/mediation"},
    }
    heights: dict = {}
    too_wide: list = []
    tabs: dict = {}
    written: list = []
    for role, paths in pages.items():
        context, page = sign_in(chromium, live, ACCOUNTS[role], PASSWORD)
        try:
            for width, px in WIDTHS.items():
                page.set_viewport_size({"width": px, "height": 900})
                for locale in LOCALES:
                    for name, path in paths.items():
                        response = page.goto(f"{path}?lang={locale}")
                        assert response is not None and response.status == 200, (role, path, locale)
                        if name == "court-decision":
                            assert page.locator("#court-status dd").count() >= 4, "the decision as a party reads it"
                        if name == "agreement-signing":
                            assert page.locator("#sign input[name=signed_name]").is_visible()
                        heights.setdefault(name, {}).setdefault(locale, {})[width] = page.evaluate(
                            "document.documentElement.scrollHeight"
                        )
                        if page.evaluate("document.documentElement.scrollWidth") > px:
                            too_wide.append((name, locale, width))
                        shot = SCREENSHOTS / f"{name}-{locale}-{width}.png"
                        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                        shot.unlink(missing_ok=True)
                        page.screenshot(path=str(shot), full_page=True)
                        written.append(shot)
                        if name == "case-negotiation":
                            tabs.setdefault(locale, {})[width] = tabs_to(page, "text")
        finally:
            context.close()
    measurements = {"page_height_px": heights, "tabs_to_case_message_box": tabs}
    MEASUREMENTS.write_text(json.dumps(measurements, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps(measurements, indent=2))

    assert len(written) == 7 * len(LOCALES) * len(WIDTHS)
    for shot in written:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{shot.name} is not a PNG"
    assert json.loads(MEASUREMENTS.read_text(encoding="utf-8")) == measurements
    assert not too_wide, f"pages wider than the screen: {too_wide}"
    # The message box of the case page is reachable from the keyboard, in every language and width.
    unreachable = [(locale, width) for locale, found in tabs.items() for width, n in found.items() if n is None]
    assert not unreachable, unreachable
