"""Issue 12 item 12: "why this date?" says why the last day moved, in the reader's language, names a
working Saturday of the official schedule, and checks the calendar up to a window's latest day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import holidays
import pytest
from flask_babel import force_locale

from odr.procedure import jurisdictions
from odr.procedure.deadlines import compute_due
from odr.procedure.engine import Period
from odr.procedure.explain import explain
from odr.procedure.models import Deadline
from odr.procedure.services import procedures
from odr.procedure.titles import _holiday_names

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


# -- holiday names in the reader's language where the holidays package has none ---------------------------

UI_LANGUAGES = ("ar", "de", "es", "fr", "ja", "ko", "pt", "ru", "zh_Hans")


def _why(app, due, code, procedure, locale):
    choice = type("Choice", (), {"jurisdiction": code, "calendar": code})()
    with app.test_request_context(), force_locale(locale):
        return " ".join(explain(_deadline(due), procedures().current(procedure, due.due_at.date()), choice)["why"])


@pytest.mark.parametrize(
    ("locale", "thanksgiving", "observed"),
    [
        ("zh_Hans", "感恩节", "独立日（补假）"),
        ("ar", "عيد الشكر", "يوم الاستقلال (يوم بديل)"),
        ("ja", "感謝祭", "独立記念日（振替）"),
    ],
)
def test_us_holidays_are_named_in_the_readers_language(app, locale, thanksgiving, observed):
    # 10 business days from Monday 22 November 2027 skip Thanksgiving (25 November) and reach 7 December.
    due = compute_due(
        Period(10, "business_days", latest=14),
        datetime(2027, 11, 22, 10, tzinfo=NEW_YORK),
        "America/New_York",
        calendar("US"),
    )
    assert {"date": "2027-11-25", "reason": "Thanksgiving Day"} in due.explanation["skipped"]
    why = _why(app, due, "US", "us-dmca", locale)
    assert thanksgiving in why and "Thanksgiving" not in why
    # 4 July 2026 is a Saturday: the federal holiday is observed on Friday 3 July.
    july = compute_due(
        Period(3, "business_days"), datetime(2026, 7, 1, 10, tzinfo=NEW_YORK), "America/New_York", calendar("US")
    )
    assert {"date": "2026-07-03", "reason": "Independence Day (observed)"} in july.explanation["skipped"]
    assert observed in _why(app, july, "US", "us-dmca", locale)


@pytest.mark.parametrize(("locale", "name"), [("ar", "مهرجان قوارب التنين"), ("ja", "端午節"), ("zh_Hans", "端午节")])
def test_chinese_holidays_are_named_in_the_readers_language(app, locale, name):
    due = compute_due(
        Period(15, "calendar_days"),
        datetime(2026, 6, 4, 10, tzinfo=SHANGHAI),
        "Asia/Shanghai",
        calendar("CN"),
        roll_forward=True,
    )
    why = _why(app, due, "CN", "cn-ecl", locale)
    assert name in why and "Dragon Boat" not in why


@pytest.mark.parametrize(("locale", "name"), [("zh_Hans", "海之日"), ("ar", "يوم البحر"), ("ja", "海の日")])
def test_japanese_holidays_are_named_in_the_readers_language(app, locale, name):
    # 7 business days from Friday 17 July 2026 skip the weekend and Marine Day (Monday 20 July).
    due = compute_due(Period(7, "business_days"), datetime(2026, 7, 17, 10, tzinfo=TOKYO), "Asia/Tokyo", calendar("JP"))
    assert {"date": "2026-07-20", "reason": "Marine Day"} in due.explanation["skipped"]
    why = _why(app, due, "JP", "jp-plla", locale)
    assert name in why and "Marine Day" not in why


def test_a_day_off_in_exchange_for_a_working_saturday_names_that_saturday(app):
    # 5 business days from Tuesday 17 February 2026 cross the Spring Festival break: Friday 20 February is a
    # day off in exchange for Saturday 14 February.
    due = compute_due(
        Period(5, "business_days"), datetime(2026, 2, 17, 10, tzinfo=SHANGHAI), "Asia/Shanghai", calendar("CN")
    )
    assert {"date": "2026-02-20", "reason": "Day off (substituted from 02/14/2026)"} in due.explanation["skipped"]
    assert "14 février 2026" in _why(app, due, "CN", "cn-ecl", "fr")
    assert "Day off" not in _why(app, due, "CN", "cn-ecl", "ar")


def test_every_holiday_of_the_four_calendars_has_a_name_in_every_ui_language_the_package_lacks(app):
    names = _holiday_names(app.config["ODR"]["JURISDICTIONS_DIR"])
    missing = []
    for code in ("CN", "JP", "US", "GB"):
        cal = calendar(code)
        supported = {s.split("_")[0] for s in holidays.country_holidays(cal.country).supported_languages}
        found = {
            n
            for y in range(2024, 2032)
            for n in holidays.country_holidays(cal.country, years=y, language="en_US").values()
        }
        found |= set(cal.annual_holidays.values())
        for name in {part for n in found for part in n.split("; ")}:
            base = name.removesuffix(" (observed)")
            if base.startswith("Day off (substituted from"):
                continue  # a sentence of the catalogs, with its date
            for language in UI_LANGUAGES:
                if language.split("_")[0] not in supported and language not in names.get(base, {}):
                    missing.append((code, base, language))
    assert missing == []
