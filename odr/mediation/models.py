"""The mediator's desk and the settlement ladder: appointments, blind bidding, neutral evaluation, measures."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Account
from odr.cases.models import Case
from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow


def _enum(cls, name):
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class MediatorAffiliation(db.Model):
    """An organisation a mediator declares a tie to (employer, client, shareholding): a conflict source."""

    __tablename__ = "mediator_affiliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(200))
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppointmentStatus(str, enum.Enum):
    PENDING = "pending"  # assigned; the mediator sees only a summary until accepting
    ACCEPTED = "accepted"  # independence declared; the mediator is on the case
    DECLINED = "declined"
    ENDED = "ended"  # replaced by another mediator


class MediatorAppointment(db.Model):
    __tablename__ = "mediator_appointments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    # None when the platform chose the mediator by its rules.
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.PENDING
    )
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the exact declaration text the mediator affirmed, and anything disclosed with it.
    declaration_sha256: Mapped[str | None] = mapped_column(String(64))
    disclosures: Mapped[str] = mapped_column(Text, default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship()
    mediator: Mapped[Account] = relationship(foreign_keys=[mediator_id])


class BiddingStatus(str, enum.Enum):
    OPEN = "open"
    SETTLED = "settled"
    FAILED = "failed"


class BlindBidding(db.Model):
    """Double-blind bidding on the money term: bids live only in ``blind_bids``, never in events or exports."""

    __tablename__ = "blind_biddings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    max_rounds: Mapped[int] = mapped_column(Integer)
    gap_percent: Mapped[int] = mapped_column(Integer)
    status: Mapped[BiddingStatus] = mapped_column(_enum(BiddingStatus, "bidding_status"), default=BiddingStatus.OPEN)
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # After this instant no bid is accepted and the sweep ends the bidding without settlement.
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_round: Mapped[int | None] = mapped_column(Integer)
    settled_amount: Mapped[str | None] = mapped_column(String(32))
    settlement_filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    # What happens to the listings if the bidding settles (keep | remove | modify | geo_restrict): agreed up front.
    listing_measure: Mapped[str | None] = mapped_column(String(16))
    # With geo_restrict: the country codes where the listings may not be bought.
    listing_regions: Mapped[list | None] = mapped_column(JSON)

    bids: Mapped[list["BlindBid"]] = relationship(back_populates="bidding", order_by="BlindBid.round")


class BlindBid(db.Model):
    __tablename__ = "blind_bids"
    __table_args__ = (UniqueConstraint("bidding_id", "side", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bidding_id: Mapped[int] = mapped_column(ForeignKey("blind_biddings.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))  # claimant (demand) or respondent (offer)
    round: Mapped[int] = mapped_column(Integer)
    amount: Mapped[str] = mapped_column(String(32))  # exact decimal text; SQLite has no decimal type
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    bidding: Mapped[BlindBidding] = relationship(back_populates="bids")


class EvaluationStatus(str, enum.Enum):
    OPEN = "open"
    DECIDED = "decided"


class NeutralEvaluation(db.Model):
    """APEX-like evaluation: one claim, capped listings, word-limited submissions, a reasoned decision."""

    __tablename__ = "neutral_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    neutral_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    claim: Mapped[str] = mapped_column(Text)
    listing_ids: Mapped[list] = mapped_column(JSON, default=list)
    word_limit: Mapped[int] = mapped_column(Integer)
    submissions_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deposit_amount: Mapped[str] = mapped_column(String(32))
    deposit_currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[EvaluationStatus] = mapped_column(
        _enum(EvaluationStatus, "evaluation_status"), default=EvaluationStatus.OPEN
    )
    prevailing_side: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[str] = mapped_column(Text, default="")
    reasons_language: Mapped[str | None] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()
    neutral: Mapped[Account] = relationship()
    submissions: Mapped[list["EvaluationSubmission"]] = relationship(order_by="EvaluationSubmission.id")
    deposits: Mapped[list["EvaluationDeposit"]] = relationship(order_by="EvaluationDeposit.id")


class EvaluationSubmission(db.Model):
    __tablename__ = "evaluation_submissions"
    __table_args__ = (UniqueConstraint("evaluation_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("neutral_evaluations.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    words: Mapped[int] = mapped_column(Integer)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DepositStatus(str, enum.Enum):
    HELD = "held"
    REFUNDED = "refunded"  # the prevailing side gets its deposit back
    FORFEITED = "forfeited"  # the losing side's deposit pays the neutral (loser pays)


class EvaluationDeposit(db.Model):
    __tablename__ = "evaluation_deposits"
    __table_args__ = (UniqueConstraint("evaluation_id", "side"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("neutral_evaluations.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))
    amount: Mapped[str] = mapped_column(String(32))  # exact decimal text; SQLite has no decimal type
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[DepositStatus] = mapped_column(_enum(DepositStatus, "deposit_status"), default=DepositStatus.HELD)


class MeasureKind(str, enum.Enum):
    RESTORE = "restore"
    TAKE_DOWN = "take_down"
    REMOVE_ELEMENT = "remove_element"  # e.g. a video's background music
    MODIFY = "modify"
    NOT_PURCHASABLE_IN = "not_purchasable_in"  # visible, but not purchasable in the listed regions
    RESTORE_AGAINST_SECURITY = "restore_against_security"
    # Account-level measures under the conduct policy (odr/conduct): the whole seller account, not a listing.
    SUSPEND_ACCOUNT = "suspend_account"
    TERMINATE_ACCOUNT = "terminate_account"
    REINSTATE_ACCOUNT = "reinstate_account"


class MeasureStatus(str, enum.Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


class Measure(db.Model):
    """What the platform must do to one listing, why, and whether it confirmed.

    Measures come from an agreed settlement, from the procedure itself (a takedown on a valid
    notice, a restore after a counter-notice) or from a court's decision.
    """

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # The filing that ordered it (settlement or court decision); none when a procedural step did.
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"))
    # Why: "settlement", "court_decision", or the procedure rule that requires it.
    ground: Mapped[str] = mapped_column(String(300), default="settlement")
    listing: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[MeasureKind] = mapped_column(_enum(MeasureKind, "measure_kind"))
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # element, regions, security, instructions
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirm_by: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[MeasureStatus] = mapped_column(_enum(MeasureStatus, "measure_status"), default=MeasureStatus.PENDING)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    platform_reference: Mapped[str] = mapped_column(String(200), default="")

    case: Mapped[Case] = relationship()


class MeasureReminder(db.Model):  # type: ignore[name-defined,misc]
    """One reminder that the platform has not confirmed a measure, claimed once per (measure, hours after it
    was ordered): the unique key makes a second sweeper's insert fail, so each is served once."""

    __tablename__ = "measure_reminders"
    __table_args__ = (UniqueConstraint("measure_id", "hours_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    hours_after: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
