"""Cases and what belongs to them: listings, filings, evidence, the event timeline."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, BigInteger, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Account, Party
from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.models_base import UTCDateTime, utcnow

if TYPE_CHECKING:
    from odr.evidence.storage import StoredFile


def _enum(cls, name):
    return Enum(cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class RightType(str, enum.Enum):
    TRADEMARK = "trademark"
    COPYRIGHT = "copyright"
    PATENT = "patent"
    DESIGN = "design"

    @property
    def label(self) -> str:
        return str(RIGHT_TYPE_TITLES[self])


RIGHT_TYPE_TITLES = {
    RightType.TRADEMARK: _l("Trademark"),
    RightType.COPYRIGHT: _l("Copyright"),
    RightType.PATENT: _l("Patent"),
    RightType.DESIGN: _l("Design"),
}


# What a notice or a listing says the goods are. The health-and-safety ones are named in
# rules/policy/health_safety.yaml (health_safety_categories): they put the case on the fast track.
PRODUCT_CATEGORIES = {
    "general": _l("Other goods"),
    "protective_equipment": _l("Protective equipment (masks, respirators, protective clothing)"),
    "medical_devices": _l("Medical devices (thermometers, oximeters, test kits)"),
    "thermal_imaging": _l("Thermal imaging and temperature screening"),
    "water_purification": _l("Water purification (filters, ultrafiltration)"),
    "disinfectants": _l("Disinfectants and antimicrobial products (including nano claims)"),
}


def product_category_title(code: str) -> str:
    return str(PRODUCT_CATEGORIES.get(code, code))


class FilingKind(str, enum.Enum):
    NOTICE = "notice"
    COUNTER_NOTICE = "counter_notice"
    RESPONSE = "response"
    MESSAGE = "message"
    OFFER = "offer"
    SETTLEMENT = "settlement"
    DECISION = "decision"
    # CN: the right holder's report that it complained to an authority or sued, or a report of its end
    # (E-Commerce Law Art. 43(2)); filed only with its document, through odr.cases.reports.
    REPORT = "report"

    @property
    def label(self) -> str:
        return str(FILING_KIND_TITLES[self])


FILING_KIND_TITLES = {
    FilingKind.NOTICE: _l("Notice"),
    FilingKind.COUNTER_NOTICE: _l("Counter-notice"),
    FilingKind.RESPONSE: _l("Response"),
    FilingKind.MESSAGE: _l("Message"),
    FilingKind.OFFER: _l("Offer"),
    FilingKind.SETTLEMENT: _l("Settlement proposal"),
    FilingKind.DECISION: _l("Decision"),
    FilingKind.REPORT: _l("Report of a complaint or lawsuit"),
}


def case_reference(year: int, case_id: int) -> str:
    """How people name a case ("ODR-2026-000042", the year it was filed, in UTC); for lists that read a case's
    columns, not the case."""
    return f"ODR-{year}-{case_id:06d}"


class Case(db.Model):
    __tablename__ = "cases"
    # A party's cases with an outcome, read at each new notice (odr/conduct's triage and good-faith lane) through
    # these instead of through the timelines of all its cases; a notifier's notices of a period counted from an
    # index alone.
    __table_args__ = (
        Index("ix_cases_claimant_created_at", "claimant_party_id", "created_at"),
        Index("ix_cases_claimant_beyond_notice", "claimant_party_id", "beyond_notice"),
        Index("ix_cases_respondent_beyond_notice", "respondent_party_id", "beyond_notice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    right_type: Mapped[RightType] = mapped_column(_enum(RightType, "right_type"))
    title: Mapped[str] = mapped_column(String(300))
    remedy_sought: Mapped[str] = mapped_column(Text, default="")
    product_category: Mapped[str] = mapped_column(String(32), default="general")
    state: Mapped[str] = mapped_column(String(64), index=True)
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    procedure_code: Mapped[str] = mapped_column(String(64))
    procedure_version: Mapped[str] = mapped_column(String(32))
    claimant_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    respondent_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The court the case was exported to: set only by the export, in the transaction that writes its bundle,
    # so it is also what lets that court (and no other) see the case.
    court_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Whether the timeline holds an act beyond the notice that may decide how the case came out: a change of state
    # after the opening, a decision, an evaluation's decision, a wrongful-notice claim. Set by the one function
    # that records events (``events.record``); a case without one only counts as filed in its parties' records.
    beyond_notice: Mapped[bool] = mapped_column(default=False, server_default=false())

    claimant: Mapped[Party] = relationship(foreign_keys=[claimant_party_id])
    respondent: Mapped[Party] = relationship(foreign_keys=[respondent_party_id])
    mediator: Mapped[Account | None] = relationship(foreign_keys=[mediator_id])
    court: Mapped[Party | None] = relationship(foreign_keys=[court_party_id])
    listings: Mapped[list["Listing"]] = relationship(
        back_populates="case", order_by="Listing.id", cascade="all, delete-orphan"
    )
    filings: Mapped[list["Filing"]] = relationship(back_populates="case", order_by="Filing.id")
    evidence: Mapped[list["EvidenceFile"]] = relationship(back_populates="case", order_by="EvidenceFile.id")
    events: Mapped[list["Event"]] = relationship(back_populates="case", order_by="Event.seq")

    @property
    def reference(self) -> str:
        return case_reference(self.created_at.year, self.id)

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.state}>"


class Listing(db.Model):
    """A marketplace listing the notice concerns (URL or platform ID)."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    locator: Mapped[str] = mapped_column(String(2000))
    # As the notice gives them: the listing's title on the marketplace and what the goods are.
    title: Mapped[str] = mapped_column(String(300), default="")
    product_category: Mapped[str] = mapped_column(String(32), default="general")
    case: Mapped[Case] = relationship(back_populates="listings")


class Filing(db.Model):
    """Anything a participant files: always kept in its original language and text."""

    __tablename__ = "filings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[FilingKind] = mapped_column(_enum(FilingKind, "filing_kind"))
    author_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    author_case_role: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    # How the language was settled: what the filer declared (None: left to detection), what detection
    # found in the text and how sure it was; ``language`` is the one the filing is treated as.
    language_declared: Mapped[str | None] = mapped_column(String(8))
    language_detected: Mapped[str | None] = mapped_column(String(8))
    language_confidence: Mapped[float | None] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    # Structured terms of an offer or settlement (amount, currency, listing measure, licence).
    terms: Mapped[dict | None] = mapped_column(JSON)
    # A caucus message: private between the mediator and this one party; nobody else sees it by any route.
    caucus_party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="filings")
    author: Mapped[Account] = relationship()
    acceptances: Mapped[list["SettlementAcceptance"]] = relationship(back_populates="filing")

    @property
    def is_caucus(self) -> bool:
        return self.caucus_party_id is not None


class SettlementAcceptance(db.Model):
    """A party's recorded acceptance of one exact settlement text."""

    __tablename__ = "settlement_acceptances"
    __table_args__ = (UniqueConstraint("filing_id", "party_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    text_sha256: Mapped[str] = mapped_column(String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A signed agreement's signature page: the full name typed, the capacity signed in and the place.
    signed_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    capacity: Mapped[str] = mapped_column(String(200), default="", server_default="")
    place: Mapped[str] = mapped_column(String(200), default="", server_default="")

    filing: Mapped[Filing] = relationship(back_populates="acceptances")


class EvidenceFile(db.Model):
    """An uploaded file, stored under a generated name; the uploaded name is kept only as data."""

    __tablename__ = "evidence_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    filing_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(127))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    uploaded_from: Mapped[str] = mapped_column(String(64), default="")
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="evidence")
    uploaded_by: Mapped[Account] = relationship()


class Event(db.Model):
    """The append-only timeline of a case; each event is chained to the one before by hash."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    actor_case_role: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="events")
    actor: Mapped[Account | None] = relationship()


class PendingUpload(db.Model):
    """A file uploaded with a form the service refused, kept for its account until the form is sent again (or
    the file is removed, or it expires): the same form then files it without attaching it a second time.

    Stored through the deployment's store under a generated name like evidence; only its uploader can use it,
    and only on the form it was uploaded with (``form``: ``notice`` or ``filing:<case id>``)."""

    __tablename__ = "pending_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    form: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(127))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    @classmethod
    def of(
        cls, kept: StoredFile, account_id: int, form: str, created_at: datetime, expires_at: datetime, **overrides
    ) -> PendingUpload:
        """The row of a file just stored for its account's ``form`` (``overrides``: a token, a media type)."""
        return cls(
            token=overrides.pop("token", None) or secrets.token_hex(16),
            account_id=account_id,
            form=form,
            stored_name=kept.stored_name,
            original_name=kept.original_name,
            sha256=kept.sha256,
            size=kept.size,
            media_type=overrides.pop("media_type", None) or kept.media_type,
            created_at=created_at,
            expires_at=expires_at,
            **overrides,
        )


class NoticeDraft(db.Model):  # type: ignore[name-defined,misc]
    """A notice being prepared step by step (odr/cases/drafts.py): what its owner typed so far, by form field,
    and the files kept for it (pending uploads of the draft's own forms, named by token in ``data``).

    Only its owner reads or changes it; it is deleted when its notice is filed, or by the periodic sweep once
    ``expires_at`` has passed (every save moves that date on)."""

    __tablename__ = "notice_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    step: Mapped[str] = mapped_column(String(16))  # the furthest step its input has passed to
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RightsProfile(db.Model):  # type: ignore[name-defined,misc]
    """What a right holder (or its representative) says of itself on every notice, written once under its
    account (odr/cases/profiles.py) and offered to fill in a guided notice's elements: its identity, its
    registrations, its contact details, the person who signs."""

    __tablename__ = "rights_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    identity: Mapped[str] = mapped_column(Text, default="")
    registrations: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(Text, default="")
    signatory: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The platform's check (odr/cases/verification.py): "" (nothing to check yet), waiting, verified or refused;
    # who decided, when and why it refused. A change of the identity, registrations or documents sets it back
    # to waiting (the verification covered what the administrator saw).
    review_status: Mapped[str] = mapped_column(String(16), default="", index=True)
    waiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refusal_reason: Mapped[str] = mapped_column(Text, default="")


class RightsDocument(db.Model):  # type: ignore[name-defined,misc]
    """A document of a rights profile (the registration certificate, the authorisation to act for the holder),
    stored like evidence under a generated name; a notice gets its own copy."""

    __tablename__ = "rights_documents"
    __table_args__ = (UniqueConstraint("account_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # right_certificate | authorisation
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(127))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReceiptStatus(str, enum.Enum):
    QUEUED = "queued"  # received and committed; its case is not opened yet
    FILED = "filed"  # its case is opened
    REFUSED = "refused"  # the checks of a notice refused it; nothing was opened
    FAILED = "failed"  # opening it failed unexpectedly at every attempt: given up, nothing was opened


class ReceivedNotice(db.Model):  # type: ignore[name-defined,misc]
    """A notice accepted with ``Prefer: respond-async`` (odr/cases/received.py): kept as sent, acknowledged once
    committed, and opened afterwards by the queue with the notice's own code, as of ``received_at`` (when the notice
    was received, legally). The receipt records the case it opened, or the refusal the filer would have read."""

    __tablename__ = "received_notices"
    __table_args__ = (Index("ix_received_notices_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[dict] = mapped_column(JSON)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    locale: Mapped[str] = mapped_column(String(16))  # the language the filer was answered in: its refusal's too
    status: Mapped[ReceiptStatus] = mapped_column(_enum(ReceiptStatus, "receipt_status"), default=ReceiptStatus.QUEUED)
    # A worker's hold on a queued receipt: no other worker takes it before then (a dead worker's runs out).
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")  # the times a worker claimed it
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    refusal: Mapped[dict | None] = mapped_column(JSON, nullable=True)  # {code, message, fields[, details]}
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    case: Mapped[Case | None] = relationship()
