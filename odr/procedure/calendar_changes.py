"""Official holiday schedules added as data: the deadlines counted on that calendar are counted again.

An open deadline whose end changes is moved, with an event on the case and a delivery to the parties
saying what changed and why (``deadline_moved``). A deadline that has passed, swept or not, is never
moved: it stays as it was, an event records what the new schedule would have given, and the operator is
told. Applying the same schedule again changes nothing.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from flask import current_app
from sqlalchemy import select

from odr.cases import events
from odr.cases.models import Case
from odr.domain_events import commit
from odr.extensions import db
from odr.models_base import utcnow
from odr.procedure import jurisdictions
from odr.procedure.calendars import Schedule
from odr.procedure.engine import ProcedureError
from odr.procedure.models import CaseProcedure, Deadline, DeadlineStatus
from odr.procedure.services import _due, procedures, where_counted
from odr.procedure.signals import deadline_moved
from odr.vocabulary import EventKind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    case_reference: str
    deadline_id: int
    timer: str
    before: datetime
    after: datetime
    moved: bool  # False: the deadline had passed and was left as it was (the operator decides)


def schedules_folder() -> Path:
    return Path(current_app.config["ODR"]["JURISDICTIONS_DIR"]) / "calendars"


def add_schedule(text: str, now: datetime | None = None) -> tuple[Schedule, list[Change]]:
    """Check an official schedule, keep it with the jurisdiction data and recount every deadline it touches.

    The file is named from its content (``CN-2027.yaml``), never from the name it arrived with. The same
    schedule added twice changes nothing; a different one for a year already covered is refused.
    """
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ProcedureError(f"not a YAML file: {exc}") from None
    schedule = jurisdictions.parse_schedule(raw, "the schedule")
    if schedule.code not in calendars_in_use():
        raise ProcedureError(f"no jurisdiction counts days on calendar {schedule.code}")
    folder = schedules_folder()
    target = folder / f"{schedule.code}-{schedule.year}.yaml"
    if target.exists():
        if jurisdictions.parse_schedule(yaml.safe_load(target.read_text(encoding="utf-8")), target.name) != schedule:
            raise ProcedureError(
                f"{target.name} already holds a different schedule for {schedule.code} {schedule.year}: "
                "remove it first if the official schedule was amended"
            )
    else:
        folder.mkdir(parents=True, exist_ok=True)
        # Written whole, then renamed: a reader never sees half a schedule.
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    return schedule, recount(schedule.code, schedule.year, now)


def calendars_in_use() -> set[str]:
    found = jurisdictions.all_jurisdictions().values()
    return {j.calendar.code for j in found if j.calendar} | {m for j in found for m in j.member_states}


def recount_all(now: datetime | None = None) -> list[Change]:
    """Recount for every schedule in the data (after one was added by hand): idempotent."""
    changes: list[Change] = []
    for code, years in sorted(jurisdictions.load_schedules(schedules_folder()).items()):
        for year in sorted(years):
            changes += recount(code, year, now)
    return changes


def recount(code: str, year: int, now: datetime | None = None) -> list[Change]:
    """Count again every deadline on calendar ``code`` that can reach ``year``; commit; the changes made."""
    now = now or utcnow()
    # A period ending in the year, or rolled into it, is due on or after its first day (a day early for zones).
    rows = db.session.scalars(
        select(Deadline)
        .join(CaseProcedure, CaseProcedure.case_id == Deadline.case_id)
        .where(
            CaseProcedure.calendar == code,
            Deadline.status.in_([DeadlineStatus.PENDING, DeadlineStatus.APPLIED]),
            Deadline.due_at >= datetime(year, 1, 1, tzinfo=timezone.utc) - timedelta(days=1),
        )
        .order_by(Deadline.id)
    ).all()
    changes = [change for deadline in rows if (change := _recount_one(deadline, code, year, now))]
    commit()
    for change in changes:
        if not change.moved:
            log.warning(
                "deadline %s (%s, case %s) had passed and was left at %s; the schedule for %s %s gives %s",
                change.deadline_id,
                change.timer,
                change.case_reference,
                change.before.isoformat(),
                code,
                year,
                change.after.isoformat(),
            )
    return changes


def _recount_one(deadline: Deadline, code: str, year: int, now: datetime) -> Change | None:
    old = dict(deadline.computation or {})
    if old.get("unit") in (None, "hours") or not old.get("start"):
        return None
    start = datetime.fromisoformat(old["start"])
    if start.year > year:
        return None
    case = db.session.get_one(Case, deadline.case_id)
    procedure = procedures().get(deadline.procedure_code, deadline.procedure_version)
    timer = procedure.timer(deadline.timer)
    if timer is None:
        return None
    place = where_counted(case, procedure)
    if place.calendar is None or place.calendar.code != code:
        return None
    due = _due(timer, start, place, old.get("pauses") or [])
    history = list(old.get("calendar_changes") or [])
    computation = dict(due.explanation, calendar_changes=history)
    if old.get("receipt"):
        computation["receipt"] = old["receipt"]
    if due.due_at == deadline.due_at and due.explanation.get("latest_at") == old.get("latest_at"):
        if computation != old:  # same end, fuller explanation (the year no longer "may change")
            deadline.computation = computation
        return None
    schedule = place.calendar.schedules.get(year)
    note = {
        "calendar": code,
        "year": year,
        "source": schedule.source if schedule else place.calendar.source(year),
        "from": deadline.due_at.isoformat(),
        "to": due.due_at.isoformat(),
        "at": now.isoformat(),
    }
    change = Change(case.reference, deadline.id, deadline.timer, deadline.due_at, due.due_at, moved=True)
    if deadline.status != DeadlineStatus.PENDING or deadline.due_at <= now or due.due_at <= now:
        # Passed (or would have passed already): never moved silently. Recorded once, for the operator.
        if any(h.get("kept") and h["year"] == year and h["to"] == note["to"] for h in history):
            return None
        deadline.computation = dict(old, calendar_changes=history + [dict(note, kept=True)])
        events.record(case, EventKind.DEADLINE_KEPT, now, payload={"timer": deadline.timer, **note})
        return Change(case.reference, deadline.id, deadline.timer, deadline.due_at, due.due_at, moved=False)
    previous = deadline.due_at
    deadline.due_at = due.due_at
    computation["calendar_changes"] = history + [dict(note, moved=True)]
    deadline.computation = computation
    events.record(case, EventKind.DEADLINE_MOVED, now, payload={"timer": deadline.timer, **note})
    deadline_moved.publish(case, deadline=deadline, previous=previous, at=now, year=year, source=note["source"])
    return change
