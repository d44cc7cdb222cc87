"""Accounts over the API: sign-up and bearer tokens."""

from __future__ import annotations

from flask import g, jsonify, request
from sqlalchemy import select

from odr.accounts import links, second_factor
from odr.accounts.models import Account, ApiToken, Party
from odr.accounts.services import (
    authenticate,
    change_password,
    check_token_days,
    issue_token,
    revoke_token,
    revoke_token_by_id,
    sign_out_everywhere,
    sign_up,
    tokens_query,
)
from odr.accounts.views import (
    FAILED_SIGN_IN_LIMIT,
    FAILED_SIGN_IN_PER_ACCOUNT,
    FAILED_SIGN_IN_PER_ADDRESS,
    failed_sign_in,
    wrong_codes_limit,
)
from odr.api import authenticated, bp, json_body, page_request, paged
from odr.cases import claims
from odr.cases.models import Case
from odr.domain_events import commit
from odr.errors import api_error
from odr.extensions import account_name_key, address_key, db, limiter
from odr.extensions import gettext as _
from odr.pagination import keyset


def account_json(account: Account) -> dict:
    party = account.party
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "role": account.role.value,
        "locale": account.locale,
        "time_zone": account.effective_time_zone,
        "email_verified": account.email_verified_at is not None,
        "party": None
        if party is None
        else {"id": party.id, "name": party.name, "country": party.country, "language": party.preferred_language},
    }


@bp.post("/accounts")
def api_sign_up():
    """Sign up; a link to confirm the e-mail address is sent at once."""
    account = sign_up(json_body(), commit=False)
    links.send_verification(account)
    commit()
    return jsonify(account_json(account)), 201


@bp.post("/me/email-verification")
@authenticated
def api_send_verification():
    """E-mail a new link that confirms the caller's address (the earlier ones stop working)."""
    links.send_verification(g.api_account)
    commit()
    return "", 202


@bp.post("/password-resets")
def api_request_password_reset():
    """Ask for a link to set a new password: the same answer whether or not an account uses the address."""
    links.request_password_reset(json_body().get("email"))
    return "", 202


def _claim_json(party: Party) -> dict:
    """The party joined and the IDs of its cases."""
    cases = db.session.scalars(select(Case.id).where(Case.respondent_party_id == party.id).order_by(Case.id))
    return {"party": {"id": party.id, "name": party.name, "country": party.country}, "cases": list(cases)}


@bp.get("/me/claims")
@authenticated
def api_claim_offer():
    """The case waiting for the caller's verified e-mail address, if any (to accept with POST /me/claims)."""
    offer = claims.offer_for(g.api_account)
    return jsonify(
        {
            "email_verified": g.api_account.email_verified_at is not None,
            "offer": None
            if offer is None
            else {
                "party": {"id": offer.party.id, "name": offer.party.name, "country": offer.party.country},
                "cases": [{"id": c.id, "reference": c.reference, "title": c.title} for c in offer.cases],
            },
        }
    )


@bp.post("/me/claims")
@authenticated
def api_claim_case():
    """Claim a case: with the invitation code of a notice, or by accepting the offer to one's verified address."""
    data = json_body()
    if "invitation_code" in data:
        party = claims.claim_with_code(g.api_account, data.get("invitation_code"))
    else:
        party_id = data.get("party_id")
        party = claims.accept_offer(g.api_account, party_id if isinstance(party_id, int) else None)
    return jsonify(_claim_json(party)), 201


@bp.post("/tokens")
@limiter.limit(FAILED_SIGN_IN_LIMIT, deduct_when=failed_sign_in)
@limiter.limit(FAILED_SIGN_IN_PER_ACCOUNT, key_func=account_name_key, deduct_when=failed_sign_in)
@limiter.limit(FAILED_SIGN_IN_PER_ADDRESS, key_func=address_key, deduct_when=failed_sign_in)
@wrong_codes_limit
def api_issue_token():
    data = json_body()
    account = authenticate(str(data.get("email") or ""), str(data.get("password") or ""))
    if account is None:
        return api_error(401, "invalid_credentials", _("E-mail address or password is wrong."))
    if second_factor.must_enrol(account):
        return api_error(
            403,
            "second_factor_enrolment_required",
            _("Your role needs two-step sign-in: set it up on the web (your preferences) before asking for a token."),
        )
    if second_factor.is_on(account):
        code = data.get("totp_code")
        if code is None:
            return api_error(
                401, "second_factor_required", _("Send the code from your authenticator app as totp_code.")
            )
        if not second_factor.take_code(account, code):
            g.wrong_second_factor = True
            return api_error(401, "invalid_second_factor", _("This code is not right."))
    days = check_token_days(data.get("expires_in_days"))
    label = data.get("label")
    label = label if isinstance(label, str) and label.strip() else "api"
    return jsonify({"token": issue_token(account, label=label, days=days), "account": account_json(account)}), 201


def token_json(token: ApiToken) -> dict:
    return {
        "id": token.id,
        "label": token.label,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
    }


@bp.get("/tokens")
@authenticated
def api_list_tokens():
    """The caller's tokens that still work (never their values, which are not stored)."""
    limit, cursor = page_request()
    page = keyset(tokens_query(g.api_account), [ApiToken.created_at, ApiToken.id], limit=limit, cursor=cursor)
    return jsonify(paged("tokens", [token_json(t) for t in page.items], page))


@bp.delete("/tokens/current")
@authenticated
def api_revoke_token():
    revoke_token(_bearer())
    return "", 204


@bp.delete("/tokens/<int:token_id>")
@authenticated
def api_revoke_token_by_id(token_id):
    revoke_token_by_id(g.api_account, token_id)
    return "", 204


@bp.post("/me/password")
@authenticated
def api_change_password():
    """Change one's password: every browser session and every other token of the account ends."""
    data = json_body()
    current, new = data.get("current_password"), data.get("new_password")
    change_password(
        g.api_account,
        current if isinstance(current, str) else "",
        new if isinstance(new, str) else "",
        keep_token=_bearer(),
    )
    return "", 204


@bp.post("/accounts/<int:account_id>/sessions/revoke")
@authenticated
def api_end_sessions(account_id):
    """An administrator ends every session and token of an account."""
    return jsonify({"ended": sign_out_everywhere(g.api_account, account_id)})


def _bearer() -> str:
    return request.headers["Authorization"].partition(" ")[2].strip()


@bp.get("/me")
@authenticated
def api_me():
    return jsonify(account_json(g.api_account))
