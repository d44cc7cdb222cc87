"""Writers to a SQLite file take turns on a file lock beside it (odr/sqlite_writers.py): a transaction holds the turn
from its first write until its connection returns to the pool after the commit or rollback; reads never take it;
another writer waits on the lock, not by polling the database, and writes as soon as the turn is given back."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import IntegrityError

from odr import sqlite_writers
from odr.accounts.models import Account
from odr.cases import services
from odr.extensions import db
from tests.conftest import notice_data


@pytest.fixture
def turn_file(app, database_url) -> Path:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's writers only")
    return Path(database_url.removeprefix("sqlite:///")).resolve().with_name("odr.sqlite3.writers")


@contextmanager
def another_process_asks(turn_file: Path):
    """What another process would see asking for the turn now: True if it would get it."""
    fd = os.open(turn_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            yield True
    finally:
        os.close(fd)


def free(turn_file: Path) -> bool:
    with another_process_asks(turn_file) as got_it:
        return got_it


def test_a_write_holds_the_turn_until_its_commit(world, turn_file):
    assert free(turn_file)
    db.session.execute(update(Account).where(Account.id == world.holder.id).values(display_name="Ana"))
    assert not free(turn_file), "another process would write in the middle of this transaction"
    db.session.commit()
    assert free(turn_file)


def test_reads_never_take_the_turn(world, turn_file):
    assert db.session.scalar(select(func.count()).select_from(Account)) >= 2
    assert free(turn_file)
    db.session.commit()


def test_a_write_that_fails_gives_the_turn_back_with_its_rollback(world, turn_file):
    with pytest.raises(IntegrityError):
        db.session.execute(update(Account).where(Account.id == world.holder.id).values(email=world.seller.email))
    db.session.rollback()
    assert free(turn_file)


def test_a_notice_holds_the_turn_while_it_opens_its_case_and_not_after(world, turn_file, monkeypatch):
    seen_while_opening: list[bool] = []
    enter_state = services.enter_state

    def watched(*args, **kwargs):
        seen_while_opening.append(free(turn_file))
        return enter_state(*args, **kwargs)

    monkeypatch.setattr(services, "enter_state", watched)
    services.file_notice(world.holder, notice_data())
    assert seen_while_opening == [False]
    assert free(turn_file)


def test_another_thread_writes_once_the_turn_is_given_back(app, world, turn_file):
    db.session.execute(update(Account).where(Account.id == world.holder.id).values(display_name="first"))
    wrote = threading.Event()

    def second_writer():
        with app.app_context():
            db.session.execute(update(Account).where(Account.id == world.seller.id).values(display_name="second"))
            db.session.commit()
            wrote.set()

    thread = threading.Thread(target=second_writer)
    thread.start()
    assert not wrote.wait(0.3), "a second writer wrote while the first held the turn"
    db.session.commit()
    thread.join(timeout=30)
    assert wrote.is_set()
    names = db.session.scalars(select(Account.display_name).where(Account.id.in_([world.holder.id, world.seller.id])))
    assert sorted(names) == ["first", "second"]


def test_a_thread_holding_the_turn_never_waits_for_it_again(world, turn_file):
    db.session.execute(update(Account).where(Account.id == world.holder.id).values(display_name="Ana"))
    turn = sqlite_writers.turn_of(db.engine)
    assert turn.holder == threading.get_ident()
    assert turn.take() is False  # another connection of this thread writes without it (SQLite decides, as before)
    db.session.commit()
    assert turn.holder is None and free(turn_file)


def test_only_a_sqlite_file_has_writers_take_turns(tmp_path):
    assert sqlite_writers.take_turns(create_engine("sqlite://"), 5) is None
    assert sqlite_writers.take_turns(create_engine("sqlite:///:memory:"), 5) is None
    assert sqlite_writers.take_turns(create_engine("postgresql+psycopg://127.0.0.1/none"), 5) is None
    engine = create_engine(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    turn = sqlite_writers.take_turns(engine, 5)
    assert turn is not None and turn.path == (tmp_path / "other.sqlite3.writers").resolve()
    assert sqlite_writers.take_turns(engine, 5) is turn  # once per engine
    engine.dispose()


def test_a_writer_waits_for_its_processs_turn_no_longer_than_the_busy_timeout_then_writes_without_it(tmp_path):
    turn = sqlite_writers.Turn(tmp_path / "odr.sqlite3.writers", wait=0.05)
    holding = threading.Event()
    done = threading.Event()

    def writer_that_never_ends():
        assert turn.take()
        holding.set()
        done.wait(30)
        turn.give_back()

    thread = threading.Thread(target=writer_that_never_ends)
    thread.start()
    try:
        assert holding.wait(30)
        assert turn.take() is False  # SQLite's own lock and busy timeout decide, as without turns
        assert turn.holder != threading.get_ident()
    finally:
        done.set()
        thread.join(30)
    assert turn.take() is True
    turn.give_back()
