"""The inbox in Chromium, in English, Chinese and Arabic, at desktop width and on a 390 px phone: the demo
seller reads what was served on them with the unread count in the header, which goes down when a delivery
is opened, and a reminder of their period in their own words; the administrator reads the reminder of a
measure the platform has not confirmed. Translated, mirrored in Arabic, no sideways scrolling, and no axe
violation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from odr.config import UI_LOCALES
from tests.browser.conftest import serving, sign_in
from tests.browser.test_ui import ACCOUNTS, PASSWORD, UI_TEXT_JS, _axe, _catalog_words, _shoot, _untranslated, _visit

pytestmark = pytest.mark.browser

LOCALES = ("en", "zh_Hans", "ar")
WIDTHS = {"desktop": 1280, "phone": 390}
INBOX = {"en": "Inbox", "zh_Hans": "收件箱", "ar": "صندوق الوارد"}
# The unread count as a number: the badge's first text (a hidden word follows it for screen readers).
UNREAD_JS = """() => {
  const badge = document.querySelector('.inbox-link .unread-count');
  return badge ? badge.firstChild.textContent : '0';
}"""


def _reminders_sent() -> None:
    """The demo, with the reminders a sweep would have sent: the seller's 24-hour reminder of the period to
    answer, and the administrators' reminders of measures the platform has not confirmed."""
    from sqlalchemy import select

    from odr.accounts.models import Account
    from odr.cases.models import Case
    from odr.extensions import db
    from odr.mediation.measure_reminders import send_measure_reminders
    from odr.models_base import utcnow
    from odr.notifications import reminders
    from odr.procedure.models import Deadline, DeadlineStatus

    seller = db.session.scalar(select(Account).where(Account.email == ACCOUNTS["seller"]))
    pending = db.session.scalars(select(Deadline).where(Deadline.status == DeadlineStatus.PENDING)).all()
    deadline = next(
        d
        for d in pending
        if db.session.get_one(Case, d.case_id).respondent_party_id == seller.party_id
        and ("respondent", 24) in reminders.due_reminders(d, d.due_at - timedelta(hours=24))
    )
    assert reminders.send_reminders(deadline.due_at - timedelta(hours=24)) >= 1
    assert send_measure_reminders(utcnow()) >= 1


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("inbox"), _reminders_sent) as url:
        yield url


@pytest.fixture(scope="module")
def words():
    return {locale: _catalog_words(locale) for locale in UI_LOCALES}


def _signed_in(chromium, live, role, width):
    return sign_in(chromium, live, ACCOUNTS[role], PASSWORD, width)


def _unread(page) -> int:
    return int(page.evaluate(UNREAD_JS))


def _checked(page, axe_source, words, locale, width, name) -> list[str]:
    """What is wrong with the page as this reader sees it: English left over, axe violations, sideways scroll."""
    problems = [f"{name} untranslated: {hit}" for hit in _untranslated(page.evaluate(UI_TEXT_JS), locale, words)]
    problems += [f"{name} axe {v}" for v in _axe(page, axe_source)]
    if page.evaluate("document.documentElement.scrollWidth") > width:
        problems.append(f"{name}: wider than the {width} px screen")
    direction = page.evaluate("getComputedStyle(document.body).direction")
    if direction != ("rtl" if locale == "ar" else "ltr"):
        problems.append(f"{name}: laid out {direction}")
    return problems


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("locale", LOCALES)
def test_the_seller_reads_the_inbox_the_unread_count_and_a_reminder(chromium, live, axe_source, words, locale, width):
    context, page = _signed_in(chromium, live, "seller", WIDTHS[width])
    name = f"seller inbox [{locale} {width}]"
    try:
        _visit(page, "/inbox", locale)
        assert page.locator("main h1").inner_text().strip() == INBOX[locale]
        # The header's count is the number of unopened deliveries listed.
        unread_rows = page.locator("table.inbox tbody tr.unread")
        before = _unread(page)
        assert before == unread_rows.count() > 0, (before, unread_rows.count())
        assert page.locator(".inbox-link .unread-count").is_visible()
        # The reminder, in the seller's own words and language (Chinese, whatever the page's language), with
        # the end of the period as the seller's clock shows it.
        reminder = page.locator(".reminder-text").first
        assert reminder.is_visible()
        assert reminder.get_attribute("lang") == "zh"
        assert "提醒" in reminder.inner_text() and "中国标准时间" in reminder.inner_text()
        assert "卖家答复期限" in reminder.inner_text() and not re.search(r"[A-Za-z]{4,}", reminder.inner_text())
        problems = _checked(page, axe_source, words, locale, WIDTHS[width], name)
        _shoot(page, f"seller-inbox-{locale}-{width}")

        # Opening a delivery takes the reader to its case, and the count goes down by one.
        first = unread_rows.first
        with page.expect_navigation():
            first.locator("button[type=submit]").click()
        assert re.search(r"/cases/\d+", page.url), page.url
        assert _unread(page) == before - 1
        _visit(page, "/inbox", locale)
        assert page.locator("table.inbox tbody tr.unread").count() == before - 1
        assert _unread(page) == before - 1
    finally:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_administrator_reads_the_reminder_of_an_unconfirmed_measure(chromium, live, axe_source, words, locale):
    context, page = _signed_in(chromium, live, "admin", WIDTHS["desktop"])
    try:
        _visit(page, "/inbox", locale)
        row = page.locator("table.inbox tbody tr", has=page.locator(".reminder-text")).first
        text = row.locator(".reminder-text").inner_text()
        # Written in the administrator's language (English) when it was sent.
        assert row.locator(".reminder-text").get_attribute("lang") == "en"
        assert "has not confirmed applying it" in text and "hours later" in text
        problems = _checked(page, axe_source, words, locale, WIDTHS["desktop"], f"admin inbox [{locale}]")
        _shoot(page, f"admin-inbox-{locale}")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
