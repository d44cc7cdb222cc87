"""A write the database refuses for another's (SQLite's lock after a concurrent commit, found under 16 concurrent
clients on gunicorn) is a 503 with Retry-After in the user's language, nothing saved, never a 500."""

import sqlite3

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from odr.cases import services
from odr.cases.models import Case
from odr.extensions import db
from tests.conftest import notice_data


def _locked(*_args, **_kwargs):
    raise OperationalError("INSERT INTO cases ...", {}, sqlite3.OperationalError("database is locked"))


def test_a_locked_database_answers_503_with_retry_after_and_saves_nothing(world, api, monkeypatch):
    monkeypatch.setattr(services, "file_notice", _locked)
    response = api(world.holder).post("/cases", notice_data(title="Retried later"))
    assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
    assert response.get_json()["error"]["code"] == "busy"
    assert db.session.scalar(select(func.count()).select_from(Case).where(Case.title == "Retried later")) == 0
    monkeypatch.undo()
    assert api(world.holder).post("/cases", notice_data(title="Retried later")).status_code == 201  # the retry


def test_any_other_operational_error_stays_an_internal_error(world, api, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("disk I/O error"))

    monkeypatch.setattr(services, "file_notice", broken)
    response = api(world.holder).post("/cases", notice_data())
    assert response.status_code == 500 and response.get_json()["error"]["code"] == "internal_error"


@pytest.mark.parametrize("language", ["zh_Hans", "ar"])
def test_the_busy_page_speaks_the_readers_language(world, browser, monkeypatch, language):
    monkeypatch.setattr(services, "file_notice", _locked)
    session = browser(world.holder)
    session.get(f"/?lang={language}")
    response = session.post("/cases/new", {"jurisdiction": "CN", "title": "x"}, form_page="/cases/new")
    assert response.status_code == 503
    assert "The platform is busy" not in response.get_data(as_text=True)
