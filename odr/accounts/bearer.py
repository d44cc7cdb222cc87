"""The account of a request's ``Authorization: Bearer`` token, looked up once per request.

The abuse limits' key (``limits.account_key``, once per limit of the route) and the API's authentication
(``odr.api.authenticated``) both ask for it; the answer is kept with the request (its WSGI environ, never
shared between requests), so a request reads its token once.
"""

from __future__ import annotations

from flask import request

from odr.accounts.models import Account
from odr.accounts.services import account_for_token

_KEPT = "odr.bearer_accounts"


def bearer_token() -> str | None:
    """The request's bearer token, or None when it sends none."""
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def bearer_account() -> Account | None:
    """The active account of the request's bearer token; None without a token or for one that does not work."""
    token = bearer_token()
    if token is None:
        return None
    kept = request.environ.setdefault(_KEPT, {})
    if token not in kept:
        kept[token] = account_for_token(token)
    return kept[token]
