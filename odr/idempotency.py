"""Idempotent submissions, the same on every endpoint that takes an ``Idempotency-Key``.

- same key, same body: the first result again (HTTP 200 instead of 201), nothing written;
- same key, another body: refused with 422 ``idempotency_key_reused``, nothing written;
- two identical requests racing: the unique (account, key) row lets one commit; the other answers
  the winner's result.

The key's row is written in the same transaction as the submission's effect, so a key is recorded
exactly when its effect is committed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Integer, String, UniqueConstraint, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from odr.domain_events import commit
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import UTCDateTime, utcnow

MAX_KEY_LENGTH = 128
T = TypeVar("T")


class IdempotentRequest(db.Model):  # type: ignore[name-defined,misc]
    """A submission already acknowledged: a retry with the same key gets the same answer."""

    __tablename__ = "idempotent_requests"
    __table_args__ = (UniqueConstraint("account_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(db.ForeignKey("accounts.id"))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    request_sha256: Mapped[str] = mapped_column(String(64))
    result_kind: Mapped[str] = mapped_column(String(32))
    result_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def key_reused() -> ValidationFailed:
    return ValidationFailed(
        _("This idempotency key was already used for a different submission."),
        {"idempotency_key": _("Use a new key for a new submission.")},
        code="idempotency_key_reused",
    )


class AnsweredAs(ValidationFailed):
    """The same submission (same key, same body) was answered before with another kind of result: a notice filed
    at once, sent again to be received later, or the other way. A route that knows that kind answers with it;
    anywhere else it is the refusal of a reused key."""

    def __init__(self, previous: IdempotentRequest):
        refusal = key_reused()
        super().__init__(refusal.message, refusal.fields, code=refusal.code)
        self.result_kind, self.result_id = previous.result_kind, previous.result_id


@dataclass
class Outcome:
    """What a submission produced; ``created`` is False when an identical retry was answered."""

    obj: Any
    created: bool


@dataclass(frozen=True)
class Submission:
    """One submission's idempotency: who sent it, under which key, with which body."""

    account_id: int
    key: str | None
    digest: str

    @classmethod
    def of(cls, account_id: int, key: str | None, body: Any, file_names: Iterable[str | None] = ()) -> Submission:
        """The submission of ``body`` (JSON-like) and the names of its files under ``key`` (None: no key)."""
        canonical = json.dumps(
            {"data": body, "uploads": [name or "" for name in file_names]}, sort_keys=True, default=str
        )
        return cls(account_id, (key or None) and key[:MAX_KEY_LENGTH], hashlib.sha256(canonical.encode()).hexdigest())

    def replayed(self, model: type[T]) -> T | None:
        """The result of an earlier submission under this key, or None; another body under it is refused."""
        if not self.key:
            return None
        previous = db.session.scalar(
            select(IdempotentRequest).where(
                IdempotentRequest.account_id == self.account_id, IdempotentRequest.key == self.key
            )
        )
        previous = self.answered_by(previous, model)
        return None if previous is None else db.session.get(model, previous.result_id)

    def answered_by(self, previous: IdempotentRequest | None, model: type) -> IdempotentRequest | None:
        """``previous`` (the record under this key, if any) when it answers this submission; another body
        under the same key is refused."""
        if previous is None:
            return None
        if previous.request_sha256 != self.digest:
            raise key_reused()
        if previous.result_kind != model.__tablename__:  # type: ignore[attr-defined]
            raise AnsweredAs(previous)
        return previous

    @staticmethod
    def recorded(account_id: int, keys: Iterable[str]) -> dict[str, IdempotentRequest]:
        """The records under these keys of one account, in one query (the items of a batch)."""
        keys = list(keys)
        if not keys:
            return {}
        rows = db.session.scalars(
            select(IdempotentRequest).where(IdempotentRequest.account_id == account_id, IdempotentRequest.key.in_(keys))
        )
        return {row.key: row for row in rows}

    @staticmethod
    def record_all(pairs: list[tuple[Submission, Any]]) -> None:
        """Keep each key with its object (flushed) in the open transaction: one INSERT for all of them (a
        batch's items), the same rows as ``record`` one by one."""
        rows = [
            {
                "account_id": sub.account_id,
                "key": sub.key,
                "request_sha256": sub.digest,
                "result_kind": obj.__tablename__,
                "result_id": obj.id,
            }
            for sub, obj in pairs
            if sub.key
        ]
        if rows:
            db.session.execute(insert(IdempotentRequest), rows)

    def record(self, obj: Any) -> None:
        """Keep this key with ``obj`` (flushed, so it has its id) in the open transaction."""
        if self.key:
            db.session.add(
                IdempotentRequest(
                    account_id=self.account_id,
                    key=self.key,
                    request_sha256=self.digest,
                    result_kind=obj.__tablename__,
                    result_id=obj.id,
                )
            )

    def commit(self, obj: Any, on_lost_race: Callable[[], None] = lambda: None, *, keep: bool = False) -> Outcome:
        """Commit the submission's effect with its key; on a lost race, answer the winner's result.

        ``on_lost_race`` undoes what the losing request did outside the database (stored files). ``keep``: the
        objects stay as they were written instead of expiring, so that the answer and the after-request audit
        check do not read them back (a request answered from what it wrote, whose session ends with it).
        """
        if self.key:
            db.session.flush()
            self.record(obj)
        session = db.session()
        session.expire_on_commit = not keep
        try:
            commit()
        except IntegrityError:
            db.session.rollback()
            on_lost_race()
            existing = self.replayed(type(obj)) if self.key else None
            if existing is None:
                raise
            return Outcome(existing, False)
        finally:
            session.expire_on_commit = True
        return Outcome(obj, True)
