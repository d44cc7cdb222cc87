"""Issue 12 item 12: "why this date?" says why the last day moved, in the reader's language, names a
working Saturday of the official schedule, and checks the calendar up to a window's latest day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from odr.procedure import jurisdictions
from odr.procedure.deadlines import compute_due
from odr.procedure.engine import Period
from odr.procedure.explain import explain
from odr.procedure.models import Deadline
from odr.procedure.services import procedures

SHANGHAI, TOKYO, NEW_YORK = ZoneInfo("Asia/Shanghai"), ZoneInfo("Asia/Tokyo"), ZoneInfo("America/New_York")


def calendar(code):
    return jurisdictions.get(code).calendar


def test_a_dragon_boat_friday_is_named_as_the_holiday_not_the_weekend(app):
    # Day 15 from 4 June 2026 is Friday 19 June, the Dragon Boat Festival; 20-21 June are the weekend.
    due = compute_due(
        Period(15, "calendar_days"),
        datetime(2026, 6, 4, 10, tzinfo=SHANGHAI),
        "Asia/Shanghai",
        calendar("CN"),
        roll_forward=True,
    )
    rolled = due.explanation["rolled_forward"]
    assert rolled == {"from": "2026-06-19", "to": "2026-06-22", "reason": "Dragon Boat Festival"}


def test_a_sunday_before_marine_day_is_named_as_the_weekend(app):
    # 7 days from 12 July 2026 end on Sunday 19 July; Monday 20 July is Marine Day (海の日).
    due = compute_due(
        Period(7, "calendar_days"),
        datetime(2026, 7, 12, 10, tzinfo=TOKYO),
        "Asia/Tokyo",
        calendar("JP"),
        roll_forward=True,
    )
    assert due.explanation["rolled_forward"] == {"from": "2026-07-19", "to": "2026-07-21", "reason": "weekend"}
    assert [s["reason"] for s in due.explanation["skipped"]] == ["weekend", "Marine Day"]


def _deadline(due, timer="restore_period", state="counter_notice_forwarded"):
    return Deadline(
        timer=timer, state=state, consequence="negotiation", citation="", due_at=due.due_at, computation=due.explanation
    )


def test_a_period_ending_on_an_adjusted_working_saturday_says_the_state_council_made_it_one(app):
    # Day 15 from 13 February 2026 is Saturday 28 February, a working day by the 2026 schedule.
    due = compute_due(
        Period(15, "calendar_days"),
        datetime(2026, 2, 13, 10, tzinfo=SHANGHAI),
        "Asia/Shanghai",
        calendar("CN"),
        roll_forward=True,
    )
    assert due.explanation["rolled_forward"] is None
    assert due.explanation["adjusted_working_days"] == ["2026-02-28"]
    choice = type("Choice", (), {"jurisdiction": "CN", "calendar": "CN"})()
    cn = procedures().current("cn-ecl", due.due_at.date())
    with app.test_request_context(), force_locale("en"):
        why = " ".join(explain(_deadline(due), cn, choice)["why"])
    assert "weekend day that the official calendar makes a working day" in why and "国办发明电〔2025〕7号" in why


@pytest.mark.parametrize(("locale", "name"), [("zh_Hans", "端午节")])
def test_the_holiday_a_period_rolled_past_is_named_in_the_readers_language(app, locale, name):
    due = compute_due(
        Period(15, "calendar_days"),
        datetime(2026, 6, 4, 10, tzinfo=SHANGHAI),
        "Asia/Shanghai",
        calendar("CN"),
        roll_forward=True,
    )
    choice = type("Choice", (), {"jurisdiction": "CN", "calendar": "CN"})()
    cn = procedures().current("cn-ecl", due.due_at.date())
    with app.test_request_context(), force_locale(locale):
        why = " ".join(explain(_deadline(due), cn, choice)["why"])
    assert name in why and "Dragon Boat" not in why


def test_the_unverified_calendar_check_reaches_the_fourteenth_business_day(app):
    # US calendar data is verified through 2030: from 13 Dec 2030 the 10th business day is 30 Dec 2030,
    # the 14th is 6 Jan 2031. The window may end in 2031: that year is flagged.
    due = compute_due(
        Period(10, "business_days", latest=14),
        datetime(2030, 12, 13, 10, tzinfo=NEW_YORK),
        "America/New_York",
        calendar("US"),
    )
    assert due.explanation["last_day"] == "2030-12-30"
    assert due.explanation["latest_local"].startswith("2031-01-06")
    assert due.explanation["unverified_years"] == [2031]
    earlier = compute_due(
        Period(10, "business_days", latest=14),
        datetime(2030, 12, 2, 10, tzinfo=NEW_YORK),
        "America/New_York",
        calendar("US"),
    )
    assert earlier.explanation["unverified_years"] == []
    assert due.due_at - timedelta(days=1) < due.due_at.astimezone(timezone.utc)
