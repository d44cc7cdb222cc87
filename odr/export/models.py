"""Exports of escalated cases to a court, and the court's decisions coming back."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Party
from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


class CaseExport(db.Model):
    """One bundle sent to a court: where it lies, what it pins, and whether the court took it."""

    __tablename__ = "case_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    court_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    format_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_downloaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    export_seq: Mapped[int] = mapped_column(Integer, default=1)
    bundle_id: Mapped[str] = mapped_column(String(36), default="")
    bundle_name: Mapped[str] = mapped_column(String(80), default="")
    merkle_root: Mapped[str] = mapped_column(String(64), default="")
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    key_id: Mapped[str] = mapped_column(String(64), default="")
    timestamped: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    court: Mapped[Party] = relationship()


class CourtDecision(db.Model):
    """The court's decision as the platform carries it out: outcome, measures, amounts, signed document."""

    __tablename__ = "court_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), unique=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))
    court_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    outcome: Mapped[str] = mapped_column(String(32))
    listing_measure: Mapped[str] = mapped_column(String(32))
    amounts: Mapped[list] = mapped_column(JSON, default=list)
    court_reference: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    carried_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CourtKeyPin(db.Model):
    """The platform key fingerprint a court account trusts, fixed when the account was created.

    The court verifies every bundle against it (and the key log that extends it), never against a key a
    bundle names; the portal shows it, `odr accounts create --role court` prints it."""

    __tablename__ = "court_key_pins"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    key_id: Mapped[str] = mapped_column(String(64))
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
