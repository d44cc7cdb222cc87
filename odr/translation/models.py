"""Translations of filings, the flags readers raise on them, and the segment translation memory."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.models_base import UTCDateTime, utcnow


def _enum(cls, name):
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class TranslationStatus(str, enum.Enum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # the engine failed on every attempt
    UNAVAILABLE = "unavailable"  # no installed model for the pair (not even through English)


class TranslationOrigin(str, enum.Enum):
    MACHINE = "machine"
    HUMAN = "human"


STATUS_TITLES = {
    TranslationStatus.PENDING: _l("pending"),
    TranslationStatus.DONE: _l("done"),
    TranslationStatus.FAILED: _l("failed"),
    TranslationStatus.UNAVAILABLE: _l("no model installed"),
}
UNAVAILABLE_PREFIX = "no installed model for "  # then what to install: "es->de (or es->en + en->de)"

ORIGIN_TITLES = {TranslationOrigin.MACHINE: _l("machine translation"), TranslationOrigin.HUMAN: _l("human translation")}


class Translation(db.Model):
    """One filing in one reader's language, with where it came from. The original stays authoritative."""

    __tablename__ = "translations"
    __table_args__ = (UniqueConstraint("filing_id", "target_language", "origin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    source_language: Mapped[str] = mapped_column(String(8))
    target_language: Mapped[str] = mapped_column(String(8))
    origin: Mapped[TranslationOrigin] = mapped_column(
        _enum(TranslationOrigin, "translation_origin"), default=TranslationOrigin.MACHINE
    )
    status: Mapped[TranslationStatus] = mapped_column(_enum(TranslationStatus, "translation_status"), index=True)
    text: Mapped[str | None] = mapped_column(Text)
    # The filing's free-text terms in this language too (an offer's licence): {"licence": "..."}.
    terms: Mapped[dict | None] = mapped_column(JSON)
    # Which text was translated: a translation never silently belongs to a changed original.
    source_sha256: Mapped[str] = mapped_column(String(64))
    # Provenance: the engine and the exact model(s); the pivot language when one was used.
    engine: Mapped[str] = mapped_column(String(120), default="")
    model: Mapped[str] = mapped_column(String(300), default="")
    model_version: Mapped[str] = mapped_column(String(300), default="")
    pivot: Mapped[str | None] = mapped_column(String(8))
    glossary_version: Mapped[str] = mapped_column(String(32), default="")
    segments: Mapped[int] = mapped_column(Integer, default=0)
    # Sentences the model could not translate whole, left in the original inside the text: never cut short.
    incomplete: Mapped[bool] = mapped_column(Boolean, default=False)
    untranslated: Mapped[list | None] = mapped_column(JSON)
    memory_hits: Mapped[int] = mapped_column(Integer, default=0)
    # The job: attempts so far, when the next may start (back-off, or the lease of a running one).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    translator_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    filing = relationship("Filing")
    translator = relationship("Account")
    flags: Mapped[list["TranslationFlag"]] = relationship(back_populates="translation", order_by="TranslationFlag.id")

    @property
    def origin_title(self) -> str:
        return str(ORIGIN_TITLES[self.origin])

    @property
    def status_title(self) -> str:
        return str(STATUS_TITLES[self.status])

    @property
    def missing_pair(self) -> str | None:
        """The model an operator must install for an unavailable translation (direct, or the halves via English)."""
        if self.status != TranslationStatus.UNAVAILABLE:
            return None
        if (self.last_error or "").startswith(UNAVAILABLE_PREFIX):
            return self.last_error[len(UNAVAILABLE_PREFIX) :]
        return f"{self.source_language}->{self.target_language}"

    @property
    def open_flags(self) -> list["TranslationFlag"]:
        return [f for f in self.flags if f.resolved_at is None]


class TranslationFlag(db.Model):
    """A reader's report that a machine translation is wrong; resolved by a human translation."""

    __tablename__ = "translation_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    translation_id: Mapped[int] = mapped_column(ForeignKey("translations.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    case_role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    translation: Mapped[Translation] = relationship(back_populates="flags")
    account = relationship("Account")


class SegmentMemory(db.Model):
    """A sentence already translated by one exact model: never sent to the engine again."""

    __tablename__ = "translation_memory"
    __table_args__ = (UniqueConstraint("source_sha256", "source_language", "target_language", "model_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_language: Mapped[str] = mapped_column(String(8))
    target_language: Mapped[str] = mapped_column(String(8))
    model_version: Mapped[str] = mapped_column(String(200))
    source_text: Mapped[str] = mapped_column(Text)
    target_text: Mapped[str] = mapped_column(Text)
    hits: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
