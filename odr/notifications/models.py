"""The outbox: every notification the platform owes someone, in that person's language."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    locale: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A permanent refusal by the mail server (5xx): the row is not retried (sent_at stays set).
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure: Mapped[str | None] = mapped_column(String(500))


class Channel(enum.StrEnum):
    INBOX = "inbox"  # the platform inbox of an account
    EMAIL = "email"  # the outbox and its SMTP worker


class Delivery(db.Model):
    """One procedural act served on one addressee through one channel: the proof of service.

    Made available when the act is recorded (same transaction); ``accepted_at`` when the addressee's
    mail server took the e-mail; ``failed_at`` when it refused it for good; ``opened_at`` when the
    addressee first opened it in the inbox. A delivery names its act, never its content: the
    addressee reads the act on the case page, under the case's access rules (a caucus message and a
    blind bid stay with their party).
    """

    __tablename__ = "deliveries"
    # The header's unread count reads (account, channel, opened_at) only.
    __table_args__ = (Index("ix_deliveries_account_unread", "account_id", "channel", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    act: Mapped[str] = mapped_column(String(32))  # a procedure act (engine.ACTS) or "delivery_failed"
    event_kind: Mapped[str] = mapped_column(String(64))  # the timeline event it serves (vocabulary.EventKind)
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    role: Mapped[str] = mapped_column(String(32))  # the addressee's case role
    language: Mapped[str] = mapped_column(String(16))
    time_zone: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(254))  # the e-mail address, for the e-mail channel
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), index=True)
    # Set with its new outbox row, so that the rows of an act are written in one flush (the outbox row first).
    notification: Mapped[Notification | None] = relationship()
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    statement: Mapped[dict | None] = mapped_column(JSON)
    content_sha256: Mapped[str] = mapped_column(String(64))
    made_available_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failure: Mapped[str | None] = mapped_column(String(500))
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The procedure's data requires this delivery (``legally_required:`` in rules/): e-mailed at once,
    # whatever the addressee's preferences.
    legally_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    # An e-mail delivery held for the addressee's daily digest of that local day (none: sent at once).
    digest_on: Mapped[date | None] = mapped_column(Date, index=True)


class Frequency(enum.StrEnum):
    EVERY_EVENT = "every_event"  # an e-mail for every act served
    DAILY_DIGEST = "daily_digest"  # one e-mail a day listing the day's acts
    DEADLINES_ONLY = "deadlines_only"  # e-mail only for acts that start or concern a period


class NotificationPreference(db.Model):  # type: ignore[name-defined,misc]
    """How an account wants to be told by e-mail (the inbox always has every act). Legally required
    deliveries are e-mailed at once whatever this says. No row: every event, e-mail on."""

    __tablename__ = "notification_preferences"

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    frequency: Mapped[str] = mapped_column(String(16), default=Frequency.EVERY_EVENT)
    email: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reminder(db.Model):  # type: ignore[name-defined,misc]
    """One reminder of a period to the role that must act before it runs out, claimed once: the unique key
    makes a second sweeper's insert fail, so each reminder is served once however many sweepers run."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("deadline_id", "role", "hours_before"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"))
    role: Mapped[str] = mapped_column(String(32))
    hours_before: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
