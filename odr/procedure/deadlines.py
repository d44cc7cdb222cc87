"""When a period ends: the due instant of a timer, with the computation that explains it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from odr.procedure.engine import Period


@dataclass(frozen=True)
class DueDate:
    due_at: datetime          # UTC; the period has run out once now is past this instant
    explanation: dict         # start, unit, count, time zone, local due date: "why this date?"


def compute_due(period: Period, start: datetime, time_zone: str) -> DueDate:
    """End of the period that starts at ``start`` (an aware instant), in the governing time zone.

    Calendar days end at the end of the last day in the governing time zone (the day of the
    starting event is not counted). Hours run from the instant itself.
    """
    if start.tzinfo is None:
        raise ValueError("start must be an aware instant")
    zone = ZoneInfo(time_zone)
    local_start = start.astimezone(zone)
    if period.unit == "calendar_days":
        last_day = local_start.date() + timedelta(days=period.count)
        local_due = datetime.combine(last_day, time(23, 59, 59, 999999), tzinfo=zone)
    elif period.unit == "hours":
        local_due = (start + timedelta(hours=period.count)).astimezone(zone)
    else:
        raise ValueError(f"unsupported period unit {period.unit}")
    due_at = local_due.astimezone(ZoneInfo("UTC"))
    return DueDate(due_at=due_at, explanation={
        "start": start.astimezone(ZoneInfo("UTC")).isoformat(),
        "start_local": local_start.isoformat(),
        "unit": period.unit,
        "count": period.count,
        "time_zone": time_zone,
        "due_local": local_due.isoformat(),
    })
