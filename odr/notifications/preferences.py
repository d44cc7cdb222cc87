"""Notification preferences: how an account is told by e-mail of the acts served on it.

The inbox always has every act. By e-mail an account chooses every event, a daily digest (one e-mail
a day listing the day's acts, sent once the day has ended in its time zone) or deadlines only (the acts
whose receipt starts a period, and reminders), and may turn e-mail off. A delivery the procedure's data
marks legally required (``legally_required:`` in rules/) is e-mailed at once whatever the preferences.

Reminders (of a period running out, of a measure the platform has not confirmed) are not legally required:
the law requires the act to be served, and it was, with its own delivery; a reminder starts and stops no
clock. So the account's choice decides whether a reminder is e-mailed (e-mail off: the inbox only), never
the law. When it is e-mailed is another matter: a reminder is worth something only before its hour, and a
daily digest goes out after the local day ends, possibly after the period did; so a reminder is e-mailed at
once under every frequency (it is about a deadline, which "deadlines only" keeps).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from odr.accounts.models import Account
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.models_base import transaction_memo, utcnow
from odr.notifications.models import Frequency, NotificationPreference

FREQUENCY_TITLES = {
    Frequency.EVERY_EVENT: _l("An e-mail for every event"),
    Frequency.DAILY_DIGEST: _l("One e-mail a day with the day's events"),
    Frequency.DEADLINES_ONLY: _l("E-mail only about deadlines"),
}
NOW = "now"


def preferences_of(account: Account) -> NotificationPreference:
    """The account's preferences (not added to the session when it has none: every event, e-mail on).

    Read once per transaction and account: an act served on several addressees, and a sweep serving a hundred
    acts on the same parties, ask again and again, mostly about accounts that never chose (no row, which the
    session's identity map does not remember)."""
    known = _known(db.session)
    if account.id in known:
        found = known[account.id]
    else:
        found = known[account.id] = db.session.get(NotificationPreference, account.id)
    if found is None:
        return NotificationPreference(account_id=account.id, frequency=Frequency.EVERY_EVENT, email=True)
    return found


def read_preferences(accounts: list[Account]) -> None:
    """Read the preferences of these accounts that this transaction has not read yet, in one statement (an act
    served on several accounts asked for each on its own)."""
    known = _known(db.session)
    unread = {account.id for account in accounts} - known.keys()
    if not unread:
        return
    found = db.session.scalars(select(NotificationPreference).where(NotificationPreference.account_id.in_(unread)))
    known.update(dict.fromkeys(unread))
    known.update({row.account_id: row for row in found})


def _known(session) -> dict[int, NotificationPreference | None]:
    """The preferences this transaction has read (None: the account has none)."""
    return transaction_memo(session, "notification_preferences")


def check_preferences(frequency: object, email: object) -> tuple[Frequency, bool]:
    fields: dict[str, str] = {}
    try:
        chosen = Frequency(str(frequency))
    except ValueError:
        fields["frequency"] = _("Choose every event, a daily digest or deadlines only.")
        chosen = Frequency.EVERY_EVENT
    if email not in (True, False, "on", "1", "true", "0", "false", "off", None, ""):
        fields["email"] = _("E-mail is either on or off.")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    return chosen, email in (True, "on", "1", "true")


def save_preferences(account: Account, frequency: object, email: object) -> NotificationPreference:
    """Check, then write the account's preferences; the caller commits."""
    chosen, on = check_preferences(frequency, email)
    found = db.session.get(NotificationPreference, account.id)
    if found is None:
        found = NotificationPreference(account_id=account.id)
        db.session.add(found)
    found.frequency, found.email, found.updated_at = chosen, on, utcnow()
    _known(db.session)[account.id] = found
    return found


def preferences_json(found: NotificationPreference) -> dict[str, object]:
    return {
        "frequency": str(found.frequency or Frequency.EVERY_EVENT),
        "email": bool(found.email if found.email is not None else True),
        "legally_required_always_emailed": True,
    }


def emails_reminders(account: Account | None) -> bool:
    """Whether reminders go to this addressee by e-mail (at once) besides the inbox: unless the account
    turned e-mail off. A party without an account yet has no inbox: always by e-mail."""
    return account is None or preferences_of(account).email is not False


def email_timing(
    account: Account | None, at: datetime, *, legally_required: bool, about_deadline: bool
) -> str | date | None:
    """When a delivery goes out by e-mail: ``NOW``, the local day of the digest that carries it, or None
    (not by e-mail). A party without an account yet has no preferences: e-mailed at once."""
    if account is None or legally_required:
        return NOW
    found = preferences_of(account)
    if found.email is False:
        return None
    if found.frequency == Frequency.DAILY_DIGEST:
        return at.astimezone(ZoneInfo(account.effective_time_zone)).date()
    if found.frequency == Frequency.DEADLINES_ONLY and not about_deadline:
        return None
    return NOW
