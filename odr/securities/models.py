"""A seller's offer of a security, the decision on it, and what became of it with the case's outcome."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Party
from odr.cases.models import Case, EvidenceFile
from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.models_base import UTCDateTime, utcnow


class SecurityStatus(enum.StrEnum):
    OFFERED = "offered"  # awaiting the decision of the mediator or a reviewer
    ACCEPTED = "accepted"  # the listings are restored while the case runs
    REFUSED = "refused"  # the measure stands; the seller may offer again
    FORFEITED = "forfeited"  # the notice was upheld: the security goes to the right holder
    RETURNED = "returned"  # the notice failed or was withdrawn: the security goes back to the seller
    LAPSED = "lapsed"  # the case ended, or the measure was lifted, before anyone decided the offer

    @property
    def label(self) -> str:
        return str(STATUS_TITLES[self])


STATUS_TITLES = {
    SecurityStatus.OFFERED: _l("Offered, awaiting a decision"),
    SecurityStatus.ACCEPTED: _l("Accepted: the listings are restored while the case runs"),
    SecurityStatus.REFUSED: _l("Refused"),
    SecurityStatus.FORFEITED: _l("Forfeited to the right holder"),
    SecurityStatus.RETURNED: _l("Returned to the seller"),
    SecurityStatus.LAPSED: _l("Lapsed without a decision"),
}
DOCUMENT_TITLES = {
    "bank_guarantee": _l("Bank guarantee"),
    "insurance_guarantee": _l("Insurance guarantee"),
    "deposit_receipt": _l("Receipt for a cash deposit"),
}


class SellerSecurity(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "seller_securities"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    seller_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"), index=True)
    right_holder_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    offered_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount: Mapped[str] = mapped_column(String(24))  # decimal as text, as the currency writes it
    currency: Mapped[str] = mapped_column(String(3))
    document_kind: Mapped[str] = mapped_column(String(32))
    # The guarantee document, kept as the case's evidence (the court bundle carries it).
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence_files.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(8))
    # The rule the offer was made under: policy version and citation, as they read that day.
    rule: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=SecurityStatus.OFFERED.value, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decider_role: Mapped[str] = mapped_column(String(16), default="")
    reasons: Mapped[str] = mapped_column(Text, default="")
    reasons_language: Mapped[str] = mapped_column(String(8), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What the outcome did with an accepted security, and which outcome it was.
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    release_ground: Mapped[str] = mapped_column(String(64), default="")
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    seller: Mapped[Party] = relationship(foreign_keys=[seller_party_id])
    right_holder: Mapped[Party] = relationship(foreign_keys=[right_holder_party_id])
    document: Mapped[EvidenceFile] = relationship()

    @property
    def status_label(self) -> str:
        return SecurityStatus(self.status).label

    @property
    def document_title(self) -> str:
        return str(DOCUMENT_TITLES.get(self.document_kind, self.document_kind))
