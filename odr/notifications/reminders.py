"""Reminders before a period runs out: each role that must act before it does (a timer's ``remind`` in
``rules/``) is reminded ``reminder_hours`` before (by default 72 and 24 hours), in each addressee's language
and time zone, through the inbox and by e-mail.

An account that turned e-mail off has its reminders in the inbox only; under every other choice they are
e-mailed at once (notifications.preferences explains why, and why a legally required notice differs).

Reminders are rows swept idempotently: the sweep claims a reminder by inserting its (deadline, role, hours)
row, which the unique key lets only one sweeper do; the deliveries are written in the same transaction.
A reminder whose hour came before the period existed is not sent; when a sweep finds several hours passed,
only the nearest is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from odr.cases.models import Case
from odr.extensions import db
from odr.i18n import render_in_locale, ui_locale_for
from odr.models_base import utcnow
from odr.notifications import preferences
from odr.notifications.deliveries import Addressee, addressees, deliver_written
from odr.notifications.models import Reminder
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import procedure_of
from odr.queue import periodic_job
from odr.vocabulary import EventKind

ACT = "deadline_reminder"


def due_reminders(deadline: Deadline, now: datetime) -> list[tuple[str, int]]:
    """The (role, hours before) reminders of ``deadline`` due at ``now``: the nearest passed hour only, never one
    whose hour came before the period was set, never once it has run out."""
    if deadline.status != DeadlineStatus.PENDING or now >= deadline.due_at:
        return []
    procedure = procedure_of(db.session.get_one(Case, deadline.case_id))
    timer = procedure.timer(deadline.timer)
    if timer is None or not timer.remind:
        return []
    passed = [
        hours
        for hours in procedure.reminder_hours
        if deadline.due_at - timedelta(hours=hours) <= now
        and deadline.created_at <= deadline.due_at - timedelta(hours=hours)
    ]
    if not passed:
        return []
    return [(role, min(passed)) for role in sorted(timer.remind)]


def _claim(deadline: Deadline, role: str, hours: int, now: datetime) -> bool:
    """Insert the reminder's row; False when another sweep already did (the unique key refuses it)."""
    try:
        with db.session.begin_nested():
            db.session.add(Reminder(deadline_id=deadline.id, role=role, hours_before=hours, sent_at=now))
    except IntegrityError:
        return False
    return True


def text_for(deadline: Deadline, addressee: Addressee, hours: int) -> tuple[str, str]:
    """The reminder as the addressee reads it: the period, its end in their time zone and language, and what
    happens if nobody acts; (subject, body)."""
    from odr.procedure.titles import state_label, timer_label

    case = db.session.get_one(Case, deadline.case_id)
    zone = ZoneInfo(addressee.time_zone)
    locale = ui_locale_for(addressee.language) or "en"
    due = format_datetime(deadline.due_at.astimezone(zone), "full", tzinfo=zone, locale=locale)
    with force_locale(locale):  # the labels are the addressee's words, not the sweep's
        period, consequence = timer_label(deadline.timer), state_label(deadline.consequence)
    body = render_in_locale(
        addressee.language,
        "notifications/reminder_text.txt",
        reference=case.reference,
        period=period,
        consequence=consequence,
        due=due,
        hours=hours,
    )
    subject, _blank, text = body.strip().partition("\n")
    return subject.strip(), text.strip() + "\n"


def remind(deadline: Deadline, role: str, hours: int, now: datetime) -> list[dict]:
    """Serve the reminder on every addressee of ``role`` (inbox, and e-mail unless the account turned it off)."""
    case = db.session.get_one(Case, deadline.case_id)
    rows = []
    for addressee in addressees(case, frozenset({role})):
        subject, text = text_for(deadline, addressee, hours)
        data = {
            "deadline_id": deadline.id,
            "timer": deadline.timer,
            "due_at": deadline.due_at.isoformat(),
            "hours_before": hours,
        }
        rows += serve_reminder(case, addressee, ACT, EventKind.DEADLINE_REMINDER, subject, text, data, now)
    return rows


def serve_reminder(
    case: Case,
    addressee: Addressee,
    act: str,
    event_kind: EventKind,
    subject: str,
    text: str,
    data: dict,
    now: datetime,
) -> list[dict]:
    """One reminder to one addressee, in the words already rendered in their language: in the inbox, and by
    e-mail at once unless the account turned e-mail off (a reminder is not a notice the law requires)."""
    data = dict(data, case_id=case.id, reference=case.reference, subject=subject, text=text)
    by_email = preferences.emails_reminders(addressee.account)
    return deliver_written(case, addressee, act, event_kind, data, now, mail="reminder", by_email=by_email)


@periodic_job("deadline_reminders", "Remind the roles that must act before each period runs out.")
def send_reminders(now: datetime | None = None) -> int:
    """Claim and serve every reminder due now; each in its own transaction, committed before the next."""
    now = now or utcnow()
    horizon = now + timedelta(hours=max(_all_hours()))
    ids = db.session.scalars(
        select(Deadline.id)
        .where(Deadline.status == DeadlineStatus.PENDING, Deadline.due_at > now, Deadline.due_at <= horizon)
        .order_by(Deadline.due_at)
    ).all()
    sent = 0
    for deadline_id in ids:
        deadline = db.session.get_one(Deadline, deadline_id)
        for role, hours in due_reminders(deadline, now):
            if _claim(deadline, role, hours, now):
                remind(deadline, role, hours, now)
                sent += 1
        db.session.commit()
    return sent


def _all_hours() -> list[int]:
    from odr.procedure.services import procedures

    return [h for p in procedures().procedures.values() for h in p.reminder_hours] or [72]
