"""`odr accounts create`: accounts for roles nobody may choose at sign-up (admins, mediators, courts,
platform clients)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from odr.accounts import second_factor
from odr.accounts.models import Role
from odr.accounts.services import end_all_sessions, find_account_by_email, issue_token, sign_up
from odr.errors import ValidationFailed
from odr.export.services import pin_platform_key
from odr.extensions import db


@click.group("accounts")
def accounts_group():
    """Accounts and API tokens."""


@accounts_group.command("create")
@click.option("--email", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--organisation", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--country", required=True, help="ISO 3166-1 alpha-2, e.g. DE")
@click.option("--language", required=True, help="ISO 639-1, e.g. de")
@click.option("--time-zone", default="UTC", show_default=True)
@click.option("--languages", default="", help="Languages a mediator reads, comma separated")
@click.option("--receives-escalations-for", default="", help="Court only: jurisdiction codes, comma separated")
@click.option("--token/--no-token", default=False, help="Also print a bearer token (platform clients)")
@click.password_option()
@with_appcontext
def create_account(
    email,
    display_name,
    organisation,
    role,
    country,
    language,
    time_zone,
    languages,
    receives_escalations_for,
    token,
    password,
):
    try:
        account = sign_up(
            {
                "email": email,
                "password": password,
                "display_name": display_name,
                "organisation": organisation,
                "role": role,
                "country": country,
                "language": language,
                "time_zone": time_zone,
            },
            role_allowed=set(Role),
            commit=False,
        )
    except ValidationFailed as exc:
        for field, message in exc.fields.items():
            click.echo(f"{field}: {message}", err=True)
        sys.exit(1)
    if languages:
        account.languages = languages
    if receives_escalations_for:
        account.party.receives_escalations_for = receives_escalations_for.upper()
    pin = None
    if account.role == Role.COURT:
        db.session.flush()
        pin = pin_platform_key(account)
    db.session.commit()
    click.echo(f"created {account.role.value} account {account.email} (id {account.id})")
    if pin is not None:
        # Handed to the court with its credentials, outside any bundle: what it verifies bundles against.
        click.echo(f"platform key fingerprint pinned for this court: {pin.key_id}")
    if token:
        click.echo(f"token: {issue_token(account, label='cli')}")


@accounts_group.command("sign-out")
@click.argument("email")
@with_appcontext
def sign_out_account(email):
    """End every browser session and API token of an account (a lost device, a leaked token)."""
    account = find_account_by_email(email)
    if account is None:
        raise click.ClickException(f"no account {email}")
    ended = end_all_sessions(account, "ended_by_admin")
    db.session.commit()
    click.echo(f"ended {ended} session(s) and token(s) of {account.email}")


@accounts_group.command("reset-two-factor")
@click.argument("email")
@with_appcontext
def reset_two_factor(email):
    """Clear an account's second factor and recovery codes after its holder lost both (check who asks first):
    its sessions and tokens end, and a mediator, court or administrator enrols again at the next sign-in."""
    account = find_account_by_email(email)
    if account is None:
        raise click.ClickException(f"no account {email}")
    second_factor.reset(account)
    ended = end_all_sessions(account, "ended_by_admin")
    db.session.commit()
    click.echo(f"two-step sign-in of {account.email} cleared; ended {ended} session(s) and token(s)")
