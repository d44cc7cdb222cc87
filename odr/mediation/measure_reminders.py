"""Reminders of a measure the platform client has not confirmed applying (the procedure's
``measure_reminders`` in ``rules/``): to the case's mediator or, when none is assigned, to the platform
operator's administrators, who can chase the platform; once at each threshold after the measure was
ordered (by default 24 and 48 hours), in each addressee's language and time zone, inbox and e-mail.

A reminder is claimed by inserting its (measure, hours after) row, which the unique key lets only one
sweeper do. Nothing outlives its ground: a confirmed measure, or one a later order on the same listing
replaced (a restore lifts a takedown, a reinstatement ends a suspension), is never chased. When a sweep
finds several thresholds passed, only the latest is sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from odr.accounts.models import Account, Role
from odr.extensions import db
from odr.i18n import render_in_locale, ui_locale_for
from odr.mediation.measures import measure_title
from odr.mediation.models import Measure, MeasureReminder, MeasureStatus
from odr.models_base import utcnow
from odr.notifications.deliveries import Addressee
from odr.notifications.reminders import serve_reminder
from odr.procedure.services import procedure_of, procedures
from odr.queue import periodic_job
from odr.vocabulary import CaseRole, EventKind

ACT = "measure_reminder"


def replaced(measure: Measure) -> bool:
    """Whether a later order on the same listing of the case replaced ``measure`` (measures ordered together
    stand together)."""
    later = aliased(Measure)
    return (
        db.session.scalar(
            select(later.id)
            .where(
                later.case_id == measure.case_id,
                later.listing == measure.listing,
                later.ordered_at > measure.ordered_at,
            )
            .limit(1)
        )
        is not None
    )


def due_reminder(measure: Measure, now: datetime) -> int | None:
    """The threshold (hours after the order) whose reminder of ``measure`` is due at ``now``: the latest one
    passed, none once the platform confirmed it or a later order replaced it."""
    if measure.status != MeasureStatus.PENDING:
        return None
    rule = procedure_of(measure.case).measure_reminders
    if rule is None:
        return None
    passed = [hours for hours in rule.after_hours if measure.ordered_at + timedelta(hours=hours) <= now]
    if not passed or replaced(measure):
        return None
    return max(passed)


def chasers(measure: Measure) -> list[Addressee]:
    """Who can chase the platform: the case's mediator, or with none assigned the operator's administrators."""
    mediator = measure.case.mediator
    if mediator is not None and mediator.active:
        return [Addressee(CaseRole.MEDIATOR, None, mediator)]
    admins = db.session.scalars(
        select(Account).where(Account.role == Role.ADMIN, Account.active.is_(True)).order_by(Account.id)
    )
    return [Addressee(CaseRole.ADMIN, admin.party, admin) for admin in admins]


def text_for(measure: Measure, addressee: Addressee, hours: int) -> tuple[str, str]:
    """The reminder as the addressee reads it: what the platform was asked, when, and by when it should
    have confirmed, in their language and time zone; (subject, body)."""
    zone = ZoneInfo(addressee.time_zone)
    locale = ui_locale_for(addressee.language) or "en"

    def local(at: datetime) -> str:
        return format_datetime(at.astimezone(zone), "full", tzinfo=zone, locale=locale)

    with force_locale(locale):  # the measure's name in the addressee's words, not the sweep's
        title = measure_title(measure.kind.value)
    body = render_in_locale(
        addressee.language,
        "notifications/measure_reminder_text.txt",
        reference=measure.case.reference,
        measure=title,
        listing=measure.listing,
        ordered=local(measure.ordered_at),
        confirm_by=local(measure.confirm_by),
        hours=hours,
        late=measure.confirm_by <= measure.ordered_at + timedelta(hours=hours),
    )
    subject, _blank, text = body.strip().partition("\n")
    return subject.strip(), text.strip() + "\n"


def _claim(measure: Measure, hours: int, now: datetime) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(MeasureReminder(measure_id=measure.id, hours_after=hours, sent_at=now))
    except IntegrityError:
        return False
    return True


@periodic_job("measure_reminders", "Remind those who can chase the platform of measures it has not confirmed.")
def send_measure_reminders(now: datetime | None = None) -> int:
    """Claim and serve every measure reminder due now, each measure in its own transaction; return how many."""
    now = now or utcnow()
    thresholds = _all_thresholds()
    if not thresholds:
        return 0
    # A measure chased at the last threshold there is has nothing more due: left out of the scan.
    done = select(MeasureReminder.id).where(
        MeasureReminder.measure_id == Measure.id, MeasureReminder.hours_after == max(thresholds)
    )
    ids = db.session.scalars(
        select(Measure.id)
        .where(
            Measure.status == MeasureStatus.PENDING,
            Measure.ordered_at <= now - timedelta(hours=min(thresholds)),
            ~done.exists(),
        )
        .order_by(Measure.ordered_at, Measure.id)
    ).all()
    sent = 0
    for measure_id in ids:
        measure = db.session.get_one(Measure, measure_id)
        hours = due_reminder(measure, now)
        if hours is not None and _claim(measure, hours, now):
            for addressee in chasers(measure):
                subject, text = text_for(measure, addressee, hours)
                data = {
                    "measure_id": measure.id,
                    "kind": measure.kind.value,
                    "listing": measure.listing,
                    "ordered_at": measure.ordered_at.isoformat(),
                    "confirm_by": measure.confirm_by.isoformat(),
                    "hours_after": hours,
                }
                serve_reminder(measure.case, addressee, ACT, EventKind.MEASURE_REMINDER, subject, text, data, now)
            sent += 1
        db.session.commit()
    return sent


def _all_thresholds() -> list[int]:
    rules = [p.measure_reminders for p in procedures().procedures.values()]
    return [hours for rule in rules if rule is not None for hours in rule.after_hours]
