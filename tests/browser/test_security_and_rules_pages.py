"""A seller's security page (Platform Rule 22) and the published platform rules (/platform-rules) in Chromium,
in English, Chinese and Arabic, at 1280 and 390 px: the offer form with the case's terms, the decided state
with the decider's reasons, and the rules in the reader's language. Translated, mirrored in Arabic, no sideways
scrolling on a phone, and no axe violation."""

from __future__ import annotations

import pytest

from odr.config import UI_LOCALES
from tests.browser.conftest import serving, sign_in
from tests.browser.test_conduct_pages import _checked
from tests.browser.test_ui import ACCOUNTS, PASSWORD, _catalog_words, _shoot, _visit

pytestmark = pytest.mark.browser

LOCALES = ("en", "zh_Hans", "ar")
WIDTHS = (1280, 390)
SECURITY = {"en": "Security to stay online", "zh_Hans": "保持在线的担保", "ar": "ضمان للبقاء متاحاً على الإنترنت"}
CASES: dict[str, int] = {}


def _cases() -> None:
    """Two Chinese notices by the demo right holder against the demo seller (taken down at once, E-Commerce Law
    Art. 42(2)): on the first the seller has offered nothing yet; on the second its bank guarantee was accepted
    by the administrator as reviewer, with reasons, and the listings restored."""
    import io

    from sqlalchemy import select

    from odr.accounts.models import Account
    from odr.cases import services as cases
    from odr.extensions import db
    from odr.securities import services
    from tests.conftest import notice_data

    holder, seller, admin = (
        db.session.scalar(select(Account).where(Account.email == ACCOUNTS[role]))
        for role in ("right_holder", "seller", "admin")
    )
    open_case = cases.file_notice(holder, notice_data(seller_email=seller.email, title="Festival listing A")).obj
    decided = cases.file_notice(holder, notice_data(seller_email=seller.email, title="Festival listing B")).obj
    upload = cases.Upload(io.BytesIO(b"%PDF-1.7\n% bank guarantee\n" + b"0" * 200), "guarantee.pdf")
    offer = {"amount": "50000", "currency": "CNY", "document_kind": "bank_guarantee", "note": "", "language": "zh"}
    security = services.do_offer_security(seller, decided.id, offer, upload).obj
    services.do_decide_security(
        admin,
        security.id,
        {"decision": "accept", "reasons": "The guarantee covers the right holder's likely loss.", "language": "en"},
    )
    CASES.update(open=open_case.id, decided=decided.id, security=security.id)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("security"), _cases) as url:
        yield url


@pytest.fixture(scope="module")
def words():
    return {locale: _catalog_words(locale) for locale in UI_LOCALES}


def test_the_seller_offers_a_security_and_reads_the_decision(chromium, live, axe_source, words):
    problems: list[str] = []
    for width in WIDTHS:
        context, page = sign_in(chromium, live, ACCOUNTS["seller"], PASSWORD, width)
        try:
            for locale in LOCALES:
                name = f"[{locale} {width}]"
                _visit(page, f"/cases/{CASES['open']}/security", locale)
                assert page.locator("main h1").inner_text().strip() == SECURITY[locale]
                form = page.locator("#offer form")
                assert form.locator("#amount").count() == 1 and form.locator("#document[type=file]").count() == 1
                assert page.locator("#terms").inner_text().strip()
                problems += _checked(page, axe_source, words, locale, f"offer form {name}")
                _shoot(page, f"seller-security-offer-{locale}-{width}")

                _visit(page, f"/cases/{CASES['decided']}/security", locale)
                decided = page.locator(f"#security-{CASES['security']}")
                assert "50000" in decided.inner_text()
                assert "The guarantee covers the right holder's likely loss." in decided.inner_text()
                assert decided.locator("form").count() == 0, "the seller does not decide its own offer"
                problems += _checked(page, axe_source, words, locale, f"decided security {name}")
                _shoot(page, f"seller-security-decided-{locale}-{width}")
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_the_platform_rules_in_the_readers_language(chromium, live, axe_source, words):
    problems: list[str] = []
    for width in WIDTHS:
        context = chromium.new_context(base_url=live, viewport={"width": width, "height": 900}, bypass_csp=True)
        page = context.new_page()
        try:
            for locale in LOCALES:
                _visit(page, "/platform-rules", locale)
                assert page.locator("main h1").count() == 1
                assert page.locator("main h2").count() >= 22, "every rule, Rule 22 included"
                assert page.evaluate("document.documentElement.lang").replace("-", "_") in (locale, locale[:2])
                problems += _checked(page, axe_source, words, locale, f"platform rules [{locale} {width}]")
                _shoot(page, f"platform-rules-{locale}-{width}")
        finally:
            context.close()
    assert not problems, "\n".join(problems)
