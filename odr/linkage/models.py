"""Accounts that platforms report, their keyed identifiers, and contests of wrong links.

``component_id`` is the persisted union-find: the id of one member account of the account's
connected component, kept up to date as links arrive (``services.do_link``) and recomputed for one
component when a link is withdrawn, so reading a component is one indexed query.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.accounts.models import Account, Party
from odr.cases.models import Case
from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.models_base import UTCDateTime, utcnow


class IdentifierKind(str, enum.Enum):
    BUSINESS_LICENCE = "business_licence"
    BANK_ACCOUNT = "bank_account"
    PAYMENT_ACCOUNT = "payment_account"
    ADDRESS = "address"
    PHONE = "phone"
    EMAIL = "email"
    SHOP_NAME = "shop_name"
    IMAGE_FINGERPRINT = "image_fingerprint"

    @property
    def label(self) -> str:
        return str(KIND_TITLES[self])


KIND_TITLES = {
    IdentifierKind.BUSINESS_LICENCE: _l("Business licence number"),
    IdentifierKind.BANK_ACCOUNT: _l("Bank account"),
    IdentifierKind.PAYMENT_ACCOUNT: _l("Payment account"),
    IdentifierKind.ADDRESS: _l("Address"),
    IdentifierKind.PHONE: _l("Phone number"),
    IdentifierKind.EMAIL: _l("E-mail address"),
    IdentifierKind.SHOP_NAME: _l("Shop name"),
    IdentifierKind.IMAGE_FINGERPRINT: _l("Image fingerprint"),
}


class AccountRole(str, enum.Enum):
    SELLER = "seller"
    NOTIFIER = "notifier"


class LinkedAccount(db.Model):  # type: ignore[name-defined,misc]
    """An account on a platform, as the platform client names it (its own reference)."""

    __tablename__ = "linkage_accounts"
    __table_args__ = (UniqueConstraint("platform_party_id", "ref", name="uq_linkage_accounts_platform_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    ref: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    # The party of this platform's disputes the account belongs to, when its e-mail address names one.
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    component_id: Mapped[int] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    platform: Mapped[Party] = relationship(foreign_keys=[platform_party_id])
    party: Mapped[Party | None] = relationship(foreign_keys=[party_id])
    identifiers: Mapped[list["AccountIdentifier"]] = relationship(
        back_populates="account", order_by="AccountIdentifier.id"
    )


class AccountIdentifier(db.Model):  # type: ignore[name-defined,misc]
    """One identifier of an account: HMAC-SHA256 of its kind and normalised value; the value is never stored."""

    __tablename__ = "linkage_identifiers"
    __table_args__ = (UniqueConstraint("account_id", "digest", name="uq_linkage_identifiers_account_digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("linkage_accounts.id"))
    kind: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64), index=True)
    # The same identifier keyed with the alliance's shared key, so member platforms can match it.
    alliance_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a contest showed the link wrong: the identifier no longer links this account.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[LinkedAccount] = relationship(back_populates="identifiers")

    @property
    def kind_title(self) -> str:
        return IdentifierKind(self.kind).label


class ContestStatus(str, enum.Enum):
    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"


class LinkContest(db.Model):  # type: ignore[name-defined,misc]
    """A party says that one of its identifiers links it wrongly to other accounts."""

    __tablename__ = "linkage_contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier_id: Mapped[int] = mapped_column(ForeignKey("linkage_identifiers.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=ContestStatus.OPEN.value, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    identifier: Mapped[AccountIdentifier] = relationship()
    case: Mapped[Case] = relationship()
    filed_by: Mapped[Account] = relationship(foreign_keys=[filed_by_id])
    decided_by: Mapped[Account | None] = relationship(foreign_keys=[decided_by_id])
