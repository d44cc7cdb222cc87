"""Accounts (people and systems that sign in) and parties (the organisations they act for)."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, Enum, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.integrity import vault
from odr.models_base import UTCDateTime, utcnow


def totp_seal_name(account_id: int) -> str:
    """The name a two-step sign-in secret is sealed under: a sealed secret moved to another account's row
    does not open."""
    return f"totp-secret:{account_id}"


class Role(str, enum.Enum):
    RIGHT_HOLDER = "right_holder"
    SELLER = "seller"
    REPRESENTATIVE = "representative"
    MEDIATOR = "mediator"
    COURT = "court"
    PLATFORM_CLIENT = "platform_client"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return str(ROLE_TITLES[self])


ROLE_TITLES = {
    Role.RIGHT_HOLDER: _l("Right holder"),
    Role.SELLER: _l("Seller"),
    Role.REPRESENTATIVE: _l("Representative"),
    Role.MEDIATOR: _l("Mediator"),
    Role.COURT: _l("Court"),
    Role.PLATFORM_CLIENT: _l("Platform client"),
    Role.ADMIN: _l("Administrator"),
}

# Roles that act for a party to a dispute. A platform client files notices in bulk for right holders.
PARTY_ROLES = {Role.RIGHT_HOLDER, Role.SELLER, Role.REPRESENTATIVE, Role.PLATFORM_CLIENT}
# Roles a person may choose at sign-up; the others are granted by an administrator.
SELF_SERVICE_ROLES = {Role.RIGHT_HOLDER, Role.SELLER, Role.REPRESENTATIVE}


def role_enum():
    return Enum(Role, name="role", native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Party(db.Model):
    """An organisation or person that is a party to disputes, or a court."""

    __tablename__ = "parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    preferred_language: Mapped[str] = mapped_column(String(8))
    time_zone: Mapped[str] = mapped_column(String(64))
    # A party named in a notice before it has an account: where its invitation went, and the
    # digest of the invitation code that lets the first account claim it.
    contact_email: Mapped[str | None] = mapped_column(String(254), index=True)
    invitation_sha256: Mapped[str | None] = mapped_column(String(64))
    # Jurisdiction codes (comma separated) whose escalated cases this court party receives.
    receives_escalations_for: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    accounts: Mapped[list["Account"]] = relationship(back_populates="party")

    def __repr__(self) -> str:
        return f"<Party {self.id} {self.name!r}>"


class Account(UserMixin, db.Model):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(role_enum())
    party_id: Mapped[int | None] = mapped_column(ForeignKey("parties.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(16))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    # Languages a mediator reads, comma separated ISO 639-1 codes; used for assignment.
    languages: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the holder opened the one-time link sent to ``email`` (none: not verified yet).
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The second factor (odr/accounts/second_factor.py): the TOTP secret (base32) from the start of enrolment,
    # on once a code confirmed it; the last time step a code was accepted for (a code is never taken twice).
    # The secret is kept sealed (AES-256-GCM under a key derived from ODR_SECRET_KEY, as the platform's keys in
    # odr/integrity/vault.py, bound to the account's id); ``totp_secret`` reads and writes it in clear.
    totp_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    party: Mapped[Party | None] = relationship(back_populates="accounts")

    @property
    def totp_secret(self) -> str | None:
        if self.totp_sealed is None:
            return None
        return vault.unseal(totp_seal_name(self.id), self.totp_sealed).decode("ascii")

    @totp_secret.setter
    def totp_secret(self, secret: str | None) -> None:
        if secret is None:
            self.totp_sealed = None
            return
        if self.id is None:
            raise RuntimeError("an account gets a two-step sign-in secret only once it is stored")
        self.totp_sealed = vault.seal(totp_seal_name(self.id), secret.encode("ascii"))

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def reading_languages(self) -> list[str]:
        langs = [code for code in self.languages.split(",") if code]
        if self.party and self.party.preferred_language not in langs:
            langs.insert(0, self.party.preferred_language)
        return langs

    @property
    def effective_time_zone(self) -> str:
        return self.time_zone or (self.party.time_zone if self.party else "UTC")

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.email} {self.role.value}>"


class ApiToken(db.Model):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every token ends: at its expiry, or when revoked (by its holder, a password change or an admin).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class SignInSession(db.Model):  # type: ignore[name-defined]
    """A signed-in browser: the cookie names it (only its SHA-256 is stored); it ends at sign-out, on a
    password change, when an admin ends it, or after ``SESSION_DAYS`` without use."""

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class LinkPurpose(str, enum.Enum):
    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"


class OneTimeLink(db.Model):  # type: ignore[name-defined]
    """A link e-mailed to an account's address (to verify it, or to set a new password): it works once,
    until ``expires_at``, and only for the address it was sent to; only the SHA-256 of its secret is stored."""

    __tablename__ = "one_time_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[LinkPurpose] = mapped_column(
        Enum(
            LinkPurpose,
            name="link_purpose",
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class RecoveryCode(db.Model):  # type: ignore[name-defined]
    """A single-use code that stands in for the second factor when the authenticator is lost; only its SHA-256
    is stored."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    code_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
