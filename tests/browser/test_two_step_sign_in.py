"""The demo's court clerk signs in for the first time in a real browser: sent to enrolment, adds the key to an
authenticator (pyotp stands in for the phone), types the code, keeps the recovery codes, reaches the dashboard;
the next sign-in asks for a code. The pages pass axe in English and Arabic."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.browser.test_ui import ACCOUNTS, PASSWORD, _axe


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_the_demo_clerk_enrols_at_first_sign_in_and_then_signs_in_with_a_code(chromium, live_app, axe_source, locale):
    email = ACCOUNTS["court"] if locale == "en" else ACCOUNTS["admin"]
    context = chromium.new_context(base_url=live_app, viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(f"/login?lang={locale}")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r"/profile/two-factor$"))
        page.goto("/?lang=" + locale)  # nothing else opens before enrolment
        assert page.url.endswith("/profile/two-factor")
        page.click("#two-factor-start")
        secret = page.inner_text("#totp-secret").replace(" ", "")
        assert page.inner_text("#totp-uri").startswith("otpauth://totp/")
        assert _axe(page, axe_source) == []
        page.fill("#code", pyotp.TOTP(secret).now())
        with page.expect_navigation():
            page.click("form[action$='/confirm'] button[type=submit]")
        assert len(page.locator("ul.recovery-codes li").all()) == 10
        assert _axe(page, axe_source) == []
        page.click("a.button.primary")
        page.wait_for_url(re.compile(r"/$"))

        context.clear_cookies()  # a new visit: password, then the code
        page.goto(f"/login?lang={locale}")
        page.fill("#email", email)
        page.fill("#password", PASSWORD)
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r"/login/code$"))
        assert _axe(page, axe_source) == []
        # The step the enrolment took is spent; the app's next code is within the drift allowed.
        totp = pyotp.TOTP(secret)
        page.fill("#code", totp.at(time.time() + totp.interval))
        page.click("form.card button[type=submit]")
        page.wait_for_url(re.compile(r"/$"))
    finally:
        context.close()
