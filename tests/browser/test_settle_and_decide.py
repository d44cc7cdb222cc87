"""The personas' jobs after a notice, walked in Chromium in their language, on a phone first.

- The seller accepts the right holder's offer on the case page; each party signs the agreement at its own
  time (the seller on a 390 px phone); the case settles.
- The court's clerk enters a decision through its confirmation page; both parties read it on their case
  page: the outcome, the measure, the court and its reference.

Each walk runs in en, es, zh_Hans and ar at 390 px (Arabic laid out right to left) and once at desktop width,
counts page loads and submissions, and checks what each user reads against the catalog of their language.
The states the walks start from (an offer made, a case at the court) are made through the services, one
server for the module.
"""

from __future__ import annotations

import io
import zlib

import pytest
from sqlalchemy import select

from odr.i18n import locale_name
from odr.procedure.titles import listing_measure_label, outcome_label, state_label
from tests.browser.conftest import serving, sign_in
from tests.browser.test_ui import ACCOUNTS, PASSWORD, _axe

pytestmark = pytest.mark.browser

LOCALES = ("en", "es", "zh_Hans", "ar")
WIDTHS = {"desktop": 1280, "phone": 390}
# Every language on a phone, and the desktop once.
WALKS = [(locale, "phone") for locale in LOCALES] + [("en", "desktop")]
PHONE = WIDTHS["phone"]
OFFER = "Retiren el anuncio y paguen 500 EUR."
RESPONSE = "我们从授权经销商处购买了这些商品。"
SELLER_NAME, HOLDER_NAME = "王伟", "Lucía García"
COURT_NAME = "Hangzhou Internet Court (demo)"
JUDGMENT = b"%PDF-1.7\n% signed judgment\n" + b"0" * 200


def offer_title(locale: str, width: str) -> str:
    return f"Oferta aceptada {locale} {width}"


def court_title(locale: str, width: str) -> str:
    return f"Sentencia {locale} {width}"


def court_reference(locale: str, width: str) -> str:
    return f"(2026)浙0192民初{zlib.crc32(f'{locale}{width}'.encode()) % 10000}号"


# -- the case states the walks start from, made through the services ------------------------------------------


def demo_accounts() -> dict:
    from odr.accounts.models import Account
    from odr.extensions import db

    return {role: db.session.scalar(select(Account).where(Account.email == email)) for role, email in ACCOUNTS.items()}


def notice_in_negotiation(people: dict, title: str):
    """A Chinese trademark notice by the demo's Spanish right holder, answered by the Chinese seller."""
    from odr.cases import services
    from odr.demo import DEMO_ELEMENT_FILES, DEMO_NOTICE_ELEMENTS

    data = {
        "jurisdiction": "CN",
        "right_type": "trademark",
        "title": title,
        "text": "El vendedor ofrece bolsos falsificados con nuestra marca FLAMENCO.",
        "language": "es",
        "listings": [f"https://marketplace.example/item/{zlib.crc32(title.encode())}"],
        "remedy_sought": "Retirada del anuncio.",
        "respondent": {"email": ACCOUNTS["seller"]},
        "elements": DEMO_NOTICE_ELEMENTS,
    }
    files = {name: services.Upload(io.BytesIO(body), filename) for name, (filename, body) in DEMO_ELEMENT_FILES.items()}
    case = services.file_notice(people["right_holder"], data, element_files=files).obj
    services.add_filing(people["seller"], case.id, {"kind": "response", "language": "zh", "text": RESPONSE})
    return case


def offer_made(people: dict, title: str):
    """In negotiation, with the right holder's offer to the seller: the listing removed and 500 EUR."""
    from odr.cases import services

    case = notice_in_negotiation(people, title)
    terms = {"amount": "500", "currency": "EUR", "listing_measure": "remove"}
    services.add_filing(
        people["right_holder"], case.id, {"kind": "offer", "language": "es", "text": OFFER, "terms": terms}
    )
    return case


def at_the_court(people: dict, title: str):
    """Negotiation failed: the right holder escalated, and the case is with the demo's internet court."""
    from odr.cases import services

    case = notice_in_negotiation(people, title)
    services.take_action(people["right_holder"], case.id, "escalate")
    return case


def _prepare() -> None:
    people = demo_accounts()
    for locale, width in WALKS:
        offer_made(people, offer_title(locale, width))
        at_the_court(people, court_title(locale, width))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with serving(tmp_path_factory.mktemp("settle"), _prepare) as url:
        yield url


# -- reading the page as its user does ----------------------------------------------------------------------


def said(live, locale: str, message: str, **values) -> str:
    """``message`` as the catalog of ``locale`` says it."""
    from flask_babel import force_locale

    from odr.extensions import gettext

    with live.app.test_request_context(), force_locale(locale):
        return gettext(message, **values)


def label(live, locale: str, function, code: str) -> str:
    """A label of the shared vocabulary (outcome, measure, state) in ``locale``."""
    from flask_babel import force_locale

    with live.app.test_request_context(), force_locale(locale):
        return str(function(code))


def case_state(live, title: str) -> str:
    from odr.cases.models import Case
    from odr.extensions import db

    with live.app.app_context():
        return db.session.scalar(select(Case.state).where(Case.title == title))


class Walk:
    """One persona's job: counts page loads and submissions and checks each page it lands on (axe, no sideways
    scrolling, the page's language and direction)."""

    def __init__(self, page, axe_source, locale: str, name: str):
        self.page, self.axe_source, self.locale, self.name = page, axe_source, locale, name
        self.loads = self.submissions = 0
        self.problems: list[str] = []

    def landed(self, what: str) -> None:
        self.loads += 1
        page = self.page
        self.problems += [f"{self.name} {what}: axe {v}" for v in _axe(page, self.axe_source)]
        if page.evaluate("document.documentElement.scrollWidth") > page.viewport_size["width"]:
            self.problems.append(f"{self.name} {what}: wider than the screen")
        if page.evaluate("document.documentElement.lang") != self.locale.replace("_", "-"):
            self.problems.append(f"{self.name} {what}: not in {self.locale}")
        direction = page.evaluate("getComputedStyle(document.body).direction")
        if direction != ("rtl" if self.locale == "ar" else "ltr"):
            self.problems.append(f"{self.name} {what}: laid out {direction}")

    def submit(self, selector: str, what: str) -> None:
        """Press a form's button, as the user does: it must be on the screen's width."""
        button = self.page.locator(selector)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        width = self.page.viewport_size["width"]
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, f"{self.name} {what}: {selector} at {box}"
        with self.page.expect_navigation():
            button.click()
        self.submissions += 1
        self.landed(what)

    def follow(self, link, what: str) -> None:
        with self.page.expect_navigation():
            link.click()
        self.landed(what)

    def open_case(self, title: str) -> None:
        """From the dashboard to the case, as the user finds it: by its title in the list of cases."""
        self.page.goto(f"/?lang={self.locale}")
        self.landed("dashboard")
        self.follow(self.page.locator("table.cases tr", has_text=title).locator("a").first, "case")


def flash(page) -> str:
    return page.locator(".flash.success").inner_text().strip()


# -- the seller accepts, both sign, the case settles ---------------------------------------------------------


@pytest.mark.parametrize(("locale", "width"), WALKS)
def test_the_seller_accepts_the_offer_both_sign_each_at_its_own_time_and_the_case_settles(
    chromium, live, axe_source, locale, width
):
    title = offer_title(locale, width)
    # The seller, on a phone: accepts the offer, approves the version in its language, signs.
    context, page = sign_in(chromium, live, ACCOUNTS["seller"], PASSWORD, PHONE)
    seller = Walk(page, axe_source, locale, f"settle-seller-{locale}-{width}")
    try:
        seller.open_case(title)
        accept = ".filing form[action*='/offers/'] button[type=submit]"
        assert page.locator(accept).inner_text().strip() == said(live, locale, "Accept this offer")
        seller.submit(accept, "accepted")
        assert flash(page) == said(
            live, locale, "You accepted the offer: its terms are now the draft agreement, to be signed by both."
        )
        assert page.locator("main h1").inner_text().startswith(said(live, locale, "Settlement agreement"))
        # The Chinese version was written by a machine, as it says in Chinese: nobody signs it before a person
        # approved it.
        chinese = page.locator("section.card[lang=zh]")
        assert said(live, "zh_Hans", "Machine translation, not yet approved by a party or the mediator.") in (
            chinese.inner_text()
        )
        assert (
            said(
                live,
                "zh_Hans",
                "This is a translation; the %(language)s text is authoritative.",
                language=label(live, "zh_Hans", locale_name, "es"),
            )
            in chinese.inner_text()
        )
        assert page.locator("#sign").count() == 0
        seller.submit("section.card[lang=zh] form button[type=submit]", "approved")
        assert flash(page) == said(live, locale, "The version is approved.")
        # The offer's terms are clauses of each version, each in its own language.
        assert "500.00 EUR" in page.locator("section.card[lang=es]").inner_text()
        assert page.locator("#sign-heading").inner_text() == said(live, locale, "Signature page")
        page.fill("#sign input[name=signed_name]", SELLER_NAME)
        page.fill("#sign input[name=capacity]", "法定代表人")
        page.fill("#sign input[name=place]", "深圳")
        page.fill("#sign input[name=password]", PASSWORD)
        seller.submit("#sign button[type=submit]", "signed")
        assert flash(page) == said(live, locale, "You signed the agreement.")
        assert SELLER_NAME in page.locator(".card", has=page.locator("code")).first.inner_text()
        assert page.locator("p.status").count() == 0, "one signature does not conclude the agreement"
    finally:
        context.close()
    assert case_state(live, title) != "settled"

    # The right holder, later and on its own device: reads the agreement from its case page and signs.
    context, page = sign_in(chromium, live, ACCOUNTS["right_holder"], PASSWORD, WIDTHS[width])
    holder = Walk(page, axe_source, locale, f"settle-holder-{locale}-{width}")
    try:
        holder.open_case(title)
        holder.follow(page.locator("#settlement a[href$='/agreement']"), "agreement")
        # The seller's signature act is there, with the name it typed.
        assert SELLER_NAME in page.locator("main").inner_text()
        page.fill("#sign input[name=signed_name]", HOLDER_NAME)
        page.fill("#sign input[name=capacity]", "administradora")
        page.fill("#sign input[name=place]", "Madrid")
        page.fill("#sign input[name=password]", PASSWORD)
        holder.submit("#sign button[type=submit]", "signed")
        assert flash(page) == said(live, locale, "You signed the agreement.")
        assert page.locator("p.status").inner_text() == said(live, locale, "Concluded: both parties signed this text.")
        holder.follow(page.locator("main .meta a", has_text=said(live, locale, "Back to the case")), "settled")
        assert label(live, locale, state_label, "settled") in page.locator("main").inner_text()
    finally:
        context.close()
    assert case_state(live, title) == "settled"
    for walk in (seller, holder):
        print(walk.name, {"page_loads": walk.loads, "submissions": walk.submissions})
    assert (seller.loads, seller.submissions) == (5, 3)
    assert (holder.loads, holder.submissions) == (5, 1)
    assert not seller.problems + holder.problems, "\n".join(seller.problems + holder.problems)


# -- the clerk decides, the parties read it ------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "width"), WALKS)
def test_the_clerk_enters_the_decision_after_confirming_and_both_parties_read_it(
    chromium, live, axe_source, locale, width
):

    title, reference = court_title(locale, width), court_reference(locale, width)
    context, page = sign_in(chromium, live, ACCOUNTS["court"], PASSWORD, WIDTHS[width])
    clerk = Walk(page, axe_source, locale, f"decide-clerk-{locale}-{width}")
    try:
        page.goto(f"/?lang={locale}")
        clerk.landed("dashboard")
        # The decision is the court's next step: the case is on its to-do list.
        clerk.follow(page.locator("ul.todo li", has_text=title).locator("a").first, "case")
        page.select_option("#outcome", "upheld")
        page.select_option("#decision-measure", "take_down")
        page.fill("#decision-amount", "1500")
        page.fill("#decision-currency", "CNY")
        page.fill("#court_reference", reference)
        page.fill("#decision-text", "判决：被告下架侵权商品并赔偿原告经济损失。")
        page.set_input_files(
            "#document", files=[{"name": "判决书.pdf", "mimeType": "application/pdf", "buffer": JUDGMENT}]
        )
        clerk.submit("#court form[action$='/decision'] button.primary", "confirm")
        # Nothing is recorded yet: the page says what the decision will do.
        assert page.locator(".confirm-step .consequences li").count() >= 1
        assert case_state(live, title) != "decided"
        clerk.submit(".confirm-step button[name=confirmed]", "decided")
        assert flash(page) == said(live, locale, "The decision is recorded and carried out; the case is closed.")
    finally:
        context.close()
    assert case_state(live, title) == "decided"

    readers = []
    for role, width_of_reader in (("right_holder", WIDTHS[width]), ("seller", PHONE)):
        context, page = sign_in(chromium, live, ACCOUNTS[role], PASSWORD, width_of_reader)
        reader = Walk(page, axe_source, locale, f"decide-{role}-{locale}-{width}")
        try:
            reader.open_case(title)
            decision = page.locator("#court-status")
            assert decision.locator("h2").inner_text() == said(live, locale, "The court's decision")
            read = dict(
                zip(
                    [t.strip() for t in decision.locator("dt").all_inner_texts()],
                    [d.strip() for d in decision.locator("dd").all_inner_texts()],
                    strict=True,
                )
            )
            assert read[said(live, locale, "Outcome")] == label(live, locale, outcome_label, "upheld")
            assert read[said(live, locale, "What happens to the listings")] == label(
                live, locale, listing_measure_label, "take_down"
            )
            assert "take_down" not in page.locator("main").inner_text(), "no raw code, among the filings either"
            assert read[said(live, locale, "Court")] == COURT_NAME
            assert read[said(live, locale, "Court's case number")] == reference
            amount = read[said(live, locale, "Amount ordered")]
            assert "1,500" in amount or "1.500" in amount or "1 500" in amount or "1500" in amount, amount
            assert said(live, locale, "paid by the seller") in amount
            assert decision.locator("a.button").inner_text() == said(live, locale, "Download the signed decision")
        finally:
            context.close()
        readers.append(reader)
    for walk in (clerk, *readers):
        print(walk.name, {"page_loads": walk.loads, "submissions": walk.submissions})
    assert (clerk.loads, clerk.submissions) == (4, 2)
    assert [(r.loads, r.submissions) for r in readers] == [(2, 0), (2, 0)]
    problems = clerk.problems + [p for r in readers for p in r.problems]
    assert not problems, "\n".join(problems)
