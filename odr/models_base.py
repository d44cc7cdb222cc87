"""Declarative base shared by every domain's models, and what a transaction has read once."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy import event as sa_event
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session

# Stable constraint names, so Alembic can name and drop them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An instant stored in UTC; always returned timezone-aware.

    SQLite has no time zone type, so instants are normalised to naive UTC on the
    way in and tagged UTC on the way out. Naive datetimes are refused: they are a bug.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is required")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# --- what a transaction has read once ------------------------------------------------------------------

_MEMOS = "odr_transaction_memos"


def transaction_memo(session: Session | scoped_session[Any], name: str) -> dict[Any, Any]:
    """A dict kept with ``session`` for its current transaction only, under ``name``: what the transaction read
    once and may trust until it ends (the chain ends of the cases it appends to, preferences asked of again and
    again by a sweep's hundred acts). Whoever writes what a memo holds in the same transaction updates it.
    Forgotten at commit, at any rollback (a savepoint's too, which may undo what a memo holds) and when the
    session closes: another transaction may have changed those rows since."""
    return session.info.setdefault(_MEMOS, {}).setdefault(name, {})


@sa_event.listens_for(Session, "after_commit")
@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_memos(session: Session, *args: Any) -> None:
    session.info.pop(_MEMOS, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_memos_at_the_end(session: Session, transaction: Any) -> None:
    # A session closed without a commit or rollback of its own ends its transaction here.
    if transaction.parent is None:
        session.info.pop(_MEMOS, None)
