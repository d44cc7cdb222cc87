"""When a period ends: the due instant of a timer, with the computation that explains it.

Conventions (each jurisdiction file cites the law that sets them for it):
- the day of the event that starts the clock is not counted; a period runs to the end of its
  last day (23:59:59.999999) in the governing time zone, and is stored in UTC;
- calendar days count every day; business days count the calendar's working days only
  (weekends and public holidays skipped, adjusted working days counted); months end on the
  same day number of the last month, or that month's last day when it has no such day;
- where the jurisdiction says so, a period whose last day is not a working day ends at the
  end of the next working day;
- a window (US §512(g): not less than 10, not more than 14 business days) has an earliest
  instant, at which its consequence is applied, and a latest instant it must not pass;
- a pause ordered in a case (CN: notarization delays) adds working days after the last day.
"""

from __future__ import annotations

import calendar as _monthdays
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from odr.procedure.calendars import Calendar
from odr.procedure.engine import Period

END_OF_DAY = time(23, 59, 59, 999999)
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class DueDate:
    due_at: datetime  # UTC; the period has run out once now is past this instant
    explanation: dict  # start, unit, count, time zone, days skipped...: "why this date?"
    latest_at: datetime | None = None  # a window's outer limit, UTC


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _monthdays.monthrange(year, month)[1]))


class _Counter:
    """Counts days from a start day, remembering what it skipped, for the explanation."""

    def __init__(self, calendar: Calendar | None):
        self.calendar = calendar
        self.skipped: list[dict] = []
        self.adjusted: list[str] = []

    def working(self, day: date) -> bool:
        if self.calendar is None:
            return day.weekday() < 5
        return self.calendar.is_working_day(day)

    def add_business_days(self, day: date, count: int) -> date:
        while count > 0:
            day += timedelta(days=1)
            if self.working(day):
                count -= 1
                if self.calendar is not None and self.calendar.adjusted_working_day(day):
                    self.adjusted.append(day.isoformat())
            else:
                self.skipped.append({"date": day.isoformat(), "reason": self.reason(day)})
        return day

    def next_working_day(self, day: date) -> date:
        while not self.working(day):
            self.skipped.append({"date": day.isoformat(), "reason": self.reason(day)})
            day += timedelta(days=1)
        return day

    def reason(self, day: date) -> str:
        return self.calendar.why_not_working(day) if self.calendar else "weekend"

    def last_day(self, start_day: date, count: int, unit: str) -> date:
        if unit == "calendar_days":
            return start_day + timedelta(days=count)
        if unit == "business_days":
            return self.add_business_days(start_day, count)
        if unit == "months":
            return add_months(start_day, count)
        raise ValueError(f"unsupported period unit {unit}")


def _end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=zone)


def compute_due(
    period: Period,
    start: datetime,
    time_zone: str,
    calendar: Calendar | None = None,
    *,
    roll_forward: bool = False,
    pauses: list[dict] | tuple = (),
) -> DueDate:
    """End of the period that starts at ``start`` (an aware instant), in the governing time zone.

    ``calendar`` gives the working days (weekdays only when None); ``roll_forward`` moves a
    last day that is not a working day to the next working day; ``pauses`` are
    ``{"count": n, "unit": "business_days"|"calendar_days"}`` added after the last day.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware instant")
    zone = ZoneInfo(time_zone)
    local_start = start.astimezone(zone)
    counter = _Counter(calendar)
    explanation = {
        "start": start.astimezone(UTC).isoformat(),
        "start_local": local_start.isoformat(),
        "unit": period.unit,
        "count": period.count,
        "time_zone": time_zone,
        "calendar": calendar.code if calendar else None,
    }
    if period.unit == "hours":
        local_due = (start + timedelta(hours=period.count)).astimezone(zone)
        explanation["due_local"] = local_due.isoformat()
        return DueDate(due_at=local_due.astimezone(UTC), explanation=explanation)

    def finish(last: date) -> tuple[date, dict | None]:
        for pause in pauses:
            last = counter.last_day(last, int(pause["count"]), pause["unit"])
        rolled = None
        if roll_forward and not counter.working(last):
            # The reason is the rolled-from day's own (a holiday's name, or the weekend), not that of the
            # last day skipped on the way to the next working day.
            reason = counter.reason(last)
            moved = counter.next_working_day(last)
            rolled = {"from": last.isoformat(), "to": moved.isoformat(), "reason": reason}
            last = moved
        if counter.calendar is not None and counter.calendar.adjusted_working_day(last):
            # A period ending on a weekend day the official schedule made a working day (China's 调休) ends
            # there: the explanation names that day as a working day by the schedule.
            counter.adjusted.append(last.isoformat())
        return last, rolled

    start_day = local_start.date()
    last, rolled = finish(counter.last_day(start_day, period.count, period.unit))
    local_due = _end_of(last, zone)
    explanation.update(
        first_day=(start_day + timedelta(days=1)).isoformat(),
        last_day=last.isoformat(),
        due_local=local_due.isoformat(),
        rolled_forward=rolled,
        pauses=list(pauses),
    )
    latest_at, latest_day = None, None
    if period.latest:
        latest, _rolled = finish(counter.last_day(start_day, period.latest, period.unit))
        latest_day = latest
        local_latest = _end_of(latest, zone)
        latest_at = local_latest.astimezone(UTC)
        explanation.update(latest=period.latest, latest_local=local_latest.isoformat(), latest_at=latest_at.isoformat())
    # Days skipped once each, in order (the window's count repeats the earlier ones).
    seen = {}
    for item in counter.skipped:
        seen.setdefault(item["date"], item)
    explanation["skipped"] = [seen[k] for k in sorted(seen)]
    explanation["adjusted_working_days"] = sorted(set(counter.adjusted))
    if calendar is not None:
        # Every year the period can reach, up to a window's latest day (US: the 14th business day, not the 10th).
        end = max(last, latest_day) if latest_day is not None else last
        explanation["unverified_years"] = sorted(
            {y for y in range(start_day.year, end.year + 1) if calendar.unverified(date(y, 1, 1))}
        )
    return DueDate(due_at=local_due.astimezone(UTC), explanation=explanation, latest_at=latest_at)
