"""Sign-up, sign-in and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from odr.accounts.models import SELF_SERVICE_ROLES, Account, ApiToken, Party, Role
from odr.config import UI_LOCALES
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.models_base import utcnow
from odr.validation import EMAIL_RE, check_country, check_language, check_time_zone, clean_text

MIN_PASSWORD = 10


def find_account_by_email(email: str) -> Account | None:
    return db.session.scalar(select(Account).where(func.lower(Account.email) == email.strip().lower()))


def sign_up(data: dict, *, role_allowed=SELF_SERVICE_ROLES, commit: bool = True) -> Account:
    """Create an account and the party it acts for. Raises ValidationFailed and writes nothing on bad input."""
    fields: dict[str, str] = {}
    email = clean_text(data.get("email"), fields, "email", max_length=254).lower()
    if email and not EMAIL_RE.match(email):
        fields["email"] = _("Enter a valid e-mail address.")
    password = data.get("password") or ""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        fields["password"] = _("Use at least %(n)s characters.", n=MIN_PASSWORD)
    name = clean_text(data.get("display_name"), fields, "display_name", max_length=200)
    organisation = clean_text(data.get("organisation"), fields, "organisation", max_length=200)
    try:
        role = Role(data.get("role"))
        if role not in role_allowed:
            raise ValueError
    except ValueError:
        role = None
        fields["role"] = _("Choose one of the offered roles.")
    country = check_country(data.get("country"), fields)
    language = check_language(data.get("language"), fields)
    tz = check_time_zone(data.get("time_zone") or "UTC", fields)
    if "email" not in fields and find_account_by_email(email):
        fields["email"] = _("An account with this e-mail address exists already.")
    party = _invited_party(email, data.get("invitation_code"), fields)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)

    if party is None:
        party = Party(name=organisation, country=country, preferred_language=language, time_zone=tz)
    else:
        party.invitation_sha256 = None  # an invitation is claimed once
        party.time_zone = tz
    account = Account(
        email=email,
        password_hash=generate_password_hash(password),
        display_name=name,
        role=role,
        party=party,
        locale=data.get("locale") or None,
        time_zone=tz,
        languages=language,
    )
    db.session.add_all([party, account])
    if commit:
        db.session.commit()
    return account


def save_preferences(account: Account, locale, time_zone) -> Account:
    """The language and time zone of the pages an account reads. Raises ValidationFailed and writes nothing."""
    fields: dict[str, str] = {}
    zone = check_time_zone(time_zone, fields)
    if locale not in UI_LOCALES:
        fields["locale"] = _("Choose one of the offered languages.")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    account.locale, account.time_zone = locale, zone
    db.session.commit()
    return account


def _invited_party(email: str, code, fields: dict) -> Party | None:
    """The party a notice named with this e-mail, if the invitation code sent there is given."""
    if not code:
        return None
    party = db.session.scalar(select(Party).where(Party.contact_email == email, Party.invitation_sha256.is_not(None)))
    if (
        party is None
        or not isinstance(code, str)
        or not secrets.compare_digest(party.invitation_sha256, _digest(code.strip()))
    ):
        fields["invitation_code"] = _("This invitation code is not valid for this e-mail address.")
        return None
    return party


def authenticate(email: str, password: str) -> Account | None:
    account = find_account_by_email(email or "")
    if account is None or not account.active:
        # Spend the same effort either way so timing does not reveal which e-mails exist.
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(account.password_hash, password or ""):
        return None
    return account


_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(account: Account, label: str = "") -> str:
    """Create a bearer token; the clear value is returned once and never stored."""
    token = "odr_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(account_id=account.id, token_sha256=_digest(token), label=label[:100]))
    db.session.commit()
    return token


def account_for_token(token: str) -> Account | None:
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_sha256 == _digest(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.account.active:
        return None
    return row.account


def revoke_token(token: str) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    db.session.commit()
    return True
