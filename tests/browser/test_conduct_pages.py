"""Conduct pages in Chromium, in English, Chinese and Arabic: a person's own record (/conduct/record) and what a
notifier whose notices' processing is suspended (DSA Art. 23(2)) sees: the suspension on the notice page instead
of the form, with its statement of reasons and the way to appeal, and the appeal itself on the record.
Translated, mirrored in Arabic, no sideways scrolling on a phone, and no axe violation."""

from __future__ import annotations

import re

import pytest

from odr.config import UI_LOCALES
from tests.browser.conftest import serving, sign_in
from tests.browser.test_ui import ACCOUNTS, PASSWORD, UI_TEXT_JS, _axe, _catalog_words, _shoot, _untranslated, _visit

pytestmark = pytest.mark.browser

LOCALES = ("en", "zh_Hans", "ar")
YOUR_RECORD = {"en": "Your record", "zh_Hans": "您的记录", "ar": "سجلك"}
REASONS = {"en": "Statement of reasons", "zh_Hans": "理由说明", "ar": "بيان الأسباب"}
APPEAL_AWAITS = {
    "en": "awaits an administrator's decision",
    "zh_Hans": "正在等待管理员决定",
    "ar": "بانتظار قرار مسؤول",
}
SUSPENDED = {
    "en": "The processing of your notices is suspended until",
    "zh_Hans": "您的通知处理已暂停至",
    "ar": "معالجة إخطاراتك معلّقة حتى",
}


def _notifier_suspended() -> None:
    """The demo right holder's notices against the demo seller, found wrongful on the seller's claims one after
    the other (by the administrator as reviewer) until the misuse policy warns her, then suspends the
    processing of her notices (rules/policy/conduct.yaml, Platform Rule 17)."""
    from sqlalchemy import select

    from odr.accounts.models import Account
    from odr.cases import services as cases
    from odr.conduct import services
    from odr.conduct.policy import policy
    from odr.extensions import db
    from tests.conftest import notice_data

    holder, seller, admin = (
        db.session.scalar(select(Account).where(Account.email == ACCOUNTS[role]))
        for role in ("right_holder", "seller", "admin")
    )
    for n in range(policy().misuse["default"].minimum_unfounded + 1):
        case = cases.file_notice(
            holder, notice_data(seller_email=seller.email, jurisdiction="GB", title=f"Notice {n + 1}")
        ).obj
        claim = services.do_claim_wrongful_notice(
            seller, case.id, {"grounds": "Not our product.", "language": "en", "loss_amount": "100", "currency": "GBP"}
        )
        finding = "malicious" if n == policy().misuse["default"].minimum_unfounded else "erroneous"
        services.do_decide_wrongful_notice(
            admin, claim.id, {"finding": finding, "reasons": "Manifestly unfounded.", "language": "en"}
        )
    assert services.notice_processing_suspension(holder) is not None


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("conduct"), _notifier_suspended) as url:
        yield url


@pytest.fixture(scope="module")
def words():
    return {locale: _catalog_words(locale) for locale in UI_LOCALES}


def _checked(page, axe_source, words, locale, name) -> list[str]:
    problems = [f"{name} untranslated: {hit}" for hit in _untranslated(page.evaluate(UI_TEXT_JS), locale, words)]
    problems += [f"{name} axe {v}" for v in _axe(page, axe_source)]
    width = page.viewport_size["width"]
    if page.evaluate("document.documentElement.scrollWidth") > width:
        problems.append(f"{name}: wider than the {width} px screen")
    direction = page.evaluate("getComputedStyle(document.body).direction")
    if direction != ("rtl" if locale == "ar" else "ltr"):
        problems.append(f"{name}: laid out {direction}")
    return problems


def test_the_suspended_notifier_sees_why_on_the_notice_page_and_appeals_from_the_record(
    chromium, live, axe_source, words
):
    problems: list[str] = []
    for width in (1280, 390):
        context, page = sign_in(chromium, live, ACCOUNTS["right_holder"], PASSWORD, width)
        try:
            for locale in LOCALES:
                name = f"[{locale} {width}]"
                # The notice page: the suspension, why, and how to appeal; no form to fill in for nothing.
                _visit(page, "/cases/new", locale)
                notice = page.locator("section.suspension-notice")
                assert notice.locator("h2").inner_text().startswith(SUSPENDED[locale]), notice.inner_text()
                assert re.search(r"\d{4}-\d{2}-\d{2}", notice.locator("h2").inner_text())
                assert notice.locator("h3").inner_text().strip() == REASONS[locale]
                assert page.locator("form #title").count() == 0
                problems += _checked(page, axe_source, words, locale, f"notice page {name}")
                _shoot(page, f"right_holder-notice-suspended-{locale}-{width}")
                link = notice.locator("a.button")
                with page.expect_navigation():
                    link.click()
                # The record: the warning and the suspension, each with its statement of reasons.
                assert re.search(r"/conduct/record#measure-\d+$", page.url), page.url
                assert page.locator("main h1").inner_text().strip() == YOUR_RECORD[locale]
                measures = page.locator("article.account-measure")
                assert measures.count() == 2
                assert [h.strip() for h in page.locator("article.account-measure h4").all_inner_texts()] == [
                    REASONS[locale]
                ] * 2
                target = page.locator(page.evaluate("location.hash"))
                assert target.locator("textarea[name=appeal]").count() == 1  # the suspension can be appealed
                _visit(page, "/conduct/record", locale)
                problems += _checked(page, axe_source, words, locale, f"record {name}")
                _shoot(page, f"right_holder-record-{locale}-{width}")
        finally:
            context.close()

    # The appeal, filed in Arabic, is shown in every language on the record and on the notice page.
    context, page = sign_in(chromium, live, ACCOUNTS["right_holder"], PASSWORD)
    try:
        _visit(page, "/cases/new", "ar")
        suspension = page.locator("section.suspension-notice a.button").get_attribute("href").split("#")[1]
        _visit(page, "/conduct/record", "ar")
        form = page.locator(f"#{suspension} form")
        form.locator("textarea").fill("لم تكن الإخطارات تعسفية؛ نطلب رفع التعليق.")
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        assert page.locator(".flash.success").count() == 1
        problems += _checked(page, axe_source, words, "ar", "record after the appeal [ar]")
        for locale in LOCALES:
            _visit(page, "/cases/new", locale)
            assert page.locator("section.suspension-notice a.button").count() == 1
            assert APPEAL_AWAITS[locale] in page.locator("section.suspension-notice").inner_text()
            problems += _checked(page, axe_source, words, locale, f"notice page after the appeal [{locale}]")
            _visit(page, "/conduct/record", locale)
            assert page.locator(f"#{suspension} textarea[name=appeal]").count() == 0  # appealed once
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_seller_reads_their_own_record(chromium, live, axe_source, words, locale):
    context, page = sign_in(chromium, live, ACCOUNTS["seller"], PASSWORD)
    try:
        _visit(page, "/conduct/record", locale)
        assert page.locator("main h1").inner_text().strip() == YOUR_RECORD[locale]
        # Counted from outcomes: as seller, the notices found wrongful against it are not strikes.
        assert page.locator("tr[data-count^='seller.']").count() > 0
        assert page.locator("tr[data-count^='notifier.']").count() > 0
        problems = _checked(page, axe_source, words, locale, f"seller record [{locale}]")
        _shoot(page, f"seller-record-{locale}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
