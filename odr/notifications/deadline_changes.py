"""A deadline moved by an official holiday schedule added as data: the parties (and the mediator) are told,
in their language and time zone, which period moved, from when to when, and why."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from odr.cases.models import Case
from odr.i18n import render_in_locale, ui_locale_for
from odr.notifications.deliveries import Addressee, addressees, deliver_written
from odr.procedure.models import Deadline
from odr.procedure.services import procedure_of
from odr.procedure.signals import deadline_moved
from odr.vocabulary import EventKind

ACT = "deadline_moved"


def text_for(case: Case, deadline: Deadline, previous: datetime, year: int, source: str, addressee: Addressee):
    """(subject, body) in the addressee's language, the instants in their time zone."""
    from odr.procedure.titles import timer_label

    zone = ZoneInfo(addressee.time_zone)
    locale = ui_locale_for(addressee.language) or "en"
    body = render_in_locale(
        addressee.language,
        "notifications/deadline_moved_text.txt",
        reference=case.reference,
        period=timer_label(deadline.timer),
        before=format_datetime(previous.astimezone(zone), "full", tzinfo=zone, locale=locale),
        after=format_datetime(deadline.due_at.astimezone(zone), "full", tzinfo=zone, locale=locale),
        year=year,
        source=source,
    )
    subject, _blank, text = body.strip().partition("\n")
    return subject.strip(), text.strip() + "\n"


@deadline_moved.in_transaction.connect
def _moved(case: Case, *, deadline: Deadline, previous: datetime, at: datetime, year: int, source: str, **_data):
    for addressee in addressees(case, procedure_of(case).addressees(ACT)):
        subject, text = text_for(case, deadline, previous, year, source, addressee)
        data = {
            "case_id": case.id,
            "reference": case.reference,
            "deadline_id": deadline.id,
            "timer": deadline.timer,
            "from": previous.isoformat(),
            "to": deadline.due_at.isoformat(),
            "year": year,
            "source": source,
            "subject": subject,
            "text": text,
        }
        deliver_written(case, addressee, ACT, EventKind.DEADLINE_MOVED, data, at, mail=ACT)
