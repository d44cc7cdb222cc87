"""Member platforms, the records of every member's log (this platform's own included) and contests of records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Account
from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


class AllianceMember(db.Model):  # type: ignore[name-defined,misc]
    """Another platform whose feed this platform pulls, pinned by its Ed25519 public key."""

    __tablename__ = "alliance_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the raw public key
    public_key_pem: Mapped[str] = mapped_column(Text)
    feed_url: Mapped[str] = mapped_column(String(2000))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last pull that imported
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last pull, refused or not


class AllianceRecord(db.Model):  # type: ignore[name-defined,misc]
    """One signed entry of an issuer's log: a finding or a revocation, exactly as signed."""

    __tablename__ = "alliance_records"
    __table_args__ = (UniqueConstraint("issuer", "seq", name="uq_alliance_records_issuer_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(64))  # the issuer's key id
    seq: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(200))  # base64 Ed25519 over the body's canonical JSON
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when a revocation record for this finding arrives (or is issued here).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The case on this platform a record issued here rests on.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    digests: Mapped[list["AllianceDigest"]] = relationship(back_populates="record")


class AllianceDigest(db.Model):  # type: ignore[name-defined,misc]
    """An identifier (keyed with the alliance key) that a finding names; indexed for standing look-ups."""

    __tablename__ = "alliance_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("alliance_records.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), index=True)

    record: Mapped[AllianceRecord] = relationship(back_populates="digests")


class RecordContest(db.Model):  # type: ignore[name-defined,misc]
    """The seller named by a record issued here says it is wrong; an upheld contest issues a revocation."""

    __tablename__ = "alliance_contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("alliance_records.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    record: Mapped[AllianceRecord] = relationship()
    filed_by: Mapped[Account] = relationship()


class RecordUse(db.Model):  # type: ignore[name-defined,misc]
    """A member's finding matched an account reported here: the finding is used on this platform, and the
    account's seller (or, when no dispute party is known, the platform client that reported it) was told once."""

    __tablename__ = "alliance_record_uses"
    __table_args__ = (UniqueConstraint("record_id", "account_id", name="uq_alliance_record_uses_record_account"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("alliance_records.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("linkage_accounts.id"))
    told: Mapped[str] = mapped_column(String(16))  # "seller" or "platform"
    told_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
