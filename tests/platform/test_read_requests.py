"""A request that only read ends its transaction with a commit, so that the connection keeps the statements psycopg
prepared on it (a rollback makes it forget them); a request that wrote, holds changes or failed is rolled back, and
what it changed is not kept."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from odr.accounts.models import Account
from odr.cases import services
from odr.extensions import db
from tests.conftest import notice_data


@contextmanager
def transaction_endings():
    """How each transaction on the app's connections ended while the block ran: "commit" or "rollback"."""
    ended: list[str] = []

    def commit(conn):
        ended.append("commit")

    def rollback(conn):
        ended.append("rollback")

    event.listen(db.engine, "commit", commit)
    event.listen(db.engine, "rollback", rollback)
    try:
        yield ended
    finally:
        event.remove(db.engine, "commit", commit)
        event.remove(db.engine, "rollback", rollback)


def test_a_page_that_only_read_ends_its_transaction_with_a_commit(app, world, browser):
    case_id = services.file_notice(world.holder, notice_data()).obj.id
    reader = browser(world.holder)
    with transaction_endings() as ended:
        assert reader.get(f"/cases/{case_id}").status_code == 200
        assert reader.get("/").status_code == 200
    assert ended == ["commit", "commit"]


def test_a_read_that_changed_something_or_failed_is_rolled_back_and_its_change_is_not_kept(app, world, browser):
    holder_id = world.holder.id

    def rename(flush: bool):
        def view():
            db.session.get(Account, holder_id).display_name = "Changed by a read"
            if flush:
                db.session.flush()
            return "read"

        return view

    def fail():
        db.session.execute(select(Account.id)).all()
        raise RuntimeError("a read that failed")

    app.add_url_rule("/test/renames-and-flushes", "renames_and_flushes", rename(flush=True))
    app.add_url_rule("/test/renames", "renames", rename(flush=False))
    app.add_url_rule("/test/fails", "fails", fail)
    client = app.test_client()
    with transaction_endings() as ended:
        assert client.get("/test/renames-and-flushes").status_code == 200
        assert client.get("/test/renames").status_code == 200
        assert client.get("/test/fails").status_code == 500
    assert ended == ["rollback", "rollback", "rollback"]
    db.session.expire_all()
    assert db.session.get(Account, holder_id).display_name != "Changed by a read"


@pytest.mark.e2e
def test_a_page_read_again_on_postgresql_runs_statements_the_connection_prepared_before(app, world, browser):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements")
    case_id = services.file_notice(world.holder, notice_data()).obj.id
    reader = browser(world.holder)
    connections = set()

    def seen(conn):
        connections.add(conn.connection.dbapi_connection)

    event.listen(db.engine, "commit", seen)
    try:
        for _ in range(6):  # psycopg prepares a statement at its fifth run on a connection
            assert reader.get(f"/cases/{case_id}").status_code == 200
    finally:
        event.remove(db.engine, "commit", seen)
    (connection,) = connections  # one request at a time: the pool lends the same connection each time
    assert connection.execute("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] >= 5
