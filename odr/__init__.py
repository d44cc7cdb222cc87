"""Online dispute resolution for small cross-border IP disputes: the application factory."""

from __future__ import annotations

import importlib
import zoneinfo
from pathlib import Path

from flask import Flask, g, request
from flask.json.provider import DefaultJSONProvider
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.routing import IntegerConverter

from odr import config as odr_config
from odr.extensions import lazy_gettext as _l

# Time zones from the tzdata package installed with the platform, never the machine's copy: deadlines are counted and
# shown with one IANA release wherever the platform runs (a machine's copy lags: Debian 12's 2025b still put Morocco
# at UTC+1 in November 2026, where the 2026 releases and Babel's pytz say UTC+0). Set before any zone is read.
zoneinfo.reset_tzpath(to=())
zoneinfo.ZoneInfo.clear_cache()


def create_app(overrides: dict | None = None) -> Flask:
    path = (overrides or {}).get("INSTANCE_PATH") or odr_config.instance_path()
    app = Flask(__name__, instance_path=path, instance_relative_config=False)
    app.url_map.converters["int"] = RowId
    app.json = JSONProvider(app)
    Path(path).mkdir(parents=True, exist_ok=True)
    cfg = odr_config.load(path, {k: v for k, v in (overrides or {}).items() if k != "FLASK"})
    app.config["ODR"] = cfg
    app.config.update(odr_config.flask_settings(cfg))
    app.config.update((overrides or {}).get("FLASK", {}))

    from odr import errors, i18n, read_requests, sqlite_writers
    from odr.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    read_requests.init_app(app)
    with app.app_context():
        # The busy timeout SQLite waits for its write lock (odr.config.flask_settings) is also the longest a
        # thread waits for its process's turn to write.
        wait = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}).get("timeout", 5)
        sqlite_writers.take_turns(db.engine, wait)
    migrate.init_app(app, db, directory=str(odr_config.REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", cfg["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    # Said in the reader's language: the lazy message is made a string when flashed, inside the request.
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.localize_callback = str
    i18n.init_app(app)
    errors.init_app(app)
    _import_models()

    _register_routes(app)
    from odr.accounts import limits
    from odr.ops import logs, metrics, uploads
    from odr.ops.views import bp as ops_bp

    limits.init_app(app)
    app.register_blueprint(ops_bp)
    metrics.init_app(app)
    logs.init_app(app)
    uploads.init_app(app)
    _register_template_globals(app)
    _connect_subscribers()

    from odr import cli

    cli.init_app(app)
    app.after_request(_security_headers)
    app.after_request(_audit)
    return app


def _audit(response):
    """Mediators', courts' and administrators' reads of a case and administrators' actions, one row each."""
    from odr.audit.services import record_request

    account = g.get("api_account") or (current_user if getattr(current_user, "is_authenticated", False) else None)
    record_request(account, response.status_code)
    return response


def _security_headers(response):
    # No inline scripts or styles anywhere, so the policy can be strict; uploads are never sniffed.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'; object-src 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.headers.get("Authorization") or getattr(current_user, "is_authenticated", False):
        # A case page or API answer must not stay in a shared cache or the browser's history store.
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested deeper than the parser goes is invalid JSON (a 4xx on every
    route and in every reader of the body, such as the sign-in limiter), not a RecursionError."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


class RowId(IntegerConverter):
    """``<int:...>`` in every route: a whole number the database can hold (an ID above 2**31-1 is a 404,
    like any other ID that names nothing, instead of an out-of-range error from PostgreSQL)."""

    # 0 to 2**31-1 in the pattern itself: a number out of range then matches no route for any method (a
    # 404), where a check after matching made werkzeug answer 405 for the methods of some other route.
    regex = (
        r"[0-9]{1,9}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}"
        r"|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}|21474836[0-3][0-9]|214748364[0-7]"
    )

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(url_map, fixed_digits, min, 2**31 - 1 if max is None else max, signed)


# The route modules of every domain: pages (blueprints) and the JSON API (routes on odr.api.bp).
VIEW_MODULES = (
    "accounts",
    "cases",
    "mediation",
    "export",
    "deposits",
    "translation",
    "linkage",
    "transparency",
    "alliance",
    "notifications",
    "dsa",
    "conduct",
    "securities",
    "webhooks",
    "audit",
    "platform_rules",
)
API_MODULES = (
    "accounts",
    "cases",
    "mediation",
    "export",
    "deposits",
    "translation",
    "linkage",
    "transparency",
    "alliance",
    "notifications",
    "dsa",
    "conduct",
    "securities",
    "webhooks",
    "todo",
    "audit",
)
# Modules whose domain-event subscribers must be connected before the first request (docs/architecture.md).
SUBSCRIBER_MODULES = (
    "odr.mediation.measures",
    "odr.dsa.services",
    "odr.dsa.reasons",
    "odr.export.services",
    "odr.notifications.services",
    "odr.notifications.digest",
    "odr.translation.services",
    "odr.conduct.services",
    "odr.conduct.health_safety",
    "odr.conduct.triage",
    "odr.securities.services",
    "odr.webhooks.services",
)


def _register_routes(app: Flask) -> None:
    from odr.api import bp as api_bp

    for name in API_MODULES:
        importlib.import_module(f"odr.{name}.api")
    for name in VIEW_MODULES:
        app.register_blueprint(importlib.import_module(f"odr.{name}.views").bp)
    app.register_blueprint(api_bp)
    from odr.extensions import csrf

    csrf.exempt(api_bp)  # the API authenticates with bearer tokens only, never with cookies


def _register_template_globals(app: Flask) -> None:
    from odr.templating import Context

    app.jinja_env.context_class = Context
    from odr.cases.views import case_page_locale
    from odr.forms import error_id, field_error, invalid
    from odr.platform_rules.views import citation_href
    from odr.procedure.jurisdictions import jurisdiction_name
    from odr.procedure.titles import (
        action_label,
        listing_measure_label,
        outcome_label,
        procedure_label,
        state_label,
        timer_label,
    )

    app.jinja_env.globals.update(
        state_label=state_label,
        action_label=action_label,
        timer_label=timer_label,
        procedure_label=procedure_label,
        jurisdiction_name=jurisdiction_name,
        listing_measure_label=listing_measure_label,
        outcome_label=outcome_label,
        citation_href=citation_href,
        error_id=error_id,
        field_error=field_error,
        invalid=invalid,
    )
    from odr.i18n import isolate
    from odr.validation import mail_excerpt

    app.jinja_env.filters.update(action_label=action_label, excerpt=mail_excerpt, isolate=isolate)
    app.extensions["odr.locale_fallbacks"] = [case_page_locale]


def _connect_subscribers() -> None:
    for module in SUBSCRIBER_MODULES:
        importlib.import_module(module)
    from odr.procedure.signals import ENTRY_ACTIONS

    # A rule file may name an entry action only if some domain carries it out.
    idle = sorted(name for name, (domain_event, _data) in ENTRY_ACTIONS.items() if not domain_event.has_subscriber())
    if idle:
        raise RuntimeError(f"no domain carries out the entry action(s) {', '.join(idle)}")


def _import_models() -> None:
    # Every model module, so metadata (and Alembic autogenerate) sees every table.
    from odr import idempotency as _idempotency  # noqa: F401
    from odr.accounts import models as _accounts  # noqa: F401
    from odr.alliance import models as _alliance  # noqa: F401
    from odr.audit import models as _audit  # noqa: F401
    from odr.cases import models as _cases  # noqa: F401
    from odr.conduct import models as _conduct  # noqa: F401
    from odr.deposits import models as _deposits  # noqa: F401
    from odr.dsa import models as _dsa  # noqa: F401
    from odr.export import models as _export  # noqa: F401
    from odr.integrity import vault as _vault  # noqa: F401
    from odr.linkage import models as _linkage  # noqa: F401
    from odr.mediation import models as _mediation  # noqa: F401
    from odr.notifications import models as _notifications  # noqa: F401
    from odr.procedure import models as _procedure  # noqa: F401
    from odr.securities import models as _securities  # noqa: F401
    from odr.translation import models as _translation  # noqa: F401
    from odr.webhooks import models as _webhooks  # noqa: F401


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers go on while one writer commits; foreign keys are off by default in SQLite."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
