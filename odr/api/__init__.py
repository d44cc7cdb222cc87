"""The JSON API under /api/v1: bearer-token authentication, JSON bodies, the OpenAPI document.

Each domain adds its routes to ``bp`` in its own ``api.py``; the app factory imports those modules
(``odr.API_MODULES``), so this package imports no domain's routes and any route module imports alone.
"""

from __future__ import annotations

import json
from functools import wraps

from flask import Blueprint, g, jsonify, request, url_for

from odr.accounts.bearer import bearer_account
from odr.api.openapi import document
from odr.errors import ValidationFailed, api_error
from odr.extensions import gettext as _
from odr.pagination import DEFAULT_LIMIT, Page, check_limit

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def authenticated(view):
    """Require ``Authorization: Bearer <token>``; cookies never authenticate the API."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        account = bearer_account()
        if account is None:
            return api_error(401, "unauthorized", _("A valid bearer token is required."))
        g.api_account = account
        return view(*args, **kwargs)

    return wrapper


def json_body() -> dict:
    """The request's JSON object, or a clear 400 for anything else."""
    data = request.get_json(silent=True, force=False)
    if data is None:
        if request.mimetype != "application/json":
            raise ValidationFailed(_("Send a JSON body with Content-Type: application/json."), code="malformed_json")
        raise ValidationFailed(_("The body is not valid JSON."), code="malformed_json")
    if not isinstance(data, dict):
        raise ValidationFailed(_("The body must be a JSON object."), code="malformed_json")
    return data


def idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not (1 <= len(key.strip()) <= 128):
        raise ValidationFailed(
            _("The Idempotency-Key header must be 1 to 128 characters."), {"Idempotency-Key": _("Invalid key.")}
        )
    return key.strip() if key else None


def created(body: dict, is_new: bool):
    return jsonify(body), 201 if is_new else 200


def multipart_data() -> dict:
    """The JSON ``data`` part of a multipart/form-data request that also carries a file."""
    if request.mimetype != "multipart/form-data":
        raise ValidationFailed(
            _("Send multipart/form-data with a data part (JSON) and the signed document."), code="malformed_request"
        )
    try:
        data = json.loads(request.form.get("data") or "{}")
    except (ValueError, RecursionError):
        raise ValidationFailed(_("The data part is not valid JSON."), code="malformed_json") from None
    if not isinstance(data, dict):
        raise ValidationFailed(_("The body must be a JSON object."), code="malformed_json")
    return data


def page_request(default: int = DEFAULT_LIMIT) -> tuple[int, str | None]:
    """The ``limit`` (1-500, default 50) and ``cursor`` of a list request."""
    return check_limit(request.args.get("limit"), default), request.args.get("cursor") or None


def paged(key: str, items: list, page: Page, **extra) -> dict:
    """A page of a list: its items under ``key``, and ``next``, the link to the following page (the same
    request with the cursor of this page's last item), or null on the last page."""
    following = None
    if page.next_cursor is not None:
        args = {**request.args.to_dict(), **(request.view_args or {}), "cursor": page.next_cursor}
        following = url_for(request.endpoint or "", **args)
    return {key: items, **extra, "next": following, "next_cursor": page.next_cursor}


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())
