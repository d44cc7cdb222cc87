"""Single notices accepted asynchronously: ``POST /api/v1/cases`` with ``Prefer: respond-async`` (RFC 7240).

Acceptance does only what needs no case work: the account may file notices, the body is a JSON object, its
``Idempotency-Key``. It keeps the notice as sent (``ReceivedNotice``), commits, and only then asks the queue to
open it: the filer holds a durable receipt at about the cost of one row. The queue's job opens each notice with
``services.file_notice``, the synchronous route's own code, as of the time it was received (legally, when the
notice was received) and in the language the filer was answered in; the receipt then names its case, or the
refusal the synchronous route would have answered (counted in the filer's record the same way).

Exactly once: a job claims a chunk of queued receipts for a while (``LEASE``), oldest first, so that several
workers share the work without taking the same one; and a receipt's outcome is written by a conditional update
(still queued) in the transaction that commits its case or its refusal. A crash before that commit leaves the
receipt queued and nothing opened; a worker that finds the receipt settled by another (whose lease it outlived)
rolls its work back. The minute sweep takes what a lost job or a dead worker left queued.

A notice whose opening fails unexpectedly (not a refusal: an error of the platform) is taken again once its lease
runs out, up to ``ATTEMPTS`` claims; then it is given up (``failed``, with an error in the filer's language), so
that a notice the platform cannot open never leaves its filer waiting, nor comes back every ten minutes.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import or_, select, update

from odr.accounts.models import Account
from odr.cases import services
from odr.cases.models import Case, ReceiptStatus, ReceivedNotice
from odr.errors import NotFound, ServiceError, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.idempotency import Outcome
from odr.models_base import utcnow
from odr.queue import huey, job_context, periodic_job

log = logging.getLogger(__name__)

CHUNK = 100  # receipts one job claims at a time
LEASE = timedelta(minutes=10)  # a claimed receipt whose worker died is taken again after this
ATTEMPTS = 5  # the claims of a receipt whose opening fails unexpectedly before it is given up
# Set while a job that will take every queued receipt waits in the queue: notices received meanwhile add no job
# of their own (a thousand notices, one job), as translation's requests do.
WAITING_JOB = "received-notices:job-waiting"


class ReceiptTaken(Exception):
    """Another worker recorded this receipt's outcome first: this worker's case or refusal rolls back."""


class NotOpened(ServiceError):
    """What a receipt given up on says: the platform failed to open the notice (the filer did nothing wrong)."""

    status = 500
    code = "not_opened"


def receive_notice(account: Account, data: dict, *, key: str | None, remote_addr: str, locale: str) -> Outcome:
    """Keep a notice to open later, committed before it is acknowledged; an identical retry under the same key
    answers the same receipt (another body under it is refused)."""
    services.check_notifier(account)
    sub = services.submission(account, key, data, [])
    replay = sub.replayed(ReceivedNotice)
    if replay is not None:
        return Outcome(replay, False)
    receipt = ReceivedNotice(
        account_id=account.id,
        received_at=utcnow(),
        data=data,
        remote_addr=(remote_addr or "")[:64],
        locale=locale,
        status=ReceiptStatus.QUEUED,
    )
    db.session.add(receipt)
    # Its commit changes nothing this request read: the answer (the receipt) and the after-request audit check
    # (the account) read them as they are, not again from the database.
    outcome = sub.commit(receipt, keep=True)
    if outcome.created:
        try:
            enqueue()
        except Exception:  # the receipt is committed; the minute sweep opens it
            log.exception("could not queue the opening of received notices")
    return outcome


def receipt_of(account: Account, receipt_id: int) -> ReceivedNotice:
    """A receipt, for the account that filed its notice only."""
    receipt = db.session.get(ReceivedNotice, receipt_id)
    if receipt is None or receipt.account_id != account.id:
        raise NotFound(_("This notice receipt does not exist, or you may not see it."))
    return receipt


# -- the jobs ------------------------------------------------------------------------------------


def enqueue() -> None:
    """Queue a job for the receipts waiting, unless one is already waiting: that one will take them too.

    The job clears the mark before it claims, so a receipt committed after the claim always finds the mark
    cleared and queues a job of its own; the minute sweep clears a mark left behind. The mark is read before it
    is set: while a job waits, each notice reads it, without taking the queue store's write lock (SQLite's)."""
    if huey.storage.has_data_for_key(WAITING_JOB) or not huey.put_if_empty(WAITING_JOB, True):
        return
    try:
        open_received_task()
    except Exception:
        huey.delete(WAITING_JOB)
        raise


@huey.task()
def open_received_task():
    """Open the received notices waiting, a chunk at a time (the next chunk in a job of its own)."""
    huey.delete(WAITING_JOB)  # before claiming: notices received from now on queue the next job
    with job_context():
        taken = open_received()
    if taken == CHUNK:
        enqueue()


@periodic_job("received_notices", "Open the notices received but not opened yet (a lost job, a dead worker's).")
def sweep() -> int:
    huey.delete(WAITING_JOB)  # a mark whose job was lost would hold back every later job
    taken = open_received()
    if taken == CHUNK:
        enqueue()
    return taken


def open_received(now: datetime | None = None) -> int:
    """Claim up to ``CHUNK`` queued receipts, oldest first, and open each; how many were claimed.

    One receipt's unexpected error is logged and does not stop the others: it stays queued, taken again once
    its lease runs out, until its ``ATTEMPTS``-th claim; then it is given up."""
    claimed = _claim(now or utcnow(), CHUNK)
    for receipt_id in claimed:
        try:
            _open(receipt_id)
        except Exception:
            db.session.rollback()
            if _give_up(receipt_id):
                log.exception("could not open received notice %s at its last attempt; it is given up", receipt_id)
            else:
                log.exception("could not open received notice %s; it stays queued", receipt_id)
    return len(claimed)


def _give_up(receipt_id: int) -> bool:
    """Mark a receipt failed if this was its last attempt (committed); whether it was."""
    receipt = db.session.get(ReceivedNotice, receipt_id)
    if receipt is None or receipt.status != ReceiptStatus.QUEUED or receipt.attempts < ATTEMPTS:
        return False
    with force_locale(receipt.locale):
        failure = NotOpened(
            _(
                "The platform could not open this notice, after %(n)s attempts. Nothing was filed: send it again, "
                "or give the platform's operators this receipt's number.",
                n=receipt.attempts,
            )
        )
    try:
        _record(receipt_id, failure)
    except ReceiptTaken:  # opened by another worker meanwhile
        db.session.rollback()
        return False
    db.session.commit()
    return True


def _claim(now: datetime, limit: int) -> list[int]:
    """Hold the oldest queued receipts that nobody holds, in one statement (committed): another worker takes
    others. The outer conditions are checked again on PostgreSQL after a concurrent claim of the same rows, and
    ``SKIP LOCKED`` lets a second worker take the next ones instead of waiting. The oldest are chosen in a CTE:
    as the subquery of ``IN``, PostgreSQL claimed more rows than the limit (tests/cases/test_received_notices.py)."""
    free = (
        ReceivedNotice.status == ReceiptStatus.QUEUED,
        or_(ReceivedNotice.claimed_until.is_(None), ReceivedNotice.claimed_until <= now),
    )
    oldest = (
        select(ReceivedNotice.id)
        .where(*free)
        .order_by(ReceivedNotice.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("oldest")
    )
    claimed = db.session.scalars(
        update(ReceivedNotice)
        .where(ReceivedNotice.id == oldest.c.id, *free)
        .values(claimed_until=now + LEASE, attempts=ReceivedNotice.attempts + 1)
        .returning(ReceivedNotice.id)
    ).all()
    db.session.commit()
    return sorted(claimed)


def _open(receipt_id: int) -> None:
    """File the receipt's notice as the synchronous route does, and record its outcome on the receipt in the
    transaction that commits it."""
    receipt = db.session.get(ReceivedNotice, receipt_id)
    if receipt is None or receipt.status != ReceiptStatus.QUEUED:
        return
    account = db.session.get_one(Account, receipt.account_id)
    settled: list[Case | ValidationFailed] = []

    def settle(outcome: Case | ValidationFailed) -> None:
        _record(receipt_id, outcome)
        settled.append(outcome)

    with force_locale(receipt.locale):
        try:
            services.file_notice(
                account, receipt.data, remote_addr=receipt.remote_addr, at=receipt.received_at, settle=settle
            )
        except ReceiptTaken:
            db.session.rollback()
        except ServiceError as refusal:
            if settled and settled[0] is refusal:
                return  # refused by the notice's checks: recorded with the refusal's count, committed
            # Refused before or after the checks (the account may no longer file notices, its notices'
            # processing is suspended, the store refused a file): nothing else was written.
            db.session.rollback()
            try:
                _record(receipt_id, refusal)
            except ReceiptTaken:
                db.session.rollback()
                return
            db.session.commit()


def _record(receipt_id: int, outcome: Case | ServiceError) -> None:
    """The receipt's outcome, written only while it is still queued (in the open transaction)."""
    if isinstance(outcome, Case):
        values: dict = {"status": ReceiptStatus.FILED, "case_id": outcome.id}
    else:
        status = ReceiptStatus.FAILED if isinstance(outcome, NotOpened) else ReceiptStatus.REFUSED
        values = {"status": status, "refusal": outcome.to_dict()["error"]}
    written = db.session.execute(
        update(ReceivedNotice)
        .where(ReceivedNotice.id == receipt_id, ReceivedNotice.status == ReceiptStatus.QUEUED)
        .values(**values, claimed_until=None, processed_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:  # type: ignore[attr-defined]
        raise ReceiptTaken(receipt_id)
