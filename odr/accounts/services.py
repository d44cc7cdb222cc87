"""Sign-up, sign-in and API tokens."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import Label, Select, bindparam, func, select, update
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from odr.accounts.models import SELF_SERVICE_ROLES, Account, ApiToken, Party, Role, SignInSession
from odr.accounts.signals import invitation_claimed
from odr.config import UI_LOCALES
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.validation import EMAIL_RE, check_country, check_language, check_time_zone, clean_text

# Password rules after NIST SP 800-63B 5.1.1: a minimum length, a generous maximum, every printable
# character and space allowed, no composition rules, and no password found in breach corpora.
MIN_PASSWORD = 10
MAX_PASSWORD = 128
BREACHED_PASSWORDS = Path(__file__).with_name("breached-passwords.txt")


@cache
def breached_passwords() -> frozenset[str]:
    """Passwords published in breach corpora (one a line, compared case-insensitively)."""
    lines = BREACHED_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip() and not line.startswith("#"))


def check_password(password, fields: dict, field: str = "password") -> None:
    """NIST SP 800-63B: long enough, not only spaces, not a known breached password; nothing else."""
    if not isinstance(password, str):
        password = ""
    password = unicodedata.normalize("NFKC", password)
    if len(password) < MIN_PASSWORD:
        fields[field] = _("Use at least %(n)s characters.", n=MIN_PASSWORD)
    elif len(password) > MAX_PASSWORD:
        fields[field] = _("Use at most %(n)s characters.", n=MAX_PASSWORD)
    elif not password.strip():
        fields[field] = _("A password cannot be only spaces.")
    elif password.casefold() in breached_passwords() or " ".join(password.split()).casefold() in breached_passwords():
        fields[field] = _("This password is on a list of passwords leaked in data breaches. Choose another one.")


_ACCOUNT_BY_EMAIL = select(Account).where(func.lower(Account.email) == bindparam("email"))  # every notice asks


def find_account_by_email(email: str) -> Account | None:
    return db.session.scalar(_ACCOUNT_BY_EMAIL, {"email": email.strip().lower()})


def sign_up(data: dict, *, role_allowed=SELF_SERVICE_ROLES, commit: bool = True) -> Account:
    """Create an account and the party it acts for. Raises ValidationFailed and writes nothing on bad input."""
    fields: dict[str, str] = {}
    email = clean_text(data.get("email"), fields, "email", max_length=254).lower()
    if email and not EMAIL_RE.match(email):
        fields["email"] = _("Enter a valid e-mail address.")
    password = data.get("password") or ""
    check_password(password, fields, "password")
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

    account = Account(
        email=email,
        password_hash=generate_password_hash(password),
        display_name=name,
        role=role,
        party=party or Party(name=organisation, country=country, preferred_language=language, time_zone=tz),
        locale=data.get("locale") or None,
        time_zone=tz,
        languages=language,
    )
    db.session.add(account)
    if party is not None:
        join_invited_party(account, party, how="sign_up")
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


def join_invited_party(account: Account, party: Party, *, how: str, at: datetime | None = None) -> None:
    """The one way an account becomes the seller a notice invited (at sign-up with the code, later with the
    code from the profile, or offered by its verified e-mail address): it acts for that party from now on, the
    invitation is spent, and each case of the party records it (``invitation_claimed``). The caller commits."""
    party.invitation_sha256 = None  # an invitation is claimed once
    party.time_zone = account.time_zone or party.time_zone
    account.party = party
    db.session.flush()
    invitation_claimed.publish(account, party=party, how=how, at=at or utcnow())


def authenticate(email: str, password: str) -> Account | None:
    account = find_account_by_email(email or "")
    if account is None or not account.active:
        # Spend the same effort either way so timing does not reveal which e-mails exist.
        check_password_hash(unknown_account_hash(), password or "")
        return None
    if not check_password_hash(account.password_hash, password or ""):
        return None
    return account


@cache
def unknown_account_hash() -> str:
    """The hash an unknown address's password is checked against. Made once when first needed (``odr serve``
    makes it before serving), not at import: a scrypt hash costs 0.1 s, which every `odr` command and every
    process importing this module would otherwise pay."""
    return generate_password_hash("not-a-real-password")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKEN_DAYS = 30  # how long a bearer token lasts unless its holder asks for less or more
MAX_TOKEN_DAYS = 365


def issue_token(account: Account, label: str = "", days: int = TOKEN_DAYS) -> str:
    """Create a bearer token that expires after ``days``; the clear value is returned once, never stored."""
    token = "odr_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(
            account_id=account.id,
            token_sha256=_digest(token),
            label=label[:100],
            expires_at=utcnow() + timedelta(days=days),
        )
    )
    db.session.commit()
    return token


def check_token_days(value) -> int:
    """A token lifetime in whole days (1 to 365); none asked: the default."""
    if value is None:
        return TOKEN_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_TOKEN_DAYS:
        raise ValidationFailed(
            _("A token lasts from 1 to %(most)s days.", most=MAX_TOKEN_DAYS),
            {"expires_in_days": _("A whole number of days from 1 to %(most)s.", most=MAX_TOKEN_DAYS)},
        )
    return value


# Built once with the token's account joined: every API request reads it (one statement, not two).
_ACCOUNT_FOR_TOKEN = (
    select(Account)
    .join(ApiToken, ApiToken.account_id == Account.id)
    .where(
        ApiToken.token_sha256 == bindparam("digest"),
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now"),
    )
)


def account_for_token(token: str) -> Account | None:
    account = db.session.scalar(_ACCOUNT_FOR_TOKEN, {"digest": _digest(token), "now": utcnow()})
    if account is None or not account.active:
        return None
    return account


def tokens_of(account: Account) -> list[ApiToken]:
    """The account's tokens that still work, newest first."""
    return list(db.session.scalars(tokens_query(account).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def tokens_query(account: Account) -> Select[ApiToken]:
    """The account's tokens that still work, unordered, for a page of them (``odr.pagination.keyset``)."""
    return select(ApiToken).where(
        ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow()
    )


def revoke_token_by_id(account: Account, token_id: int) -> None:
    """The holder ends one of its tokens (another account's token is as unknown as a missing one)."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.account_id != account.id or row.revoked_at is not None:
        raise NotFound(_("This token does not exist, or it has ended already."))
    row.revoked_at = utcnow()
    db.session.commit()


# -- sessions of signed-in browsers ---------------------------------------------------------------

SESSION_DAYS = 14  # a browser session unused for this long has ended
# How often a page view marks its session used: the 14 days are counted to the hour, and a reader's pages write
# at most once an hour (reads do not write, or as seldom as the rule allows).
SESSION_SEEN_EVERY = timedelta(hours=1)


def start_session(account: Account) -> str:
    """A new server-side session for a browser that just signed in; the cookie carries the returned value."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(SignInSession(account_id=account.id, token_sha256=_digest(token), created_at=now, last_seen_at=now))
    db.session.commit()
    return token


# Built once: every signed-in request reads it.
_SIGNED_IN = (
    select(Account, SignInSession.id, SignInSession.last_seen_at)
    .join(SignInSession, SignInSession.account_id == Account.id)
    # With its party: pages read the reader's time zone and language from it, never lazily while rendering.
    .options(joinedload(Account.party))
    .where(
        SignInSession.token_sha256 == bindparam("token_sha256"),
        SignInSession.account_id == bindparam("account_id"),
        SignInSession.revoked_at.is_(None),
    )
)


@cache
def _signed_in_with(columns: tuple[Label, ...]) -> Select:
    # One statement for each set of columns asked for (a process asks with one set): built once.
    return _SIGNED_IN.add_columns(*columns)


def signed_in_account(account_id: int, token: str | None) -> Account | None:
    """The active account ``account_id``, with its party, while the cookie's session of it still stands (marks the
    session used, at most once every ``SESSION_SEEN_EVERY``); None otherwise. One statement reads the session and
    the account."""
    found = signed_in(account_id, token)
    return found[0] if found else None


def signed_in(
    account_id: int, token: str | None, read_with: tuple[Label, ...] = ()
) -> tuple[Account, dict[str, object]] | None:
    """``signed_in_account``, and the values of ``read_with`` by name: labelled columns correlated to
    ``Account.id`` (what every page shows of its reader, such as the inbox's unread count), read in the same
    statement instead of one each."""
    if not token:
        return None
    statement = _signed_in_with(read_with) if read_with else _SIGNED_IN
    found = db.session.execute(statement, {"token_sha256": _digest(token), "account_id": account_id}).first()
    now = utcnow()
    if found is None or not found.Account.active or found.last_seen_at < now - timedelta(days=SESSION_DAYS):
        return None
    values = found._mapping
    read = {column.name: values[column.name] for column in read_with}
    if found.last_seen_at < now - SESSION_SEEN_EVERY:
        db.session.execute(update(SignInSession).where(SignInSession.id == found.id).values(last_seen_at=now))
        db.session.commit()
    return found.Account, read


def end_session(token: str | None, reason: str = "sign_out") -> None:
    if token:
        db.session.execute(
            update(SignInSession)
            .where(SignInSession.token_sha256 == _digest(token), SignInSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
        )
        db.session.commit()


def end_all_sessions(
    account: Account,
    reason: str,
    *,
    tokens: bool = True,
    keep_token: str | None = None,
    keep_session: str | None = None,
) -> int:
    """End every browser session of the account (except ``keep_session``, the cookie's value) and its API tokens
    (except ``keep_token``); the caller commits. Returns how many sessions and tokens ended."""
    now = utcnow()
    sessions = update(SignInSession).where(SignInSession.account_id == account.id, SignInSession.revoked_at.is_(None))
    if keep_session:
        sessions = sessions.where(SignInSession.token_sha256 != _digest(keep_session))
    ended = _count(db.session.execute(sessions.values(revoked_at=now, revoked_reason=reason)))
    if tokens:
        query = update(ApiToken).where(ApiToken.account_id == account.id, ApiToken.revoked_at.is_(None))
        if keep_token:
            query = query.where(ApiToken.token_sha256 != _digest(keep_token))
        ended += _count(db.session.execute(query.values(revoked_at=now)))
    return ended


def _count(result) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def change_password(account: Account, current: str, new: str, *, keep_token: str | None = None) -> None:
    """The holder changes its password: every other session and token of the account ends."""
    if not check_password_hash(account.password_hash, current or ""):
        raise ValidationFailed(
            _("Please correct the marked fields."), {"current_password": _("This is not your current password.")}
        )
    fields: dict[str, str] = {}
    check_password(new, fields, "new_password")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    account.password_hash = generate_password_hash(new)
    end_all_sessions(account, "password_changed", keep_token=keep_token)
    db.session.commit()


def sign_out_everywhere(admin: Account, account_id: int) -> int:
    """An administrator ends every session and token of an account (a lost laptop, a leaked token)."""
    if admin.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator can end another account's sessions."))
    account = db.session.get(Account, account_id)
    if account is None:
        raise NotFound(_("This account does not exist."))
    ended = end_all_sessions(account, "ended_by_admin")
    db.session.commit()
    return ended


def revoke_token(token: str) -> bool:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_sha256 == _digest(token)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    db.session.commit()
    return True
