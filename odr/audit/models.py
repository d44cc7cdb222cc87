"""One row per audited request."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.models_base import UTCDateTime, utcnow


class AuditAction(StrEnum):
    CASE_READ = "case_read"  # a GET of a case's page, document, evidence or bundle that was answered
    ADMIN_ACTION = "admin_action"  # any request of an administrator that may change something

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self])


ACTION_LABELS = {
    AuditAction.CASE_READ: _l("Read a case"),
    AuditAction.ADMIN_ACTION: _l("Administrator's action"),
}


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    endpoint: Mapped[str] = mapped_column(String(120))
    status: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(64))  # the client's address as the server saw it
