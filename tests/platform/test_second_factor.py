"""Two-step sign-in (TOTP): optional for parties, required for mediators, courts and administrators.

These tests sign in by hand (not through tests.conftest's helpers, which enrol and type the code for every other
test) so that each step, refusal and limit is seen as a person or a script meets it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from odr.accounts import second_factor, views
from odr.accounts.models import RecoveryCode
from odr.extensions import db
from tests.conftest import PASSWORD, Browser, notice_data

SECRET_RE = re.compile(r'<code id="totp-secret"[^>]*>([A-Z2-7 ]+)</code>')


def _password_step(browser: Browser, account, next_target: str | None = None):
    path = "/login" + (f"?next={next_target}" if next_target else "")
    return browser.client.post(
        path, data={"email": account.email, "password": PASSWORD, "csrf_token": browser.csrf("/login")}
    )


def _code_step(browser: Browser, code: str):
    return browser.client.post("/login/code", data={"code": code, "csrf_token": browser.csrf("/login")})


def _enrol(account) -> pyotp.TOTP:
    """Enrolled as on the page; the step taken by the confirmation is forgotten so that a test can sign in at once."""
    secret = second_factor.begin_enrolment(account)
    second_factor.confirm_enrolment(account, pyotp.TOTP(secret).now())
    account.totp_last_step = None
    db.session.commit()
    return pyotp.TOTP(secret)


def test_a_mediator_without_a_second_factor_is_sent_to_enrolment_and_reaches_nothing_else(app, world):
    browser = Browser(app)
    response = _password_step(browser, world.mediator)
    assert response.status_code == 302 and response.location.endswith("/profile/two-factor")
    for path in ("/", "/profile", "/inbox", "/admin/audit", "/cases/1"):
        blocked = browser.get(path)
        assert blocked.status_code == 302 and blocked.location.endswith("/profile/two-factor"), path
    posted = browser.post("/profile", {"locale": "de", "time_zone": "UTC"}, form_page="/profile/two-factor")
    assert posted.status_code == 302 and posted.location.endswith("/profile/two-factor")
    page = browser.get("/profile/two-factor").get_data(as_text=True)
    assert "read other people&#39;s cases" in page or "read other people's cases" in page
    assert browser.post("/logout", form_page="/profile/two-factor").status_code == 302


@pytest.mark.parametrize("role", ["court", "admin"])
def test_courts_and_administrators_need_it_too(app, world, role):
    browser = Browser(app)
    response = _password_step(browser, getattr(world, role))
    assert response.location.endswith("/profile/two-factor")


def test_enrolment_shows_the_secret_as_text_and_uri_and_is_on_only_after_a_code(app, world):
    browser = Browser(app)
    _password_step(browser, world.court)
    assert "totp-secret" not in browser.get("/profile/two-factor").get_data(as_text=True)  # GET makes nothing
    assert browser.post("/profile/two-factor/start", form_page="/profile/two-factor").status_code == 302
    page = browser.get("/profile/two-factor").get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    uri = re.search(r'<code id="totp-uri"[^>]*>([^<]+)</code>', page).group(1).replace("&amp;", "&")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert parse_qs(parts.query)["secret"] == [secret] and parse_qs(parts.query)["issuer"] == ["ODR"]
    assert "clerk%40court.example.cn" in parts.path or "clerk@court.example.cn" in parts.path

    wrong = browser.post("/profile/two-factor/confirm", {"code": "000000"}, form_page="/profile/two-factor")
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)
    db.session.refresh(world.court)
    assert not second_factor.is_on(world.court)
    assert browser.get("/").status_code == 302  # still only the enrolment page

    done = browser.post(
        "/profile/two-factor/confirm", {"code": pyotp.TOTP(secret).now()}, form_page="/profile/two-factor"
    )
    assert done.status_code == 200
    shown = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(shown) == second_factor.RECOVERY_CODES == 10
    stored = db.session.query(RecoveryCode).filter_by(account_id=world.court.id).all()
    assert len(stored) == 10 and not {c.replace("-", "") for c in shown} & {r.code_sha256 for r in stored}
    assert browser.get("/").status_code == 200  # the session goes on, now with both factors


def test_sign_in_is_complete_only_after_the_code(app, world):
    totp = _enrol(world.mediator)
    browser = Browser(app)
    response = _password_step(browser, world.mediator, next_target="/profile")
    assert response.status_code == 302 and response.location.endswith("/login/code")
    assert browser.get("/").location.startswith("/login")  # the password alone signs nobody in
    assert _code_step(browser, "123456" if totp.now() != "123456" else "654321").status_code == 401
    done = _code_step(browser, totp.now())
    assert done.status_code == 302 and done.location == "/profile"
    assert browser.get("/").status_code == 200


def test_the_same_code_is_refused_a_second_time(app, world):
    totp = _enrol(world.mediator)
    first, second = Browser(app), Browser(app)
    code = totp.now()
    _password_step(first, world.mediator)
    assert _code_step(first, code).status_code == 302
    _password_step(second, world.mediator)
    assert _code_step(second, code).status_code == 401  # a code seen on the wire is worth nothing afterwards
    assert second.get("/").location.startswith("/login")


def test_a_recovery_code_signs_in_once(app, world):
    secret = second_factor.begin_enrolment(world.admin)
    codes = second_factor.confirm_enrolment(world.admin, pyotp.TOTP(secret).now())
    browser = Browser(app)
    _password_step(browser, world.admin)
    assert _code_step(browser, codes[3].upper()).status_code == 302  # typed in capitals: still the code
    assert second_factor.recovery_codes_left(world.admin) == 9
    again = Browser(app)
    _password_step(again, world.admin)
    assert _code_step(again, codes[3]).status_code == 401


def test_wrong_codes_are_limited_per_account_on_the_web_and_the_api_together(app, client, world):
    totp = _enrol(world.mediator)
    browser = Browser(app)
    _password_step(browser, world.mediator)
    wrong = "000000" if totp.now() != "000000" else "111111"
    for _n in range(3):
        assert _code_step(browser, wrong).status_code == 401
    for _n in range(2):
        refused = client.post(
            "/api/v1/tokens", json={"email": world.mediator.email, "password": PASSWORD, "totp_code": wrong}
        )
        assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "invalid_second_factor"
    assert _code_step(browser, totp.now()).status_code == 429  # even the right code waits now
    token = client.post(
        "/api/v1/tokens", json={"email": world.mediator.email, "password": PASSWORD, "totp_code": totp.now()}
    )
    assert token.status_code == 429
    other = _enrol(world.other_mediator)  # another account is not held up
    second = Browser(app)
    _password_step(second, world.other_mediator)
    assert _code_step(second, other.now()).status_code == 302


def test_api_tokens_for_these_roles_need_the_code(app, client, world):
    def ask(**extra):
        return client.post("/api/v1/tokens", json={"email": world.court.email, "password": PASSWORD, **extra})

    unenrolled = ask()
    assert unenrolled.status_code == 403
    assert unenrolled.get_json()["error"]["code"] == "second_factor_enrolment_required"
    totp = _enrol(world.court)
    missing = ask()
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "second_factor_required"
    code = totp.now()
    issued = ask(totp_code=code)
    assert issued.status_code == 201
    replayed = ask(totp_code=code)
    assert replayed.status_code == 401 and replayed.get_json()["error"]["code"] == "invalid_second_factor"
    assert ask(totp_code=["not", "text"]).status_code == 401
    # A party without a second factor still exchanges its password alone.
    assert client.post("/api/v1/tokens", json={"email": world.holder.email, "password": PASSWORD}).status_code == 201


def test_a_party_may_turn_it_on_and_then_signs_in_with_both(app, world, api):
    browser = Browser(app, world.holder)
    page = browser.get("/profile/two-factor").get_data(as_text=True)
    assert "Protect your account" in page
    browser.post("/profile/two-factor/start", form_page="/profile/two-factor")
    secret = SECRET_RE.search(browser.get("/profile/two-factor").get_data(as_text=True)).group(1).replace(" ", "")
    confirmed = browser.post(
        "/profile/two-factor/confirm", {"code": pyotp.TOTP(secret).now()}, form_page="/profile/two-factor"
    )
    assert confirmed.status_code == 200
    later = Browser(app)
    assert _password_step(later, world.holder).location.endswith("/login/code")
    holder = api(world.holder)  # the helper types the code as the holder's app would
    assert holder.post("/cases", notice_data()).status_code == 201


def test_the_code_step_ends_after_five_minutes(app, world, monkeypatch):
    totp = _enrol(world.mediator)
    browser = Browser(app)
    _password_step(browser, world.mediator)
    started = views.time.time()
    monkeypatch.setattr(views.time, "time", lambda: started + views.PENDING_SECONDS + 1)
    late = _code_step(browser, totp.now())
    assert late.status_code == 302 and late.location.endswith("/login")
    assert browser.get("/").location.startswith("/login")


def test_an_operator_resets_a_lost_second_factor_and_the_account_enrols_again(app, world):
    _enrol(world.mediator)
    signed_in = Browser(app, world.mediator)
    result = app.test_cli_runner().invoke(args=["accounts", "reset-two-factor", world.mediator.email])
    assert result.exit_code == 0, result.output
    db.session.refresh(world.mediator)
    assert not second_factor.is_on(world.mediator) and second_factor.recovery_codes_left(world.mediator) == 0
    assert signed_in.get("/").location.startswith("/login")  # its sessions ended
    again = Browser(app)
    assert _password_step(again, world.mediator).location.endswith("/profile/two-factor")


def test_turning_it_on_or_off_ends_every_other_session_and_token_of_the_account(app, world):
    """How the account signs in changed: sessions and tokens opened under the old way end (as on a password
    change), and only the browser that made the change stays signed in."""
    here, elsewhere, script = Browser(app, world.holder), Browser(app, world.holder), app.test_client()

    def token(**extra) -> dict:
        answer = script.post("/api/v1/tokens", json={"email": world.holder.email, "password": PASSWORD, **extra})
        assert answer.status_code == 201, answer.get_json()
        return {"Authorization": f"Bearer {answer.get_json()['token']}"}

    bearer = token()
    assert script.get("/api/v1/cases", headers=bearer).status_code == 200
    here.post("/profile/two-factor/start", form_page="/profile/two-factor")
    secret = SECRET_RE.search(here.get("/profile/two-factor").get_data(as_text=True)).group(1).replace(" ", "")
    totp = pyotp.TOTP(secret)
    assert (
        here.post("/profile/two-factor/confirm", {"code": totp.now()}, form_page="/profile/two-factor").status_code
        == 200
    )
    assert here.get("/profile").status_code == 200
    assert elsewhere.get("/profile").location.startswith("/login")
    assert script.get("/api/v1/cases", headers=bearer).status_code == 401

    # Signed in again elsewhere with both factors; then the holder turns it off here.
    db.session.refresh(world.holder)
    world.holder.totp_last_step = None  # the step the page took, forgotten so that the next code is accepted
    db.session.commit()
    bearer = token(totp_code=totp.now())
    db.session.refresh(world.holder)
    world.holder.totp_last_step = None  # the step the page took, forgotten so that the next code is accepted
    db.session.commit()
    off = here.post(
        "/profile/two-factor/off", {"password": PASSWORD, "code": totp.now()}, form_page="/profile/two-factor"
    )
    assert off.status_code == 302
    assert not second_factor.is_on(world.holder)
    assert here.get("/profile").status_code == 200
    assert script.get("/api/v1/cases", headers=bearer).status_code == 401
