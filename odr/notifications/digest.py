"""The daily digest: one e-mail per account and local day listing the acts served on it that day, for
accounts that chose it (notifications.preferences). The e-mail deliveries held for a day (``digest_on``)
are swept once that day has ended in the account's time zone; each sweep claims them with a conditional
update, so a repeated or concurrent sweep never sends a digest twice or leaves an act out."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from odr.accounts.models import Account
from odr.cases.models import Case
from odr.extensions import db
from odr.models_base import utcnow
from odr.notifications.models import Channel, Delivery, Notification
from odr.queue import periodic_job

DIGEST = "digest"


def _held():
    return (
        Delivery.channel == Channel.EMAIL,
        Delivery.digest_on.is_not(None),
        Delivery.notification_id.is_(None),
    )


@periodic_job("notification_digests", "Put each ended day's held e-mail deliveries into one digest per account.")
def send_digests(now: datetime | None = None) -> int:
    """Write the digest e-mails of the days that have ended (the outbox sends them); return how many."""
    now = now or utcnow()
    pending = db.session.execute(select(Delivery.account_id, Delivery.digest_on).where(*_held()).distinct()).all()
    written = 0
    for account_id, day in sorted(pending, key=lambda row: (row[1], row[0] or 0)):
        account = db.session.get(Account, account_id) if account_id is not None else None
        zone = ZoneInfo(account.effective_time_zone if account is not None else "UTC")
        if day is None or day >= now.astimezone(zone).date():
            continue  # the day has not ended where the addressee lives
        rows = list(
            db.session.scalars(
                select(Delivery)
                .where(*_held(), Delivery.account_id == account_id, Delivery.digest_on == day)
                .order_by(Delivery.made_available_at, Delivery.id)
            )
        )
        if not rows:
            continue
        cases = db.session.scalars(select(Case).where(Case.id.in_({r.case_id for r in rows}))).all()
        references = {case.id: case.reference for case in cases}
        note = Notification(
            recipient=rows[0].address,
            locale=rows[0].language,
            kind=DIGEST,
            data={
                "day": day.isoformat(),
                "items": [
                    {"case_id": r.case_id, "reference": references.get(r.case_id), "event_kind": r.event_kind}
                    for r in rows
                ],
            },
        )
        db.session.add(note)
        db.session.flush()
        claimed = db.session.execute(
            update(Delivery)
            .where(Delivery.id.in_([r.id for r in rows]), Delivery.notification_id.is_(None))
            .values(notification_id=note.id)
        )
        if getattr(claimed, "rowcount", 0) != len(rows):
            db.session.rollback()  # another sweep took some of them: it sends them
            continue
        db.session.commit()
        written += 1
    return written
