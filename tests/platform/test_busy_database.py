"""A write the database refuses for another's (SQLite's lock after a concurrent commit, found under 16 concurrent
clients on gunicorn) is a 503 with Retry-After in the user's language, nothing saved, never a 500."""

import sqlite3

import pytest
from sqlalchemy import event, func, select
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


def test_a_notice_filed_while_another_writer_holds_sqlite_answers_503_and_files_once_released(world, api, database_url):
    """Two real writers on one SQLite file: while another process holds the write lock past the busy timeout,
    the notice is answered 503 with Retry-After and nothing of it is kept; once released, the retry files it."""
    client = api(world.holder)
    db.session.remove()
    db.engine.dispose()  # the request's connections are made again, with a short busy timeout

    def short_wait(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout = 50")

    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    event.listen(db.engine, "connect", short_wait)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer, mid-transaction
        response = client.post("/cases", notice_data(title="Filed under load"))
        assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
        assert response.get_json()["error"]["code"] == "busy"
        other.execute("ROLLBACK")
        assert db.session.scalar(select(func.count()).select_from(Case).where(Case.title == "Filed under load")) == 0
        assert client.post("/cases", notice_data(title="Filed under load")).status_code == 201
    finally:
        event.remove(db.engine, "connect", short_wait)
        other.close()
