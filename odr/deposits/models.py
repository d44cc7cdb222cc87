"""A deposited work and its signed certificate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


class Deposit(db.Model):
    __tablename__ = "deposits"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[str] = mapped_column(String(36), unique=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    title: Mapped[str] = mapped_column(String(300))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(127))
    deposited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The whole signed envelope, exactly as issued: what the depositor downloads and a bundle carries.
    certificate: Mapped[str] = mapped_column(Text)
    timestamped: Mapped[bool] = mapped_column(Boolean, default=False)
