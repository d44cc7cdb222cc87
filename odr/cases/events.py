"""The append-only, hash-chained event timeline of a case."""

from __future__ import annotations

import hashlib
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import bindparam, func, insert, inspect, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import ClauseElement, FromClause, TextClause
from sqlalchemy.sql.util import find_tables

from odr.accounts.models import Account
from odr.cases.models import Case, Event
from odr.extensions import db
from odr.integrity.canonical import canonical_json as _jcs
from odr.models_base import transaction_memo
from odr.vocabulary import CaseRole, EventKind

GENESIS = "0" * 64
# The kinds of act that may decide how a case came out (``Case.beyond_notice``).
OUTCOME_KINDS = frozenset(
    {EventKind.STATE_CHANGED, EventKind.DECISION_FILED, EventKind.EVALUATION_DECIDED, EventKind.WRONGFUL_NOTICE_CLAIMED}
)


def canonical_json(value) -> bytes:
    # RFC 8785, so a court's verifier recomputes each hash from the exported line alone.
    return _jcs(value)


def event_body(event: Event) -> dict:
    return {
        "case_id": event.case_id,
        "seq": event.seq,
        "kind": event.kind,
        "actor_id": event.actor_id,
        "actor_case_role": event.actor_case_role,
        "created_at": event.created_at.isoformat(),
        "payload": event.payload,
    }


def chain_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(body)).hexdigest()


def record(
    case: Case,
    kind: EventKind,
    at: datetime,
    *,
    actor: Account | None = None,
    role: CaseRole = CaseRole.SYSTEM,
    payload: dict | None = None,
) -> Event:
    """Append an event; the caller commits it together with the change it describes.

    Only the kinds and roles of the shared vocabulary are recorded (an unknown one raises ValueError). The event
    is written with the others of its transaction in one INSERT (``_write_pending``), before anything reads the
    events table and at the latest at commit; the returned object is not in the session and has no id.
    """
    kind, role = EventKind(kind), CaseRole(role)
    if case.id is None:
        db.session.flush()
    last = _last_event(case.id)
    seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
    at = at.astimezone(timezone.utc)
    if last is not None and at < last.created_at.astimezone(timezone.utc):
        # Times in the chain never decrease (courts check it): an act that took effect earlier (a deadline
        # swept late, a filing dated at receipt) is recorded now and keeps its own time in the payload.
        payload = dict(payload or {}, effective_at=at.isoformat())
        at = last.created_at.astimezone(timezone.utc)
    event = Event(
        case_id=case.id,
        seq=seq,
        kind=kind.value,
        actor_id=actor.id if actor else None,
        actor_case_role=role.value,
        payload=payload or {},
        created_at=at,
        prev_hash=prev,
        hash="",
    )
    event.hash = chain_hash(prev, event_body(event))
    if kind in OUTCOME_KINDS and event.payload.get("cause") != "notice":  # a notice's opening decides nothing
        case.beyond_notice = True
    db.session.info.setdefault(_PENDING, []).append(event)
    _chain_ends(db.session)[case.id] = _ChainEnd(event.seq, event.hash, event.created_at)
    return event


# The events recorded in the session's transaction and not yet written, in the order of their chains.
_PENDING = "odr_pending_events"
_COLUMNS = [column.key for column in Event.__table__.columns if column.key != "id"]


def _write_pending(session: Session, transaction: SessionTransaction | None = None) -> None:
    """Write the pending events in one INSERT (an executemany), in the order they were recorded, on the
    connection of ``transaction`` (default: the session's current one)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    connection = transaction.connection(None) if transaction is not None else session.connection()
    connection.execute(insert(Event.__table__), [{key: getattr(e, key) for key in _COLUMNS} for e in pending])


# Whether a statement reads the events table, by statement: most are built once and executed at every act (the
# sweep sends hundreds per batch), and walking one's tables cost about what sending it does. Statements are
# immutable; an entry goes with its statement.
_READS_EVENTS: weakref.WeakKeyDictionary[ClauseElement, bool] = weakref.WeakKeyDictionary()


def _reads_events(statement: ClauseElement) -> bool:
    # Raw SQL may read anything.
    if isinstance(statement, TextClause):
        return True
    known = _READS_EVENTS.get(statement)
    if known is None:
        known = _READS_EVENTS[statement] = _names_events(statement)
    return known


def _names_events(statement: ClauseElement) -> bool:
    # A built statement names its tables (subqueries and joins included), except the targets of ORM joins along a
    # relationship (``join(Case.events)``), resolved only when it is compiled.
    tables = find_tables(statement, include_aliases=True, include_joins=True)
    if any(getattr(t, "name", None) == Event.__tablename__ for t in tables):
        return True
    return any(_joins_events(join[0]) for join in getattr(statement, "_setup_joins", ()))


def _joins_events(target) -> bool:
    prop = getattr(target, "property", None)
    mapper = getattr(prop, "mapper", None) or getattr(inspect(target, raiseerr=False), "mapper", None)
    if mapper is not None:  # a relationship, a mapped class or an alias of one
        return mapper.class_ is Event
    if isinstance(target, FromClause):
        return any(getattr(t, "name", None) == Event.__tablename__ for t in find_tables(target, include_aliases=True))
    return True  # not known: written, to be sure


@sa_event.listens_for(Session, "do_orm_execute")
def _write_before_a_read(state) -> None:
    # Whatever reads the timeline in the transaction (the chain's end, the conduct checks, a page) sees every
    # event recorded in it, as with the ORM's autoflush; other statements leave them pending, so that the events
    # of an act (a consequence of a deadline records four) go together.
    if state.session.info.get(_PENDING) and _reads_events(state.statement):
        _write_pending(state.session)


@sa_event.listens_for(Session, "before_commit")
def _write_at_commit(session) -> None:
    _write_pending(session)


@sa_event.listens_for(Session, "after_transaction_create")
def _write_before_a_savepoint(session, transaction) -> None:
    # Written in the enclosing transaction (its SAVEPOINT is not begun yet), so that a savepoint rolled back
    # takes only the events recorded in it.
    if transaction.nested:
        _write_pending(session, transaction.parent)


@dataclass(frozen=True)
class _ChainEnd:
    seq: int
    hash: str
    created_at: datetime


def _chain_ends(session) -> dict[int, _ChainEnd | None]:
    """The last event of each case this transaction has appended to (or read for a batch it holds the locks of),
    so that the next event of the same case needs no SELECT (a notice records five or more). Forgotten when the
    transaction ends, so a later transaction reads the chain's end from the database again."""
    return transaction_memo(session, "chain_ends")


def new_chain(case: Case) -> None:
    """The case was inserted in this transaction: its chain is empty, its first event needs no SELECT."""
    _chain_ends(db.session)[case.id] = None


# Built once: read at the first event of each act, where building the statement cost about as much as sending it.
_CHAIN_END = (
    select(Event.seq, Event.hash, Event.created_at)
    .where(Event.case_id == bindparam("case_id"))
    .order_by(Event.seq.desc())
    .limit(1)
)


# The ends of several chains in one statement (the sweep's batch): each case's highest seq, then its row.
_LAST_SEQS = (
    select(Event.case_id, func.max(Event.seq).label("seq"))
    .where(Event.case_id.in_(bindparam("case_ids", expanding=True)))
    .group_by(Event.case_id)
    .subquery()
)
_CHAIN_ENDS = select(Event.case_id, Event.seq, Event.hash, Event.created_at).join(
    _LAST_SEQS, (Event.case_id == _LAST_SEQS.c.case_id) & (Event.seq == _LAST_SEQS.c.seq)
)


def read_chain_ends(case_ids: list[int]) -> None:
    """Read the ends of these cases' chains in one statement, so that their next events need no SELECT each. The
    caller holds the cases' locks (taken before this read): nobody else appends to them in this transaction."""
    ends = _chain_ends(db.session)
    wanted = [case_id for case_id in case_ids if case_id not in ends]
    if not wanted:
        return
    found = {row.case_id: row for row in db.session.execute(_CHAIN_ENDS, {"case_ids": wanted})}
    for case_id in wanted:
        row = found.get(case_id)
        ends[case_id] = None if row is None else _ChainEnd(row.seq, row.hash, row.created_at)


def _last_event(case_id: int) -> _ChainEnd | None:
    ends = _chain_ends(db.session)
    if case_id in ends:
        return ends[case_id]
    row = db.session.execute(_CHAIN_END, {"case_id": case_id}).first()
    return None if row is None else _ChainEnd(row.seq, row.hash, row.created_at)


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_pending(session, *args) -> None:
    # The events still pending at a rollback were all recorded in what is rolled back (a savepoint writes those
    # before it); at a commit, none is left.
    session.info.pop(_PENDING, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_pending_at_the_end(session, transaction) -> None:
    # A session closed without a commit or rollback of its own ends its transaction here.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def verify_chain(events: list[Event]) -> list[str]:
    """Problems in a case's chain, empty when intact."""
    problems = []
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(f"event {event.seq}: expected sequence number {expected_seq}")
        if event.prev_hash != prev:
            problems.append(f"event {event.seq}: does not follow the event before it")
        if chain_hash(event.prev_hash, event_body(event)) != event.hash:
            problems.append(f"event {event.seq}: its content does not match its hash")
        prev = event.hash
    return problems
