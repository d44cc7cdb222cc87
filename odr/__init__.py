"""Online dispute resolution for small cross-border IP disputes: the application factory."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from odr import config as odr_config


def instance_path() -> str:
    return os.environ.get("ODR_INSTANCE_PATH") or str(odr_config.REPO_ROOT / "instance")


def create_app(overrides: dict | None = None) -> Flask:
    path = (overrides or {}).get("INSTANCE_PATH") or instance_path()
    app = Flask(__name__, instance_path=path, instance_relative_config=False)
    Path(path).mkdir(parents=True, exist_ok=True)
    cfg = odr_config.load(path, {k: v for k, v in (overrides or {}).items() if k != "FLASK"})
    app.config["ODR"] = cfg
    app.config.update(odr_config.flask_settings(cfg))
    app.config.update((overrides or {}).get("FLASK", {}))

    from odr import errors, i18n
    from odr.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(odr_config.REPO_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", cfg["REDIS_URL"] or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    i18n.init_app(app)
    errors.init_app(app)
    _import_models()

    from odr.accounts.views import bp as accounts_bp
    from odr.api import bp as api_bp
    from odr.cases.views import bp as cases_bp
    from odr.deposits.views import bp as deposits_bp
    from odr.export.views import bp as export_bp
    from odr.mediation.views import bp as mediation_bp
    from odr.translation.views import bp as translation_bp

    for blueprint in (accounts_bp, cases_bp, mediation_bp, export_bp, deposits_bp, translation_bp, api_bp):
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # the API authenticates with bearer tokens only, never with cookies

    from odr import cli
    cli.init_app(app)
    # Every committed filing gets its translations requested (connecting again is a no-op).
    from odr.cases.signals import filing_committed, participant_joined
    from odr.translation.services import on_filing_committed, on_participant_joined
    filing_committed.connect(on_filing_committed)
    participant_joined.connect(on_participant_joined)
    app.after_request(_security_headers)
    return app


def _security_headers(response):
    # No inline scripts or styles anywhere, so the policy can be strict; uploads are never sniffed.
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'none'; object-src 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def _import_models() -> None:
    # Every model module, so metadata (and Alembic autogenerate) sees every table.
    from odr.accounts import models as _accounts  # noqa: F401
    from odr.cases import models as _cases  # noqa: F401
    from odr.deposits import models as _deposits  # noqa: F401
    from odr.export import models as _export  # noqa: F401
    from odr.mediation import models as _mediation  # noqa: F401
    from odr.notifications import models as _notifications  # noqa: F401
    from odr.procedure import models as _procedure  # noqa: F401
    from odr.translation import models as _translation  # noqa: F401


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers go on while one writer commits; foreign keys are off by default in SQLite."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
