"""Sessions that end: a browser's cookie names a server-side session, ended at sign-out, on a password
change and by an administrator; API tokens expire, can be listed and revoked; passwords follow NIST SP 800-63B."""

from __future__ import annotations

from datetime import timedelta

import pytest

from odr.accounts.models import ApiToken, SignInSession
from odr.extensions import db
from odr.models_base import utcnow
from tests.conftest import PASSWORD, Api, Browser


def _copy(app, browser: Browser):
    """Another client holding a copy of the browser's session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", browser.client.get_cookie("session").value)
    return thief


def _dashboard(client):
    return client.get("/", follow_redirects=False)


def test_a_cookie_copied_before_sign_out_no_longer_works(app, world):
    browser = Browser(app, world.holder)
    thief = _copy(app, browser)
    assert _dashboard(thief).status_code == 200
    browser.post("/logout", form_page="/")
    response = _dashboard(thief)
    assert response.status_code == 302 and "/login" in response.location
    (row,) = db.session.scalars(db.select(SignInSession)).all()
    assert row.revoked_at is not None and row.revoked_reason == "sign_out"


def test_signing_in_starts_a_new_session(app, world):
    browser = Browser(app)
    browser.csrf("/login")
    before = _copy(app, browser)
    browser.login(world.holder.email, PASSWORD)
    assert _dashboard(browser.client).status_code == 200
    assert _dashboard(before).status_code == 302  # the anonymous cookie did not become a signed-in one
    Browser(app, world.holder)
    assert len(db.session.scalars(db.select(SignInSession)).all()) == 2  # one per sign-in


def test_a_password_change_ends_every_other_session_and_token(app, world, client):
    browser = Browser(app, world.holder)
    keeper, other = Api(client, world.holder), Api(client, world.holder)
    response = keeper.post("/me/password", {"current_password": PASSWORD, "new_password": "a new long pass phrase"})
    assert response.status_code == 204, response.get_json()
    assert _dashboard(browser.client).status_code == 302
    assert other.get("/me").status_code == 401
    assert keeper.get("/me").status_code == 200
    Browser(app).login(world.holder.email, "a new long pass phrase")


def test_a_password_change_needs_the_current_password_and_a_good_new_one(app, world, client):
    holder = Api(client, world.holder)
    wrong = holder.post("/me/password", {"current_password": "not-it-at-all", "new_password": "a new long pass phrase"})
    assert wrong.status_code == 422 and "current_password" in wrong.get_json()["error"]["fields"]
    weak = holder.post("/me/password", {"current_password": PASSWORD, "new_password": "qwertyuiop"})
    assert weak.status_code == 422 and "new_password" in weak.get_json()["error"]["fields"]
    assert holder.get("/me").status_code == 200


def test_an_administrator_ends_every_session_and_token_of_an_account(app, world, client):
    browser = Browser(app, world.holder)
    token = Api(client, world.holder)
    assert Api(client, world.seller).post(f"/accounts/{world.holder.id}/sessions/revoke").status_code == 403
    assert Api(client, world.seller).post("/accounts/999999/sessions/revoke").status_code == 403  # reveals nothing
    response = Api(client, world.admin).post(f"/accounts/{world.holder.id}/sessions/revoke")
    assert response.status_code == 200 and response.get_json()["ended"] == 2
    assert _dashboard(browser.client).status_code == 302
    assert token.get("/me").status_code == 401


def test_odr_accounts_sign_out_ends_sessions(app, world, client):
    token = Api(client, world.holder)
    result = app.test_cli_runner().invoke(args=["accounts", "sign-out", world.holder.email])
    assert result.exit_code == 0 and "ended 1" in result.output
    assert token.get("/me").status_code == 401


def test_tokens_expire(app, world, client):
    response = client.post(
        "/api/v1/tokens", json={"email": world.holder.email, "password": PASSWORD, "expires_in_days": 1}
    )
    token = response.get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    row = db.session.scalars(db.select(ApiToken)).one()
    assert timedelta(hours=23) < row.expires_at - utcnow() <= timedelta(days=1)
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize("days", [0, 366, "7", 1.5, True])
def test_a_token_lifetime_out_of_range_is_refused(client, world, days):
    response = client.post(
        "/api/v1/tokens", json={"email": world.holder.email, "password": PASSWORD, "expires_in_days": days}
    )
    assert response.status_code == 422 and "expires_in_days" in response.get_json()["error"]["fields"]


def test_tokens_are_listed_and_revoked_by_their_holder_only(client, world):
    first, second = Api(client, world.holder), Api(client, world.holder)
    listed = first.get("/tokens").get_json()["tokens"]
    assert len(listed) == 2 and all(t["expires_at"] and "token" not in t for t in listed)
    newest = listed[0]["id"]  # the second token's
    seller = Api(client, world.seller)
    assert seller.client.delete(f"/api/v1/tokens/{newest}", headers=seller.headers).status_code == 404
    assert first.client.delete(f"/api/v1/tokens/{newest}", headers=first.headers).status_code == 204
    assert second.get("/me").status_code == 401 and first.get("/me").status_code == 200
    assert [t["id"] for t in first.get("/tokens").get_json()["tokens"]] == [listed[1]["id"]]
    assert first.client.delete(f"/api/v1/tokens/{newest}", headers=first.headers).status_code == 404


@pytest.mark.parametrize(
    "password, refused",
    [
        (" " * 12, "only spaces"),
        ("qwertyuiop", "leaked"),
        ("QwertyUiop", "leaked"),  # case does not make a leaked password new
        ("short", "at least"),
        ("x" * 129, "at most"),
        ("my cat sleeps on the piano", None),  # spaces allowed, no composition rules
        ("ünïcödé pässwörd", None),
    ],
)
def test_passwords_follow_nist_800_63b(client, password, refused):
    response = client.post(
        "/api/v1/accounts",
        json={
            "email": "new@example.org",
            "password": password,
            "display_name": "New",
            "organisation": "New Org",
            "role": "right_holder",
            "country": "FR",
            "language": "fr",
            "time_zone": "Europe/Paris",
        },
    )
    if refused is None:
        assert response.status_code == 201, response.get_json()
    else:
        assert response.status_code == 422
        assert refused in response.get_json()["error"]["fields"]["password"]


def test_a_request_reads_its_session_and_account_in_one_statement_and_marks_the_session_used_once_an_hour(
    app, world, sql_statements
):
    browser = Browser(app, world.holder)
    with sql_statements() as sent:
        assert _dashboard(browser.client).status_code == 200
    (sign_in,) = [s for s in sent if "sign_in_sessions" in s]
    assert "FROM accounts" in sign_in and sent.writes == []
    (row,) = db.session.scalars(db.select(SignInSession)).all()
    # Used 59 minutes ago: a page view reads, it does not write.
    row.last_seen_at = utcnow() - timedelta(minutes=59)
    db.session.commit()
    with sql_statements() as sent:
        assert _dashboard(browser.client).status_code == 200
    assert sent.writes == []
    # Used 61 minutes ago: marked used now.
    row.last_seen_at = utcnow() - timedelta(minutes=61)
    db.session.commit()
    assert _dashboard(browser.client).status_code == 200
    db.session.refresh(row)
    assert row.last_seen_at > utcnow() - timedelta(minutes=1)


def test_a_deactivated_accounts_cookie_no_longer_signs_in(app, world):
    browser = Browser(app, world.holder)
    assert _dashboard(browser.client).status_code == 200
    world.holder.active = False
    db.session.commit()
    response = _dashboard(browser.client)
    assert response.status_code == 302 and "/login" in response.location
