"""The outbox: notifications are queued in the same transaction as the change they announce, and a
periodic job sends them by e-mail, each in its recipient's language."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app
from sqlalchemy import select, update

from odr.accounts.signals import link_issued
from odr.cases.models import Case
from odr.cases.signals import respondent_invited
from odr.domain_events import commit
from odr.extensions import db
from odr.i18n import render_notification
from odr.models_base import utcnow
from odr.notifications import deadline_changes as _deadline_changes  # noqa: F401  (tells the parties)
from odr.notifications import deliveries
from odr.notifications import reminders as _reminders  # noqa: F401  (registers its periodic job)
from odr.notifications.models import Notification
from odr.queue import periodic_job

BATCH = 100


def notify(recipient: str, locale: str, kind: str, data: dict) -> Notification:
    note = Notification(recipient=recipient, locale=locale, kind=kind, data=data)
    db.session.add(note)
    return note


@respondent_invited.in_transaction.connect
def _invite(case: Case, *, party, invitation_code: str, claimant_name: str, **_data) -> None:
    """The seller named in a notice, without an account yet, is invited with a one-time code."""
    note = notify(
        party.contact_email,
        party.preferred_language,
        "invitation",
        {"case_id": case.id, "invitation_code": invitation_code, "claimant": claimant_name},
    )
    deliveries.link_invitation(case, party, note)


# Outbox kinds whose data carries a secret (a one-time link): it is dropped once the mail server has the e-mail
# or refused it for good, so the database keeps no working link for longer than it must.
SECRET_KINDS = {"verify_email", "reset_password"}


@link_issued.in_transaction.connect
def _mail_link(account, *, purpose, email: str, url: str, hours: int, locale: str, **_data) -> None:
    """A one-time link goes to the address it was issued for, in the account's language."""
    notify(email, locale, str(purpose.value), {"url": url, "hours": hours, "name": account.display_name})


def _forget_secret(note: Notification) -> None:
    if note.kind in SECRET_KINDS:
        note.data = {key: value for key, value in (note.data or {}).items() if key != "url"}


def message_for(note: Notification, sender: str) -> EmailMessage:
    subject, body = render_notification(note)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = note.recipient
    message["Subject"] = subject
    # One Message-ID per outbox row, so a receiving server can drop a duplicate of a resent row.
    message["Message-ID"] = make_msgid(idstring=f"odr-notification-{note.id}")
    message.set_content(body)
    message["Content-Language"] = note.locale  # after set_content, which resets Content-* headers
    return message


@periodic_job("notification_outbox", "Send the notification outbox by e-mail.")
def send_due() -> int:
    """Send unsent notifications when an SMTP server is configured; return how many were sent.

    Each row is claimed (sent_at set) in its own transaction before it is handed to the server, so two
    workers never send the same row; a row whose sending fails is released for the next run.
    """
    cfg = current_app.config["ODR"]
    if not cfg.get("SMTP_HOST"):
        return 0
    ids = db.session.scalars(
        select(Notification.id).where(Notification.sent_at.is_(None)).order_by(Notification.id).limit(BATCH)
    ).all()
    db.session.commit()
    sent = 0
    if not ids:
        return 0
    with smtplib.SMTP(cfg["SMTP_HOST"], int(cfg["SMTP_PORT"]), timeout=30) as smtp:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USER"):
            smtp.login(cfg["SMTP_USER"], cfg.get("SMTP_PASSWORD") or "")
        for note_id in ids:
            claimed = db.session.execute(
                update(Notification)
                .where(Notification.id == note_id, Notification.sent_at.is_(None))
                .values(sent_at=utcnow())
            )
            if claimed.rowcount != 1:
                db.session.rollback()
                continue
            db.session.commit()
            note = db.session.get_one(Notification, note_id)
            try:
                smtp.send_message(message_for(note, cfg["MAIL_FROM"]))
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
                if _permanent(exc):
                    # Refused for good (5xx): the row is not retried; the deliveries it carries failed.
                    note.failed_at, note.failure = utcnow(), _reason(exc)
                    _forget_secret(note)
                    deliveries.failed(note.id, note.failed_at, note.failure)
                else:
                    note.sent_at = None
                commit()
                continue
            except smtplib.SMTPException:
                current_app.logger.exception("notification %s could not be sent; it will be retried", note_id)
                note.sent_at = None
                db.session.commit()
                continue
            deliveries.accepted(note.id, utcnow())
            _forget_secret(note)
            commit()
            sent += 1
    return sent


def _permanent(exc: smtplib.SMTPException) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    return getattr(exc, "smtp_code", 0) >= 500


def _reason(exc: smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, message = next(iter(exc.recipients.values()))
    else:
        code, message = exc.smtp_code, exc.smtp_error  # type: ignore[attr-defined]
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
    return f"{code} {text}"[:500]
