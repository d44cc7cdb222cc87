"""Issue 12 item 13: an official holiday schedule added as data recounts the open deadlines counted on it;
each move is recorded and served on the parties; a deadline that has passed is never moved silently."""

from __future__ import annotations

import shutil
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from odr.cases.models import Case, Event
from odr.domain_events import commit
from odr.extensions import db
from odr.notifications import deliveries
from odr.notifications.models import Delivery
from odr.procedure.calendar_changes import add_schedule, recount_all
from odr.procedure.calendars import Schedule, from_data
from odr.procedure.engine import ProcedureError
from odr.procedure.explain import deadlines_view
from odr.procedure.models import Deadline, DeadlineStatus
from tests.notifications.test_deliveries import forwarded_counter_notice, holder_delivery

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCHEDULE = (Path(__file__).parent / "data" / "CN-2027-for-tests.yaml").read_text(encoding="utf-8")
# 03:00 in Beijing on Friday 12 February 2027: periods ending on the 11th have passed, those ending on the 12th not.
NOW = datetime(2027, 2, 12, 3, tzinfo=SHANGHAI)


@pytest.fixture
def places(app, tmp_path):
    """The jurisdiction data, copied: adding a schedule writes into it."""
    folder = tmp_path / "jurisdictions"
    shutil.copytree(app.config["ODR"]["JURISDICTIONS_DIR"], folder)
    app.config["ODR"]["JURISDICTIONS_DIR"] = str(folder)
    return folder


def restore_period_received_on(world, api, day: str) -> Deadline:
    """A CN case whose right holder received the forwarded declaration at 10:00 in Beijing on ``day``."""
    case = forwarded_counter_notice(world, api)
    deliveries.open_delivery(
        world.holder, holder_delivery(case, world).id, datetime.fromisoformat(f"{day}T10:00+08:00")
    )
    commit()
    return db.session.scalar(db.select(Deadline).where(Deadline.case_id == case.id, Deadline.timer == "restore_period"))


def last_day(deadline: Deadline) -> str:
    db.session.refresh(deadline)
    return deadline.due_at.astimezone(SHANGHAI).date().isoformat()


def kinds(deadline: Deadline) -> list[str]:
    return list(db.session.scalars(db.select(Event.kind).where(Event.case_id == deadline.case_id)))


def moved_deliveries(deadline: Deadline) -> list[Delivery]:
    return list(
        db.session.scalars(
            db.select(Delivery).where(Delivery.case_id == deadline.case_id, Delivery.act == "deadline_moved")
        )
    )


def test_a_2027_schedule_moves_the_open_deadline_leaves_the_passed_one_and_tells_the_parties(world, api, places):
    # Received 28 January: the 15th day is Friday 12 February, a working day in the package's projection.
    open_one = restore_period_received_on(world, api, "2027-01-28")
    # Received 26 January: the 15th day, 10 February, is a projected holiday; it rolled to Thursday 11 February.
    passed = restore_period_received_on(world, api, "2027-01-26")
    # Received 20 January: the 15th day is Thursday 4 February, the day before the break in both calendars.
    before = restore_period_received_on(world, api, "2027-01-20")
    assert (last_day(open_one), last_day(passed), last_day(before)) == ("2027-02-12", "2027-02-11", "2027-02-04")
    assert open_one.computation["unverified_years"] == [2027]

    schedule, changes = add_schedule(SCHEDULE, now=NOW)

    assert (schedule.code, schedule.year) == ("CN", 2027)
    assert (places / "calendars" / "CN-2027.yaml").exists()
    # 12 February is now a day off and Saturday the 13th a weekend day: the period ends on Sunday 14 February,
    # which the schedule makes a working day.
    assert last_day(open_one) == "2027-02-14"
    assert open_one.status == DeadlineStatus.PENDING
    assert open_one.computation["adjusted_working_days"] == ["2027-02-14"]
    assert open_one.computation["calendar_changes"][0]["moved"] is True
    # The passed one would end on the 14th too: it is left where it was, recorded, and the operator told.
    assert last_day(passed) == "2027-02-11"
    assert passed.computation["calendar_changes"][0]["kept"] is True
    assert last_day(before) == "2027-02-04"
    assert [(c.moved, c.deadline_id) for c in changes] == [(True, open_one.id), (False, passed.id)]
    assert "deadline_moved" in kinds(open_one) and "deadline_kept" not in kinds(open_one)
    assert "deadline_kept" in kinds(passed) and "deadline_moved" not in kinds(passed)
    assert not {"deadline_moved", "deadline_kept"} & set(kinds(before))

    # Both parties are served, each in their language, with what changed and why.
    served = moved_deliveries(open_one)
    case = db.session.get(Case, open_one.case_id)
    assert {row.role for row in served} == {"claimant", "respondent"}
    assert {row.channel for row in served} == {"inbox", "email"}
    seller = next(row for row in served if row.role == "respondent" and row.channel == "inbox")
    assert "2027" in seller.data["text"] and "Test schedule" in seller.data["text"]
    assert case.reference in seller.data["subject"] and seller.language == "zh"
    holder = next(row for row in served if row.account_id == world.holder.id and row.channel == "inbox")
    assert deliveries.delivery_json(holder)["text"] == holder.data["text"]
    assert not moved_deliveries(passed)

    # "Why this date?" says when and why the date moved.
    with force_locale("en"):
        (why,) = deadlines_view(case)
    assert any("was added to our data" in step and "Test schedule" in step for step in why["why"])
    # This schedule says it is unverified: the date is still said to be subject to change.
    assert any("may change" in step for step in why["why"])


def test_a_verified_schedule_makes_its_year_verified_and_replaces_the_projection(app):
    schedule = Schedule(
        code="CN",
        year=2027,
        source="State Council General Office notice",
        link="https://www.gov.cn/",
        confidence="verified",
        days_off={date(2027, 2, 12): "Chinese New Year (Spring Festival)"},
        working_days={date(2027, 2, 14): "Working day"},
    )
    projected = from_data("CN", {"holidays": "CN", "verified_through": 2026})
    official = from_data("CN", {"holidays": "CN", "verified_through": 2026}, {2027: schedule})
    assert projected.unverified(date(2027, 5, 1)) and not official.unverified(date(2027, 5, 1))
    # Day before, day of, day after the new day off; the package's projected holiday of 10 February is gone.
    assert [official.is_working_day(date(2027, 2, d)) for d in (11, 12, 13, 14)] == [True, False, False, True]
    assert not projected.is_working_day(date(2027, 2, 10)) and official.is_working_day(date(2027, 2, 10))
    assert official.adjusted_working_day(date(2027, 2, 14)) and official.source(2027).startswith("State Council")
    assert official.unverified(date(2028, 1, 1)), "the next year is still a projection"


def test_applying_the_schedule_twice_changes_nothing_more(world, api, places):
    open_one = restore_period_received_on(world, api, "2027-01-28")
    passed = restore_period_received_on(world, api, "2027-01-26")
    add_schedule(SCHEDULE, now=NOW)
    counted = db.session.scalar(db.select(db.func.count()).select_from(Event))
    served = db.session.scalar(db.select(db.func.count()).select_from(Delivery))

    assert add_schedule(SCHEDULE, now=NOW)[1] == []
    assert recount_all(now=NOW) == []

    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == counted
    assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == served
    assert (last_day(open_one), last_day(passed)) == ("2027-02-14", "2027-02-11")


def test_a_swept_deadline_is_not_moved_and_the_operator_is_told(world, api, places, app):
    swept = restore_period_received_on(world, api, "2027-01-26")
    swept.status = DeadlineStatus.APPLIED
    db.session.commit()
    path = places.parent / "incoming.yaml"
    path.write_text(SCHEDULE, encoding="utf-8")

    result = app.test_cli_runner().invoke(args=["calendars", "add", str(path)])

    assert result.exit_code == 0, result.output
    assert "kept" in result.output and "decide by hand" in result.output and "0 deadline(s) moved" in result.output
    assert last_day(swept) == "2027-02-11" and swept.status == DeadlineStatus.APPLIED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.replace("calendar: CN", "calendar: XX"), "no jurisdiction counts days on calendar XX"),
        (lambda s: s.replace("  confidence: unverified\n", ""), "no confidence"),
        (lambda s: s.replace("2027-02-14, name", "2027-02-15, name"), "is a weekday"),
        (lambda s: s.replace("{date: 2027-10-01", "{date: 2028-10-01"), "is not a day of 2027"),
        (lambda s: s.replace("effective_from: 2027-01-01", "effective_from: 2027-02-01"), "must cover 2027"),
    ],
)
def test_a_defective_schedule_is_refused_and_nothing_is_written(world, places, change, message):
    with pytest.raises(ProcedureError, match=message):
        add_schedule(change(SCHEDULE), now=NOW)
    assert not (places / "calendars" / "CN-2027.yaml").exists()


def test_a_different_schedule_for_a_year_already_covered_is_refused(world, places):
    add_schedule(SCHEDULE, now=NOW)
    with pytest.raises(ProcedureError, match="already holds a different schedule"):
        add_schedule(SCHEDULE.replace("{date: 2027-10-01", "{date: 2027-10-02"), now=NOW)
