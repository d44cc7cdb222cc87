"""Accounts over the API: sign-up and bearer tokens."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from odr.accounts.models import Account
from odr.accounts.services import authenticate, issue_token, revoke_token, sign_up
from odr.accounts.views import FAILED_SIGN_IN_LIMIT, failed_sign_in
from odr.api import authenticated, bp, json_body
from odr.errors import api_error
from odr.extensions import limiter


def account_json(account: Account) -> dict:
    party = account.party
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "role": account.role.value,
        "locale": account.locale,
        "time_zone": account.effective_time_zone,
        "party": None
        if party is None
        else {"id": party.id, "name": party.name, "country": party.country, "language": party.preferred_language},
    }


@bp.post("/accounts")
def api_sign_up():
    account = sign_up(json_body())
    return jsonify(account_json(account)), 201


@bp.post("/tokens")
@limiter.limit(FAILED_SIGN_IN_LIMIT, deduct_when=failed_sign_in)
def api_issue_token():
    data = json_body()
    account = authenticate(str(data.get("email") or ""), str(data.get("password") or ""))
    if account is None:
        return api_error(401, "invalid_credentials", _("E-mail address or password is wrong."))
    return jsonify(
        {"token": issue_token(account, label=str(data.get("label") or "api")), "account": account_json(account)}
    ), 201


@bp.delete("/tokens/current")
@authenticated
def api_revoke_token():
    revoke_token(request.headers["Authorization"].partition(" ")[2].strip())
    return "", 204


@bp.get("/me")
@authenticated
def api_me():
    return jsonify(account_json(g.api_account))
