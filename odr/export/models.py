"""Exports of escalated cases to a court."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Party
from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


class CaseExport(db.Model):
    __tablename__ = "case_exports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    court_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    format_version: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_downloaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_downloaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    court: Mapped[Party] = relationship()
