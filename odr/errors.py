"""Errors raised by services and how the UI and the API present them.

Services raise ``ServiceError`` subclasses carrying a stable code, a message
already translated into the current reader's language, and per-field messages.
The API turns them into ``{"error": {"code", "message", "fields"}}``; views show
them as form errors. Nothing is written when one is raised: services validate
before they change anything.
"""

from __future__ import annotations

from flask import jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from odr.extensions import db
from odr.extensions import gettext as _


class ServiceError(Exception):
    status = 400
    code = "invalid"

    def __init__(
        self, message: str, fields: dict[str, str] | None = None, code: str | None = None, details: dict | None = None
    ):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.details = details  # machine-readable facts for API clients (e.g. both language codes)
        if code:
            self.code = code

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": str(self.message), "fields": {k: str(v) for k, v in self.fields.items()}}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_failed"


class NotAllowed(ServiceError):
    """The action exists but is not allowed now (wrong state, wrong role, done already)."""

    status = 409
    code = "not_allowed"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": str(message), "fields": fields or {}}}
    return jsonify(body), status


def _http_message(exc: HTTPException) -> tuple[str, str]:
    messages = {
        400: ("bad_request", _("The request could not be understood.")),
        401: ("unauthorized", _("Please sign in to continue.")),
        403: ("forbidden", _("You are not allowed to do this.")),
        404: ("not_found", _("This page or record does not exist, or you may not see it.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        413: ("too_large", _("The upload is too large.")),
        429: ("rate_limited", _("Too many requests. Please wait a moment and try again.")),
    }
    return messages.get(exc.code, ("http_error", _("The request failed.")))


def init_app(app):
    @app.errorhandler(ServiceError)
    def handle_service_error(exc: ServiceError):
        if is_api_request():
            return jsonify(exc.to_dict()), exc.status
        return render_template("errors/error.html", message=exc.message, status=exc.status), exc.status

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        # An exception that names its own code and message (the upload deadlines of odr/ops/uploads.py).
        code, message = exc.odr_error() if hasattr(exc, "odr_error") else _http_message(exc)
        if exc.code == 400 and getattr(exc, "description", "") and "CSRF" in str(exc.description):
            code = "csrf_failed"
            message = _("The form expired or was sent from another site. Please reload the page and try again.")
        if exc.code == 429 and getattr(getattr(exc, "limit", None), "error_message", None):
            message = str(exc.description)  # the limit's own message (odr/accounts/limits.py MESSAGES)
        if exc.code == 413:
            limit = app.config["ODR"]["MAX_UPLOAD_MB"]
            message = _("The upload is too large: the limit is %(limit)s MB.", limit=limit)
        # The exception's own headers stay: Allow on a 405, Retry-After on a 429, WWW-Authenticate on a 401.
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")]
        if is_api_request():
            body, status = api_error(exc.code or 500, code, message)
            return body, status, headers
        return render_template("errors/error.html", message=message, status=exc.code), exc.code, headers

    @app.errorhandler(OperationalError)
    def handle_busy_database(exc: OperationalError):
        """The database refused the write for another's (SQLite's lock after a concurrent commit, a PostgreSQL
        deadlock or serialization failure): nothing was saved, and a retry with the same key is safe."""
        db.session.rollback()
        if not _busy(exc):
            return handle_unexpected(exc)
        message = _("The platform is busy. Nothing was saved; please try again in a moment.")
        headers = [("Retry-After", "1")]
        if is_api_request():
            body, status = api_error(503, "busy", message)
            return body, status, headers
        return render_template("errors/error.html", message=message, status=503), 503, headers

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s", request.path)
        message = _("Something went wrong on our side. Nothing was saved; please try again.")
        if is_api_request():
            return api_error(500, "internal_error", message)
        return render_template("errors/error.html", message=message, status=500), 500


# SQLite: "database is locked" / "database is busy"; PostgreSQL: deadlock (40P01) and serialization failure (40001).
_BUSY = ("database is locked", "database is busy", "deadlock detected", "could not serialize access")


def _busy(exc: OperationalError) -> bool:
    return any(text in str(exc.orig).lower() for text in _BUSY)
