"""Abuse limits: how often one account and one address may file, upload, sign up, ask for tokens, change or reset
a password, ask for confirmation e-mails or try invitation codes (Flask-Limiter; its counters live in Redis when
ODR_REDIS_URL is set, so every node counts together).

Each kind of act has one limit per account and one per address, shared by every route of that kind (the web
form and the API count together). ``ODR_RATE_LIMITS`` (a JSON object of kind -> [per account, per address])
replaces the defaults below; a refused request is a 429 with Retry-After, in the reader's language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import Flask, Response, current_app, request
from flask_login import current_user

from odr.accounts.bearer import bearer_account, bearer_token
from odr.extensions import lazy_gettext as _l
from odr.extensions import limiter

# kind -> (per account, per address). Generous for people, tight for scripts.
DEFAULT_LIMITS: dict[str, tuple[str, str]] = {
    # Filings of every kind, messages and uploads (evidence rides on filings; deposits are uploads too).
    "filing": ("30 per minute;600 per day", "60 per minute;2000 per day"),
    # A batch of notices (API or CSV upload) is one request of up to 10,000 items: counted per request, on its
    # own, since the filing limits above are sized for people filing one notice at a time.
    "bulk_intake": ("6 per minute;200 per day", "12 per minute;400 per day"),
    "sign_up": ("5 per hour", "10 per hour;50 per day"),
    # Every token request, not only failed ones (failed sign-ins have their own, tighter limit).
    "token": ("60 per hour", "300 per hour"),
    "password": ("5 per hour", "20 per hour"),
    # Requests for a password reset link (per account name asked for, and per address).
    "password_reset": ("3 per hour;10 per day", "20 per hour"),
    # New links to verify one's e-mail address.
    "verification": ("3 per hour;10 per day", "20 per hour"),
    # Wrong invitation codes when claiming a case (only refusals count: see FAILURES_ONLY).
    "claim_code": ("5 per 15 minutes;20 per day", "20 per 15 minutes;100 per day"),
    # Refused signatures of an agreement (a wrong password or code counts as a failed sign-in would).
    "signature": ("5 per 15 minutes;30 per day", "50 per 15 minutes"),
}

# Kinds where only refused requests count (a right invitation code is never held up by earlier typos).
FAILURES_ONLY: dict[str, Callable[[Response], bool]] = {
    "claim_code": lambda response: response.status_code == 422,
    "signature": lambda response: response.status_code == 422,
}


# What a refused request of these kinds is told (in the reader's language); the others get the general 429.
MESSAGES = {
    "claim_code": _l(
        "Too many wrong invitation codes. For your safety, wait a while before you try again, and check the "
        "code against the e-mail that sent it."
    ),
    "password_reset": _l("Too many requests for a new password. Please wait an hour and try again."),
    "verification": _l("Too many confirmation e-mails asked for. Please wait an hour and try again."),
    "signature": _l("Too many refused signatures. For your safety, wait 15 minutes before you try again."),
}

# endpoint -> kind; POST only.
LIMITED_ENDPOINTS: dict[str, str] = {
    "cases.new_notice": "filing",
    "cases.add_filing": "filing",
    "api.api_file_notice": "filing",
    "api.api_add_filing": "filing",
    "api.api_file_notices": "bulk_intake",
    "export.decide": "filing",
    "api.api_decide": "filing",
    "deposits.index": "filing",
    "api.api_deposit": "filing",
    "accounts.signup": "sign_up",
    "api.api_sign_up": "sign_up",
    "api.api_issue_token": "token",
    "api.api_change_password": "password",
    "accounts.forgot_password": "password_reset",
    "accounts.send_verification": "verification",
    "api.api_send_verification": "verification",
    "api.api_request_password_reset": "password_reset",
    "accounts.claim_with_code": "claim_code",
    "api.api_claim_case": "claim_code",
    "mediation.sign_agreement": "signature",
    "api.api_sign_agreement": "signature",
}


def limits() -> dict[str, tuple[str, str]]:
    configured = current_app.config["ODR"].get("RATE_LIMITS")
    if isinstance(configured, str):
        configured = json.loads(configured)
    return DEFAULT_LIMITS | {kind: tuple(value) for kind, value in (configured or {}).items()}  # type: ignore[misc]


def address_key() -> str:
    return f"address:{request.remote_addr or '-'}"


def account_key() -> str:
    """The signed-in account (bearer token or session); before sign-in, the account name the body asks for."""
    token = bearer_token()
    if token is not None:
        account = bearer_account()
        if account is not None:
            return f"account:{account.id}"
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    if getattr(current_user, "is_authenticated", False):
        return f"account:{current_user.id}"
    data = request.get_json(silent=True) if request.is_json else request.form
    email = str((data or {}).get("email", "") if isinstance(data, dict) or hasattr(data, "get") else "")
    return "email:" + email.strip().lower()[:254]


def _limit_of(kind: str, which: int):
    return lambda: limits()[kind][which]


def _message_of(kind: str) -> Callable[[], str] | None:
    return (lambda: str(MESSAGES[kind])) if kind in MESSAGES else None


_WRAPPED: dict[str, Callable] = {}


def init_app(app: Flask) -> None:
    """Put each kind's two shared limits on its routes (after every blueprint is registered).

    The limiter keeps limits by view name for the process, like its decorators: each view is wrapped once,
    and the limits' values read the app's settings at each request."""
    for endpoint, kind in LIMITED_ENDPOINTS.items():
        view = app.view_functions.get(endpoint)
        if view is None:
            raise RuntimeError(f"rate limit for an unknown endpoint {endpoint}")
        name = f"{view.__module__}.{view.__name__}"
        if name not in _WRAPPED:
            wrapped: Callable = view
            for which, scope, key in ((0, "account", account_key), (1, "address", address_key)):
                rule = limiter.shared_limit(
                    _limit_of(kind, which),
                    scope=f"{kind}:{scope}",
                    key_func=key,
                    methods=["POST"],
                    deduct_when=FAILURES_ONLY.get(kind),
                    error_message=_message_of(kind),
                )
                wrapped = rule(wrapped)
            _WRAPPED[name] = wrapped
        app.view_functions[endpoint] = _WRAPPED[name]
