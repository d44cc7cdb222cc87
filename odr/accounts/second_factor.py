"""The second factor: a time-based one-time code (TOTP, RFC 6238, through pyotp) from an authenticator app, or
one of a few single-use recovery codes.

Optional for parties; required for mediators, courts and administrators, who read other people's cases: until
they have enrolled, a signed-in session of theirs reaches nothing but the enrolment page, and no API token is
issued to them. Enrolment shows the secret (as text and as an otpauth:// URI) and is on only once a code made
from it has been typed back. A code is accepted once (RFC 6238 §5.2): the time step it was made for is
remembered, and a code of that step or an earlier one is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
from sqlalchemy import or_, select, update
from werkzeug.security import check_password_hash

from odr.accounts.models import Account, RecoveryCode, Role, totp_seal_name
from odr.accounts.services import end_all_sessions
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.integrity.vault import SealedValue
from odr.models_base import utcnow

REQUIRED_ROLES = frozenset({Role.MEDIATOR, Role.COURT, Role.ADMIN})
ISSUER = "ODR"
STEP_SECONDS = 30
# A code of the step before or after the current one is still taken: phones' clocks drift, people type slowly.
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Wrong codes per account (the web's second step and API token requests count together). Only someone who
# knows the password gets this far; at most 30 guesses a day leave about 1 in 11,000 to hit one of the three
# codes accepted at a time.
WRONG_CODES_LIMIT = "5 per 15 minutes;30 per day"


def is_on(account: Account) -> bool:
    return account.totp_confirmed_at is not None


def is_required(account: Account) -> bool:
    return account.role in REQUIRED_ROLES


def must_enrol(account: Account) -> bool:
    """A mediator's, court's or administrator's account without a second factor yet: it may only enrol."""
    return is_required(account) and not is_on(account)


def begin_enrolment(account: Account) -> str:
    """A new secret for the account's authenticator, not yet on; an earlier unconfirmed one is replaced."""
    if is_on(account):
        raise ValidationFailed(_("Two-step sign-in is on already."), {})
    account.totp_secret = pyotp.random_base32()
    account.totp_last_step = None
    db.session.commit()
    return account.totp_secret


def provisioning_uri(account: Account) -> str | None:
    """The otpauth:// URI an authenticator app reads (as a QR code or pasted); None before enrolment starts."""
    if not account.totp_secret:
        return None
    return pyotp.TOTP(account.totp_secret).provisioning_uri(name=account.email, issuer_name=ISSUER)


def confirm_enrolment(account: Account, code, *, keep_session: str | None = None) -> list[str]:
    """Turn the second factor on with a code the authenticator made from the new secret; returns the recovery
    codes, shown this once (only their digests are kept). Every other session and token ends: they were opened
    with the password alone, which no longer suffices."""
    if is_on(account) or not account.totp_secret:
        raise ValidationFailed(_("Start setting up two-step sign-in first."), {})
    if not _take_totp(account, code):
        raise ValidationFailed(
            _("Please correct the marked fields."),
            {"code": _("This code is not right. Type the six digits your app shows now.")},
        )
    account.totp_confirmed_at = utcnow()
    codes = _new_recovery_codes(account)
    end_all_sessions(account, "second_factor_on", keep_session=keep_session)
    db.session.commit()
    return codes


def take_code(account: Account, code) -> bool:
    """Whether ``code`` is the account's current TOTP code (not used before) or an unused recovery code; a
    recovery code is spent by this check. Commits what it marks used."""
    if not is_on(account) or not isinstance(code, str):
        return False
    compact = "".join(code.split()).replace("-", "").lower()
    taken = _take_totp(account, compact) if compact.isdigit() else _spend_recovery_code(account, compact)
    db.session.commit()
    return taken


class WrongCode(ValidationFailed):
    """The code typed to turn the second factor off or to renew recovery codes was wrong (it counts towards the
    wrong-codes limit)."""


def _wrong_code() -> WrongCode:
    return WrongCode(
        _("Please correct the marked fields."),
        {"code": _("This code is not right. Type the six digits your app shows now, or a recovery code.")},
    )


def turn_off(account: Account, password, code, *, keep_session: str | None = None) -> None:
    """The holder turns two-step sign-in off with its password and a current code (or a recovery code); an
    account whose role needs it cannot. Every other session and token ends, as on a password change: whoever
    turns the protection off (perhaps with a stolen device) is the only one left signed in, and the holder's
    other devices ask for the password again."""
    if is_required(account):
        raise ValidationFailed(_("Your role needs two-step sign-in: it cannot be turned off."), {})
    if not is_on(account):
        raise ValidationFailed(_("Two-step sign-in is off already."), {})
    if not isinstance(password, str) or not check_password_hash(account.password_hash, password):
        raise ValidationFailed(
            _("Please correct the marked fields."), {"password": _("This is not your current password.")}
        )
    if not take_code(account, code):
        raise _wrong_code()
    reset(account)
    end_all_sessions(account, "second_factor_off", keep_session=keep_session)
    db.session.commit()


def renew_recovery_codes(account: Account, code) -> list[str]:
    """New recovery codes after a current code (or one of the old recovery codes); the old ones stop working.
    Returns the new ones, shown this once."""
    if not is_on(account):
        raise ValidationFailed(_("Start setting up two-step sign-in first."), {})
    if not take_code(account, code):
        raise _wrong_code()
    codes = _new_recovery_codes(account)
    db.session.commit()
    return codes


def recovery_codes_left(account: Account) -> int:
    return db.session.query(RecoveryCode).filter_by(account_id=account.id, used_at=None).count()


def _take_totp(account: Account, code) -> bool:
    """The code matches a step within the drift and that step is later than any taken before: mark it taken
    (a conditional update, so two requests with one code cannot both win)."""
    if not isinstance(code, str) or len(code) != 6 or not code.isdigit() or not account.totp_secret:
        return False
    totp = pyotp.TOTP(account.totp_secret)
    now = utcnow()
    current = _step(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            taken = db.session.execute(
                update(Account)
                .where(
                    Account.id == account.id,
                    or_(Account.totp_last_step.is_(None), Account.totp_last_step < step),
                )
                .values(totp_last_step=step)
                .execution_options(synchronize_session=False)
            )
            if not getattr(taken, "rowcount", 0):
                return False  # this code, or a later one, was accepted already
            account.totp_last_step = step
            db.session.flush()
            return True
    return False


def _step(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _new_recovery_codes(account: Account) -> list[str]:
    db.session.query(RecoveryCode).filter_by(account_id=account.id).delete()
    # Ten lower-case letters and digits in two groups of five: about 50 bits each, typed without confusion.
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _n in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(account_id=account.id, code_sha256=_digest(code)) for code in codes)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def _spend_recovery_code(account: Account, code: str) -> bool:
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_sha256 == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(spent, "rowcount", 0))


def reset(account: Account) -> None:
    """Forget the account's second factor and its recovery codes (the caller commits)."""
    account.totp_secret = account.totp_confirmed_at = account.totp_last_step = None
    db.session.query(RecoveryCode).filter_by(account_id=account.id).delete()


def sealed_secrets() -> list[SealedValue]:
    """Every account's sealed two-step sign-in secret, its row locked, for ``odr keys reencrypt``
    (odr.integrity.vault.reseal_all), which moves them with the platform's keys in one transaction."""
    accounts = db.session.scalars(
        select(Account).where(Account.totp_sealed.is_not(None)).order_by(Account.id).with_for_update()
    )
    return [SealedValue(totp_seal_name(account.id), account.totp_sealed, _store(account)) for account in accounts]


def _store(account: Account):
    def store(sealed: bytes) -> None:
        account.totp_sealed = sealed

    return store
