"""Operators create the accounts nobody may choose at sign-up; a platform client gets a bearer token."""

from odr.accounts.models import Account, Role
from odr.extensions import db


def test_create_a_platform_client_with_a_token(app, client):
    result = app.test_cli_runner().invoke(
        args=[
            "accounts",
            "create",
            "--email",
            "api@marketplace.example",
            "--name",
            "Marketplace",
            "--organisation",
            "Marketplace Ltd",
            "--role",
            "platform_client",
            "--country",
            "SG",
            "--language",
            "en",
            "--token",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    token = result.output.split("token: ")[1].strip()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["role"] == "platform_client"


def test_create_a_court_that_receives_escalations(app):
    result = app.test_cli_runner().invoke(
        args=[
            "accounts",
            "create",
            "--email",
            "clerk@court.example",
            "--name",
            "Clerk",
            "--organisation",
            "Court",
            "--role",
            "court",
            "--country",
            "CN",
            "--language",
            "zh",
            "--receives-escalations-for",
            "cn,us",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    account = db.session.scalar(db.select(Account).where(Account.email == "clerk@court.example"))
    assert account.role == Role.COURT and account.party.receives_escalations_for == "CN,US"


def test_bad_input_is_reported_per_field(app):
    result = app.test_cli_runner().invoke(
        args=[
            "accounts",
            "create",
            "--email",
            "x",
            "--name",
            "X",
            "--organisation",
            "X",
            "--role",
            "admin",
            "--country",
            "XX",
            "--language",
            "xx",
            "--password",
            "short",
        ]
    )
    assert result.exit_code == 1
    assert "email:" in result.output and "country:" in result.output and "password:" in result.output
