"""Queue notifications in the outbox, in the same transaction as the change they announce."""
from __future__ import annotations

from odr.extensions import db
from odr.notifications.models import Notification


def notify(recipient: str, locale: str, kind: str, data: dict) -> Notification:
    note = Notification(recipient=recipient, locale=locale, kind=kind, data=data)
    db.session.add(note)
    return note
