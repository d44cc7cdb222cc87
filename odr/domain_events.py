"""Domain events: how one domain reacts to another's acts without the acting domain naming it.

A lower domain *publishes* what happened (a filing was recorded, a case must go to a court, measures
must be ordered); the domains above *subscribe* (translation, export, mediation, notifications). The
publisher never imports a subscriber, so the layers of ``docs/architecture.md`` hold.

Each event has two phases, and a subscriber chooses one:

- ``in_transaction``: run at once, inside the publisher's transaction. What the subscriber writes
  (the measures, the court bundle's row, an outbox row) commits or rolls back together with the act,
  so a case is never escalated without its export, nor restricted without its measures.
- ``after_commit``: run once the act is committed (requests to the queue, anything that must not
  happen for an act that did not take place). ``commit()`` commits and then dispatches; events of a
  transaction that rolls back are dropped.

The services call ``commit()`` where they used to call ``db.session.commit()`` (Zulip's rule: a
``do_*`` action writes, commits, then sends its events).
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import Namespace, Signal
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from odr.extensions import db

log = logging.getLogger(__name__)
_namespace = Namespace()
_PENDING = "odr.domain_events.pending"  # published in the open transaction
_READY = "odr.domain_events.ready"  # their transaction committed; waiting for dispatch


class DomainEvent:
    """One kind of domain event with its two phases (blinker signals)."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc
        self.in_transaction: Signal = _namespace.signal(f"{name}:in-transaction", doc)
        self.after_commit: Signal = _namespace.signal(f"{name}:after-commit", doc)

    def publish(self, sender: Any, **data: Any) -> None:
        """Announce the event: in-transaction subscribers run now, after-commit ones once committed."""
        self.in_transaction.send(sender, **data)
        if self.after_commit.receivers:
            db.session.connection()  # the act's transaction has begun, so its rollback is seen and drops this
            db.session.info.setdefault(_PENDING, []).append((self, sender, data))

    def has_subscriber(self) -> bool:
        return bool(self.in_transaction.receivers or self.after_commit.receivers)

    def __repr__(self) -> str:
        return f"DomainEvent({self.name!r})"


def commit() -> None:
    """Commit the session, then run the after-commit subscribers of what it committed."""
    db.session.commit()
    dispatch_committed()


def dispatch_committed() -> None:
    ready = db.session.info.pop(_READY, [])
    for domain_event, sender, data in ready:
        for receiver in list(domain_event.after_commit.receivers_for(sender)):
            try:
                receiver(sender, **data)
            except Exception:  # the act is committed; a failed reaction is logged and retried by its own sweep
                log.exception("after-commit subscriber of %s failed", domain_event.name)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    # Every rollback of the whole transaction (not of a savepoint), even one with no SQL sent yet.
    if not previous_transaction.nested:
        session.info.pop(_PENDING, None)
