"""Writers to one SQLite database take turns on a file lock beside it instead of polling the database.

SQLite lets one transaction write at a time. A writer that finds the database locked sleeps and tries again,
longer each time (1, 2, 5, 10, 15, 20, 25 ... ms, SQLite's busy handler; Python's sqlite3 offers no other), so
under several writers the lock often stands free while they all sleep: two web processes opening notices at once
kept half the machine idle. Here a transaction's first write first takes this database's turn, an exclusive
``flock`` on ``<database>.writers``, which the kernel hands to the next waiter the moment it is given back. The turn
is given back when the transaction's connection returns to the pool after its commit or rollback (or leaves the
pool's hands).

Reads never take the turn (the driver begins a transaction at its first write, so reading ahead of it waits for
nothing). One thread of a process waits for the file at a time, the others on a lock in the process. A thread that
already holds the turn through another connection, or that waited longer than the database's busy timeout for its
process's turn, writes without it, as everyone did before: SQLite's own lock and busy timeout still decide, the
turn only orders the writers that would otherwise poll. So a transaction that never ends holds up one thread of
each other process until it ends; their other threads write without the turn after the busy timeout and, finding
the database locked, answer that it is busy, as before. A process that dies holding the turn loses it with its
file descriptors.
"""

from __future__ import annotations

import os
import threading
import weakref
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # not a POSIX system: writers poll SQLite as before
    fcntl = None  # type: ignore[assignment]

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
TAKEN = "odr.sqlite_writers.turn"  # set in a pooled connection's info while its transaction holds the turn


class Turn:
    """The turn to write one database file, shared by every engine of the process on that file."""

    def __init__(self, path: Path, wait: float):
        self.path = path
        self.wait = wait
        self.in_process = threading.Lock()
        self.holder: int | None = None  # the thread holding it
        self.fd = -1  # opened by the first take in each process

    def take(self) -> bool:
        """Wait for the turn; False where this thread writes without it."""
        me = threading.get_ident()
        if self.holder == me or not self.in_process.acquire(timeout=self.wait):
            return False
        try:
            if self.fd < 0:
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            # Blocking: the kernel wakes this thread the moment the turn is free (asking again every few ms, and
            # taking the GIL for it, made the writers slower than SQLite's own polling).
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except BaseException:
            self.in_process.release()
            raise
        self.holder = me
        return True

    def give_back(self) -> None:
        self.holder = None
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.in_process.release()


_turns: dict[Path, Turn] = {}
_engines: weakref.WeakKeyDictionary[Engine, Turn] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _forked() -> None:
    """A forked process holds none of its parent's turns, whatever its parent's threads were doing; it opens its
    own descriptors (an inherited one shares the parent's lock: unlocking it would free the parent's turn)."""
    for turn in _turns.values():
        if turn.fd >= 0:
            os.close(turn.fd)
        turn.in_process, turn.holder, turn.fd = threading.Lock(), None, -1


os.register_at_fork(after_in_child=_forked)


def take_turns(engine: Engine, wait: float) -> Turn | None:
    """Make the writers of ``engine`` take turns if it is a SQLite database in a file (``wait``: seconds a
    thread waits for its process's turn before writing without it, the database's busy timeout)."""
    name = engine.url.database or ""
    if fcntl is None or engine.dialect.name != "sqlite" or name in ("", ":memory:") or "mode=memory" in name:
        return None
    path = Path(name).resolve()
    with _lock:
        if engine in _engines:
            return _engines[engine]
        # One turn per file in a process, whichever engines write it: a thread holding it never waits for it.
        turn = _engines[engine] = _turns.setdefault(path, Turn(path.with_name(path.name + ".writers"), wait))

    def take(conn, cursor, statement, parameters, context, executemany) -> None:
        info = conn.connection.info
        if TAKEN not in info and statement.lstrip()[:7].upper().startswith(WRITES) and turn.take():
            info[TAKEN] = turn

    event.listen(engine, "before_cursor_execute", take)
    # Given back when the connection returns to the pool, which is right after the commit or rollback (a Session
    # lets go of its connection at the end of each transaction): given back at the commit event, before SQLite
    # has committed, the next writer would find the database still locked and poll.
    for pool_event in ("checkin", "close", "detach"):
        event.listen(engine.pool, pool_event, _give_back)
    for pool_event in ("reset", "invalidate", "soft_invalidate"):  # with a third argument: the reset, the error
        event.listen(engine.pool, pool_event, _give_back_after)
    return turn


def turn_of(engine: Engine) -> Turn | None:
    return _engines.get(engine)


def _give_back(dbapi_connection, record) -> None:
    """The transaction on this pooled connection has ended, or the connection has left the pool's hands."""
    turn = record.info.pop(TAKEN, None) if record is not None else None
    if turn is not None:
        turn.give_back()


def _give_back_after(dbapi_connection, record, what) -> None:
    _give_back(dbapi_connection, record)
