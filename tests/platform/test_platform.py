"""The application factory, configuration, migrations, the OpenAPI document and the CLI."""

import re

import pytest
from sqlalchemy import inspect

from odr import create_app
from odr.config import ConfigError
from odr.extensions import db


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("ODR_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="ODR_SECRET_KEY"):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV_NAME": "production"})
    with pytest.raises(ConfigError, match="too short"):
        create_app({"INSTANCE_PATH": str(tmp_path), "ENV_NAME": "production", "SECRET_KEY": "short"})


def test_settings_come_from_odr_environment_variables(tmp_path, monkeypatch):
    monkeypatch.setenv("ODR_MAX_UPLOAD_MB", "3")
    monkeypatch.setenv("ODR_ENV_NAME", "production")
    monkeypatch.setenv("ODR_SECRET_KEY", "x" * 40)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["ODR"]["MAX_UPLOAD_MB"] == 3
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_default_database_is_sqlite_in_wal_mode_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("ODR_DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'odr.sqlite3'}"
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        db.engine.dispose()


def test_migrations_build_exactly_the_models_schema(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import upgrade

    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert diff == []
        assert "deadlines" in inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_every_api_route_is_in_the_openapi_document(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops if method != "parameters"}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method.lower()) in documented, (path, method)


def test_odr_rules_validate(app):
    result = app.test_cli_runner().invoke(args=["rules", "validate"])
    assert result.exit_code == 0, result.output
    assert "generic-odr" in result.output


def test_odr_rules_validate_fails_on_a_broken_file(app, tmp_path):
    (tmp_path / "bad.yaml").write_text("code: bad\nversion: '1'\ninitial: nowhere\nstates: {}\n")
    app.config["ODR"]["RULES_DIR"] = str(tmp_path)
    result = app.test_cli_runner().invoke(args=["rules", "validate"])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output


def test_odr_demo_prints_the_logins_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "lucia@flamenco-disenos.es" in first.output
    assert "already loaded" in runner.invoke(args=["demo"]).output


def test_the_demo_has_a_case_in_every_stage(app):
    from odr.cases.models import Case
    from odr.demo import load_demo

    load_demo()
    states = set(db.session.scalars(db.select(Case.state)))
    assert {"awaiting_response", "negotiation", "facilitated_settlement", "settled", "escalated"} <= states


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_odr_sweep_applies_what_has_run_out(app, world):
    from datetime import timedelta

    from odr.cases import services
    from odr.cases.models import Case
    from odr.models_base import utcnow
    from tests.conftest import notice_data

    case = services.file_notice(world.holder, notice_data(), at=utcnow() - timedelta(days=40)).obj
    state_before = case.state
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "deadline_sweep: 0" not in result.output and "blind_bidding_close: " in result.output
    db.session.expire_all()
    assert db.session.get(Case, case.id).state != state_before
