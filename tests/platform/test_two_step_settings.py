"""On the two-step page: a party turns two-step sign-in off (password and code), a mediator, court or
administrator cannot; anyone with it on makes new recovery codes after a code, and the old ones stop working."""

from __future__ import annotations

import re

from odr.accounts import second_factor
from odr.accounts.models import RecoveryCode
from odr.extensions import db
from tests.conftest import PASSWORD, Browser
from tests.platform.test_second_factor import _code_step, _enrol, _password_step

PAGE = "/profile/two-factor"
CODES_RE = re.compile(r"\b([a-z2-9]{5}-[a-z2-9]{5})\b")


def _fresh_step(account) -> None:
    """Forget the time step the last code was taken for, so that a test can type the current code again."""
    db.session.refresh(account)
    account.totp_last_step = None
    db.session.commit()


def test_a_party_turns_it_off_with_password_and_code_and_then_signs_in_with_the_password(app, world):
    totp = _enrol(world.holder)
    browser = Browser(app, world.holder)
    _fresh_step(world.holder)
    page = browser.get(PAGE).get_data(as_text=True)
    assert 'id="two-factor-off"' in page

    no_csrf = browser.client.post(f"{PAGE}/off", data={"password": PASSWORD, "code": totp.now()})
    assert no_csrf.status_code == 400
    wrong_password = browser.post(f"{PAGE}/off", {"password": "not my password", "code": totp.now()}, form_page=PAGE)
    assert wrong_password.status_code == 422 and "This is not your current password" in wrong_password.get_data(
        as_text=True
    )
    wrong_code = browser.post(f"{PAGE}/off", {"password": PASSWORD, "code": "000000"}, form_page=PAGE)
    assert wrong_code.status_code == 422 and "This code is not right" in wrong_code.get_data(as_text=True)
    db.session.refresh(world.holder)
    assert second_factor.is_on(world.holder)

    done = browser.post(f"{PAGE}/off", {"password": PASSWORD, "code": totp.now()}, form_page=PAGE)
    assert done.status_code == 302 and done.location.endswith(PAGE)
    db.session.refresh(world.holder)
    assert not second_factor.is_on(world.holder) and world.holder.totp_sealed is None
    assert db.session.query(RecoveryCode).filter_by(account_id=world.holder.id).count() == 0
    later = Browser(app)
    signed_in = _password_step(later, world.holder)
    assert signed_in.status_code == 302 and not signed_in.location.endswith("/login/code")


def test_a_mediator_cannot_turn_it_off(app, world):
    totp = _enrol(world.mediator)
    browser = Browser(app, world.mediator)
    _fresh_step(world.mediator)
    page = browser.get(PAGE).get_data(as_text=True)
    assert 'id="two-factor-off"' not in page and "cannot be turned off" in page
    refused = browser.post(f"{PAGE}/off", {"password": PASSWORD, "code": totp.now()}, form_page=PAGE)
    assert refused.status_code == 422
    db.session.refresh(world.mediator)
    assert second_factor.is_on(world.mediator)


def test_new_recovery_codes_after_a_code_and_the_old_ones_stop_working(app, world):
    totp = _enrol(world.mediator)
    old_codes = second_factor.renew_recovery_codes(world.mediator, totp.now())  # known to the test
    browser = Browser(app, world.mediator)
    _fresh_step(world.mediator)

    no_csrf = browser.client.post(f"{PAGE}/recovery-codes", data={"code": totp.now()})
    assert no_csrf.status_code == 400
    wrong = browser.post(f"{PAGE}/recovery-codes", {"code": "000000"}, form_page=PAGE)
    assert wrong.status_code == 422 and "This code is not right" in wrong.get_data(as_text=True)

    made = browser.post(f"{PAGE}/recovery-codes", {"code": totp.now()}, form_page=PAGE)
    assert made.status_code == 200
    new_codes = CODES_RE.findall(made.get_data(as_text=True))
    assert len(new_codes) == second_factor.RECOVERY_CODES and not set(new_codes) & set(old_codes)
    assert "no-store" in made.headers.get("Cache-Control", "")

    stale = Browser(app)
    _password_step(stale, world.mediator)
    assert _code_step(stale, old_codes[0]).status_code == 401
    fresh = Browser(app)
    _password_step(fresh, world.mediator)
    assert _code_step(fresh, new_codes[0]).status_code == 302


def test_a_wrong_code_on_the_page_counts_towards_the_wrong_codes_limit(app, world):
    _enrol(world.holder)
    browser = Browser(app, world.holder)
    statuses = [
        browser.post(f"{PAGE}/recovery-codes", {"code": "000000"}, form_page=PAGE).status_code for _ in range(6)
    ]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429
