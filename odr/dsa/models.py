"""Rows of the DSA lane: the review of each notice, the statements of reasons, the internal complaints."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Account
from odr.cases.models import Case
from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


def _enum(cls, name):
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class ReviewStatus(str, enum.Enum):
    PENDING = "pending"  # waiting for a reviewer's decision
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"  # the notifier withdrew the notice before the decision


class NoticeOutcome(str, enum.Enum):
    RESTRICT = "restrict"  # the listings are taken down (DSA: removal of content)
    NO_ACTION = "no_action"


class DecisionGround(str, enum.Enum):
    ILLEGAL_CONTENT = "illegal_content"  # infringes an intellectual property right (the law)
    INCOMPATIBLE_CONTENT = "incompatible_content"  # breaks the platform's terms and conditions


class NoticeReview(db.Model):  # type: ignore[name-defined,misc]
    """A platform reviewer's reasoned decision on a notice (DSA Art. 16(5)-(6)); software may only pre-fill it."""

    __tablename__ = "dsa_notice_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus, "dsa_review_status"), index=True)
    # A notice from a trusted flagger (DSA Art. 22) is decided with priority: first in the queue.
    priority: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    trusted_flagger: Mapped[str | None] = mapped_column(String(300))  # the registry's reference, when one
    # What software suggested (never the decision): the completeness check and a pre-filled outcome.
    triage: Mapped[dict] = mapped_column(JSON, default=dict)
    outcome: Mapped[NoticeOutcome | None] = mapped_column(_enum(NoticeOutcome, "dsa_notice_outcome"))
    ground: Mapped[DecisionGround | None] = mapped_column(_enum(DecisionGround, "dsa_decision_ground"))
    legal_ground: Mapped[str] = mapped_column(String(500), default="")
    explanation: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    automated_detection: Mapped[bool] = mapped_column(Boolean, default=False)
    # Whether the reviewer took the pre-filled outcome as suggested (partly automated) or decided alone.
    used_suggestion: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    case: Mapped[Case] = relationship()
    decided_by: Mapped[Account | None] = relationship()


class StatementOfReasons(db.Model):  # type: ignore[name-defined,misc]
    """A statement of reasons (DSA Art. 17) as given to the seller, in language-neutral keys; updated when the
    restriction ends (a withdrawal, a complaint upheld), each version also on the case's event chain."""

    __tablename__ = "dsa_statements_of_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    puid: Mapped[str] = mapped_column(String(100), unique=True)  # the platform's unique identifier
    version: Mapped[int] = mapped_column(Integer, default=1)
    content: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()


class ComplaintStatus(str, enum.Enum):
    OPEN = "open"
    UPHELD = "upheld"  # the decision is reversed
    REJECTED = "rejected"  # the decision stands


class Complaint(db.Model):  # type: ignore[name-defined,misc]
    """An internal complaint (DSA Art. 20) by the seller or the notifier against the platform's decision."""

    __tablename__ = "dsa_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))  # claimant (the notifier) or respondent (the seller)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    against: Mapped[str] = mapped_column(String(64))  # the act that informed the complainant of the decision
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    informed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[ComplaintStatus] = mapped_column(_enum(ComplaintStatus, "dsa_complaint_status"), index=True)
    reasons: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    account: Mapped[Account] = relationship(foreign_keys=[account_id])
    decided_by: Mapped[Account | None] = relationship(foreign_keys=[decided_by_id])
