"""One-time links sent to an account's e-mail address: to verify the address, and to set a new password.

A link works once, until it expires, and only while the account still uses the address it was sent to; only
the SHA-256 of its secret is stored. Issuing a new link of a kind ends the earlier ones of that kind, so only
the newest works. The e-mail goes through the outbox (``link_issued``, in the account's language).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from odr.accounts.models import Account, LinkPurpose, OneTimeLink
from odr.accounts.services import check_password, end_all_sessions, find_account_by_email
from odr.accounts.signals import link_issued
from odr.domain_events import commit
from odr.errors import NotAllowed, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.validation import EMAIL_RE

# How long each kind of link works: long enough to find the e-mail, short enough that a link read later in a
# mailbox someone else opened is dead (a reset link most of all).
LIFETIME = {LinkPurpose.VERIFY_EMAIL: timedelta(hours=48), LinkPurpose.RESET_PASSWORD: timedelta(hours=1)}
ENDPOINT = {LinkPurpose.VERIFY_EMAIL: "accounts.verify_email", LinkPurpose.RESET_PASSWORD: "accounts.reset_password"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(purpose: LinkPurpose, token: str) -> str:
    """The link as the e-mail gives it: under ODR_PUBLIC_URL when set (never a Host header an attacker chose)."""
    public = current_app.config["ODR"].get("PUBLIC_URL")
    if public:
        return str(public).rstrip("/") + url_for(ENDPOINT[purpose], token=token)
    return url_for(ENDPOINT[purpose], token=token, _external=True)


def issue_link(account: Account, purpose: LinkPurpose, *, at: datetime | None = None) -> str:
    """A new one-time link for the account (the earlier unused ones of this kind end); the caller commits."""
    at = at or utcnow()
    db.session.flush()
    db.session.execute(
        update(OneTimeLink)
        .where(OneTimeLink.account_id == account.id, OneTimeLink.purpose == purpose, OneTimeLink.used_at.is_(None))
        .values(used_at=at)
    )
    token = secrets.token_urlsafe(32)
    expires_at = at + LIFETIME[purpose]
    db.session.add(
        OneTimeLink(
            account_id=account.id,
            purpose=purpose,
            token_sha256=_digest(token),
            email=account.email,
            created_at=at,
            expires_at=expires_at,
        )
    )
    link_issued.publish(
        account,
        purpose=purpose,
        email=account.email,
        url=link_url(purpose, token),
        expires_at=expires_at,
        hours=int(LIFETIME[purpose].total_seconds() // 3600),
        locale=account.locale or next(iter(account.reading_languages), "en"),
    )
    return token


def live_link(token, purpose: LinkPurpose, at: datetime | None = None) -> OneTimeLink | None:
    """The link if it still works at ``at``: issued, unused, not expired, and its account still uses the address
    it was sent to. Reads only (a page may show whether a link works without spending it)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    at = at or utcnow()
    row = db.session.scalar(
        select(OneTimeLink).where(OneTimeLink.token_sha256 == _digest(token), OneTimeLink.purpose == purpose)
    )
    if row is None or row.used_at is not None or at >= row.expires_at:
        return None
    if not row.account.active or row.account.email.lower() != row.email.lower():
        return None
    return row


def _spend(token, purpose: LinkPurpose, at: datetime) -> OneTimeLink:
    """Use the link once: two requests with the same link never both succeed (a conditional update)."""
    row = live_link(token, purpose, at)
    if row is not None:
        spent = db.session.execute(
            update(OneTimeLink).where(OneTimeLink.id == row.id, OneTimeLink.used_at.is_(None)).values(used_at=at)
        )
        if getattr(spent, "rowcount", 0) == 1:
            return row
        db.session.rollback()
    raise ValidationFailed(dead_link_message(), code="link_not_valid")


def dead_link_message() -> str:
    return _(
        "This link does not work: it was used already, it has expired, or it is not one we sent. Ask for a new one."
    )


# -- e-mail verification ---------------------------------------------------------------------------


def send_verification(account: Account, *, at: datetime | None = None) -> None:
    """E-mail a link that verifies the account's address; the caller commits."""
    if account.email_verified_at is not None:
        raise NotAllowed(_("Your e-mail address is confirmed already."), code="verified_already")
    issue_link(account, LinkPurpose.VERIFY_EMAIL, at=at)


def verify_email(token, *, at: datetime | None = None) -> Account:
    """The holder opened the link sent to its address: the address is verified (once)."""
    at = at or utcnow()
    row = _spend(token, LinkPurpose.VERIFY_EMAIL, at)
    account = row.account
    if account.email_verified_at is None:
        account.email_verified_at = at
    commit()
    return account


# -- password reset --------------------------------------------------------------------------------


def request_password_reset(email, *, at: datetime | None = None) -> None:
    """E-mail a reset link if an active account uses this address. The caller answers the same either way, so
    nobody learns from it which addresses have accounts."""
    fields: dict[str, str] = {}
    address = email.strip().lower() if isinstance(email, str) else ""
    if not address or len(address) > 254 or not EMAIL_RE.match(address):
        fields["email"] = _("Enter a valid e-mail address.")
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    account = find_account_by_email(address)
    if account is not None and account.active:
        issue_link(account, LinkPurpose.RESET_PASSWORD, at=at)
        commit()


def reset_password(token, new_password, *, at: datetime | None = None) -> Account:
    """Set a new password with a reset link: the rules of every password apply, the link is spent, and every
    session and API token of the account ends (whoever knew the old password is signed out)."""
    at = at or utcnow()
    fields: dict[str, str] = {}
    check_password(new_password, fields, "new_password")
    if live_link(token, LinkPurpose.RESET_PASSWORD, at) is None:
        raise ValidationFailed(dead_link_message(), code="link_not_valid")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    row = _spend(token, LinkPurpose.RESET_PASSWORD, at)
    account = row.account
    account.password_hash = generate_password_hash(new_password)
    # The link reached the address, so the address works: it counts as verified.
    if account.email_verified_at is None:
        account.email_verified_at = at
    end_all_sessions(account, "password_reset")
    commit()
    return account
