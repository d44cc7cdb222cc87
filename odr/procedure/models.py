"""Deadlines: one row per running timer, swept by the periodic job."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


class DeadlineStatus(str, enum.Enum):
    PENDING = "pending"
    APPLIED = "applied"  # the period ran out and its consequence was carried out
    CANCELLED = "cancelled"  # the case left the state before the period ran out


class Deadline(db.Model):
    __tablename__ = "deadlines"
    # The sweep reads only what is due: (status, due_at) keeps its cost proportional to that. A case's pending
    # deadlines, soonest first, are read by (case_id, status, due_at): with only a case_id index, SQLite's planner
    # (without statistics) chose (status, due_at) for its ORDER BY and walked every pending deadline of the platform.
    __table_args__ = (
        Index("ix_deadlines_status_due_at", "status", "due_at"),
        Index("ix_deadlines_case_id_status_due_at", "case_id", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    procedure_code: Mapped[str] = mapped_column(String(64))
    procedure_version: Mapped[str] = mapped_column(String(32))
    timer: Mapped[str] = mapped_column(String(64))  # the rule that set it
    state: Mapped[str] = mapped_column(String(64))  # the state it runs in
    consequence: Mapped[str] = mapped_column(String(64))  # the state the case moves to
    citation: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    computation: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[DeadlineStatus] = mapped_column(
        Enum(
            DeadlineStatus,
            name="deadline_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=DeadlineStatus.PENDING,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CaseProcedure(db.Model):
    """Which procedure a case follows, where its deadlines are counted, and why (shown to both parties)."""

    __tablename__ = "case_procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))  # the platform's jurisdiction, as filed
    market: Mapped[str | None] = mapped_column(String(8))  # where the listing is targeted
    calendar: Mapped[str] = mapped_column(String(8))  # whose working days count
    time_zone: Mapped[str] = mapped_column(String(64))  # where days end
    roll_forward: Mapped[bool] = mapped_column(default=False)  # a period ending on a holiday moves on
    # Whose periods run: the procedure's own ("standard") or the expedited track's (odr/procedure/tracks.py).
    track: Mapped[str] = mapped_column(String(16), default="standard")
    # Reasons as message keys with parameters, rendered in the reader's language.
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Case.procedure_choice: loaded once per case object (and in one query for a list of cases).
    case = relationship("Case", backref=backref("procedure_choice", uselist=False))


class PauseStatus(str, enum.Enum):
    PENDING = "pending"
    GRANTED = "granted"
    REFUSED = "refused"
    # Nobody decided before the period ended (Platform Rule 12: a request is decided before then): the sweep
    # applies the period's consequence and the request lapses, which changes nothing, as a refusal would.
    LAPSED = "lapsed"


class PauseRequest(db.Model):  # type: ignore[name-defined,misc]
    """A participant's request that time lost beyond its control not count against a running period (CN: the
    SPC Reply, Fa Shi [2020] No. 9, Art. 3), with its proof; decided with reasons by whom the rule names."""

    __tablename__ = "pause_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    deadline_id: Mapped[int] = mapped_column(ForeignKey("deadlines.id"), index=True)
    count: Mapped[int] = mapped_column()  # the days asked for, in the rule's unit
    reason: Mapped[str] = mapped_column(String(2000))
    proof_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))  # the document showing the delay
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[PauseStatus] = mapped_column(
        Enum(
            PauseStatus,
            name="pause_status",
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=PauseStatus.PENDING,
    )
    granted_count: Mapped[int | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reasons: Mapped[str] = mapped_column(String(2000), default="")
