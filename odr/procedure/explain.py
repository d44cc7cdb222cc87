""" "Why this date?": a deadline's rule, article and computation, in the reader's language.

The computation is stored with the deadline as data (start, unit, days skipped, time zone...);
it is turned into sentences only when read, so each reader gets their own language.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask_babel import get_locale

from odr.extensions import gettext as _
from odr.procedure import jurisdictions
from odr.procedure.engine import ACT_EVENTS
from odr.procedure.models import CaseProcedure, Deadline
from odr.procedure.services import choice_of, pending_deadlines, procedure_of, referral_route
from odr.procedure.titles import (
    escalation_kind_text,
    holiday_label,
    procedure_label,
    reason_text,
    state_label,
    timer_label,
    zone_name,
)
from odr.vocabulary import case_role_label

UNIT_NAMES = {
    "calendar_days": lambda n: _("%(n)s calendar days", n=n),
    "business_days": lambda n: _("%(n)s business days", n=n),
    "months": lambda n: _("%(n)s months", n=n),
    "hours": lambda n: _("%(n)s hours", n=n),
}


def _locale() -> str:
    return str(get_locale() or "en")


def _day(iso: str) -> str:
    return _day_in(iso, _locale())


def _instant(iso: str, zone: str) -> str:
    return _instant_in(iso, zone, _locale())


# A deadline's explanation is read again at every view of its case, and Babel's full format (with the zone's
# name) costs about 0.1 ms: each day and instant is written once per locale.
@lru_cache(maxsize=4096)
def _day_in(iso: str, locale: str) -> str:
    return format_date(date.fromisoformat(iso), "full", locale=locale)


@lru_cache(maxsize=4096)
def _instant_in(iso: str, zone: str, locale: str) -> str:
    return format_datetime(datetime.fromisoformat(iso), "full", tzinfo=ZoneInfo(zone), locale=locale)


def _calendar_of(choice: CaseProcedure | None):
    if choice is None:
        return None
    jurisdiction = jurisdictions.get(choice.jurisdiction)
    if jurisdiction is None:
        return None
    member = jurisdiction.member_states.get(choice.calendar)
    return member.calendar if member else jurisdiction.calendar


def _skipped_name(calendar, item: dict) -> str:
    """Why a day did not count, in the reader's language: the weekend, or the holiday's name (from the holidays
    package where it has the language, else from our names per language)."""
    if item["reason"] == "weekend":
        return _("weekend")
    if calendar is not None:
        name = calendar.holiday_name_in(date.fromisoformat(item["date"]), _locale())
        if name:
            return name
    return holiday_label(item["reason"], _locale())


def explain(deadline: Deadline, procedure, choice: CaseProcedure | None) -> dict:
    """The rule behind a deadline and the steps from its start to its due instant, as sentences."""
    why = deadline.computation or {}
    zone = why.get("time_zone", "UTC")
    timer = procedure.timer(deadline.timer)
    calendar = _calendar_of(choice)
    unit = UNIT_NAMES.get(why.get("unit"), lambda n: str(n))
    receipt = why.get("receipt")
    if receipt:
        how = (
            _("it was first opened")
            if receipt["way"] == "opened"
            else _("it was available in the platform inbox and accepted by the mail server")
        )
        steps = [
            _(
                "The clock started on %(start)s, at the receipt of “%(act)s” (%(role)s): %(how)s.",
                start=_instant(why["start"], zone),
                role=case_role_label(receipt["role"]),
                act=ACT_EVENTS[receipt["act"]].label,
                how=how,
            )
        ]
    else:
        steps = [
            _(
                "The clock started on %(start)s, when the case entered “%(state)s”.",
                start=_instant(why["start"], zone),
                state=state_label(deadline.state),
            )
        ]
    if why.get("unit") != "hours" and why.get("first_day"):
        steps.append(
            _(
                "The day of that event is not counted: %(period)s run from %(first)s.",
                period=unit(why.get("count")),
                first=_day(why["first_day"]),
            )
        )
    else:
        steps.append(_("%(period)s from that instant.", period=unit(why.get("count"))))
    skipped = why.get("skipped") or []
    if skipped and why.get("unit") == "business_days":
        steps.append(
            _(
                "Days not counted: %(days)s.",
                days="; ".join(f"{_day(item['date'])} ({_skipped_name(calendar, item)})" for item in skipped),
            )
        )
    if why.get("adjusted_working_days"):
        steps.append(
            _(
                "Counted as working days by the official calendar: %(days)s.",
                days="; ".join(_day(d) for d in why["adjusted_working_days"]),
            )
        )
    for pause in why.get("pauses") or []:
        # The reason is the mediator's own text: shown next to the step, not inside it.
        steps.append(
            _(
                "Extended by %(period)s, ordered on %(date)s.",
                period=UNIT_NAMES.get(pause["unit"], lambda n: str(n))(pause["count"]),
                date=_instant(pause["ordered_at"], zone),
            )
        )
    rolled = why.get("rolled_forward")
    jurisdiction = jurisdictions.get(choice.jurisdiction) if choice else None
    if rolled:
        steps.append(
            _(
                "The last day, %(day)s, is not a working day (%(reason)s): the period ends on the next "
                "working day, %(to)s.",
                day=_day(rolled["from"]),
                reason=_skipped_name(calendar, {"date": rolled["from"], "reason": rolled["reason"]}),
                to=_day(rolled["to"]),
            )
        )
    last_day = why.get("last_day")
    if last_day and last_day in (why.get("adjusted_working_days") or []):
        year = int(last_day[:4])
        source = calendar.source(year) if calendar is not None else ""
        steps.append(
            _(
                "The last day, %(day)s, is a weekend day that the official calendar makes a working day "
                "(%(source)s): the period ends on it.",
                day=_day(last_day),
                source=source or _("the official holiday schedule"),
            )
        )
    steps.append(
        _(
            "It ends at the end of that day in %(zone)s: %(local)s.",
            zone=zone_name(zone),
            local=_instant(why.get("due_local", deadline.due_at.isoformat()), zone),
        )
    )
    if why.get("latest_local"):
        steps.append(
            _(
                "This is a window: the step is taken once the first %(period)s have passed, and never "
                "later than %(latest)s.",
                period=unit(why.get("count")),
                latest=_instant(why["latest_local"], zone),
            )
        )
    if why.get("unverified_years"):
        steps.append(
            _(
                "The official holiday calendar for %(years)s is not yet in our data: this date may change.",
                years=", ".join(str(y) for y in why["unverified_years"]),
            )
        )
    for change in why.get("calendar_changes") or []:
        if change.get("moved"):
            steps.append(
                _(
                    "Moved on %(date)s from %(from)s to %(to)s: the official holiday schedule for %(year)s "
                    "(%(source)s) was added to our data.",
                    date=_instant(change["at"], zone),
                    year=change["year"],
                    source=change["source"],
                    **{"from": _instant(change["from"], zone), "to": _instant(change["to"], zone)},
                )
            )
        else:
            steps.append(
                _(
                    "The official holiday schedule for %(year)s (%(source)s), added on %(date)s, would end this "
                    "period on %(to)s; it had already passed, so it was left as it was.",
                    date=_instant(change["at"], zone),
                    year=change["year"],
                    source=change["source"],
                    to=_instant(change["to"], zone),
                )
            )
    citation = timer.citation if timer else None
    return {
        "timer": deadline.timer,
        "title": timer_label(deadline.timer),
        "due_at": deadline.due_at.isoformat(),
        "due_local": why.get("due_local"),
        "time_zone": zone,
        "latest_at": why.get("latest_at"),
        "consequence": deadline.consequence,
        "consequence_title": state_label(deadline.consequence),
        "citation": deadline.citation,
        "rule": citation.as_dict() if citation else {"instrument": deadline.citation, "article": ""},
        "effective_from": timer.effective_from.isoformat() if timer and timer.effective_from else None,
        "effective_to": timer.effective_to.isoformat() if timer and timer.effective_to else None,
        "extension": None
        if not timer or not timer.extension
        else {
            "max": timer.extension.max_count,
            "unit": timer.extension.unit,
            "roles": sorted(timer.extension.roles),
            "requested_by": sorted(timer.extension.requested_by),
            "rule": timer.extension.citation.as_dict(),
            # How the days added combine with the period, as the platform reads the rule, and how sure it is.
            "combination": timer.extension.combination or None,
        },
        "period_rule": jurisdiction.periods_citation.as_dict()
        if rolled and jurisdiction and jurisdiction.periods_citation
        else None,
        "receipt_rule": receipt["rule"] if receipt else None,
        "computation": why,
        "why": steps,
    }


def procedure_view(case, procedure, choice: CaseProcedure | None) -> dict:
    """Which procedure applies to a case and why, for both parties."""
    jurisdiction = jurisdictions.get(choice.jurisdiction) if choice else None
    return {
        "code": procedure.code,
        "version": procedure.version,
        "title": procedure_label(procedure.code, procedure.title),
        "rule": procedure.citation.as_dict(),
        "jurisdiction": choice.jurisdiction if choice else case.jurisdiction,
        "market": choice.market if choice else None,
        "time_zone": choice.time_zone if choice else procedure.time_zone,
        "calendar": choice.calendar if choice else None,
        **referral_view(case, jurisdiction),
        "reasons": [reason_text(r) for r in (choice.reasons if choice else [])],
    }


def referral_view(case, jurisdiction) -> dict:
    """Which body would receive the case at the final stage and what it does (Platform Rules 2, 7, 8)."""
    route = referral_route(case, jurisdiction)
    return {
        "escalation_body": route.body if route else "",
        "escalation_does": escalation_kind_text(route.kind) if route else "",
        "escalation_rule": route.citation.as_dict() if route and route.citation else None,
    }


def deadlines_view(case, *, instants: bool = False, pending: list[Deadline] | None = None) -> list[dict]:
    """Every running deadline explained; ``instants`` adds the due instant as a datetime, for pages; ``pending``:
    the case's ``pending_deadlines``, when the caller has read them already."""
    procedure, choice = procedure_of(case), choice_of(case)
    return [
        explain(d, procedure, choice) | {"id": d.id} | ({"instant": d.due_at} if instants else {})
        for d in (pending_deadlines(case) if pending is None else pending)
    ]


def case_procedure_view(case) -> dict:
    return procedure_view(case, procedure_of(case), choice_of(case))
