"""Working-day calendars: which days count as business days where a deadline runs.

Built on the ``holidays`` package (public holidays and, for China, the State Council's
adjusted working days), plus dated corrections kept in the jurisdiction files with their
source, for what the package lacks. Years whose official calendar the data does not cover
are reported, so a deadline computed on a projected calendar says so.

An official schedule added later as data (``jurisdictions/calendars/<CODE>-<YEAR>.yaml``, with its
source) replaces the package's projection for its year: its days off are the year's holidays and its
working days the weekend days that count (odr.procedure.calendar_changes recomputes the open deadlines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import holidays


@dataclass(frozen=True)
class Schedule:
    """A year's official holiday schedule, as published (China: the State Council General Office's notice)."""

    code: str
    year: int
    source: str  # the instrument and its number, as cited
    link: str
    confidence: str
    days_off: dict[date, str] = field(default_factory=dict)
    working_days: dict[date, str] = field(default_factory=dict)  # weekend days made working days


@dataclass(frozen=True)
class Calendar:
    code: str  # e.g. "CN", "US", "DE"
    country: str  # holidays package country code
    subdivision: str | None = None
    weekend: frozenset[int] = frozenset({5, 6})  # Monday = 0
    extra_holidays: dict[date, str] = field(default_factory=dict)
    extra_working_days: dict[date, str] = field(default_factory=dict)
    verified_through: int | None = None  # last year whose official calendar is in the data
    # Where each year's official schedule comes from (year -> source), said when a date rests on it.
    sources: dict[int, str] = field(default_factory=dict)
    # Days off every year by month and day (JP: the year-end days 29 December to 3 January), with their names.
    annual_holidays: dict[tuple[int, int], str] = field(default_factory=dict)
    schedules: dict[int, Schedule] = field(default_factory=dict)  # official schedules added as data, by year

    def source(self, year: int) -> str:
        schedule = self.schedules.get(year)
        return schedule.source if schedule else self.sources.get(year, "")

    def _holidays(self, year: int, language: str | None = None):
        return _country_holidays(self.country, self.subdivision, year, language or _english(self.country))

    def holiday_name_in(self, day: date, locale: str) -> str | None:
        """The holiday's name in the reader's language where the holidays package has that language; None
        where it has not, or where the name comes from our own data (odr.procedure.titles.holiday_label)."""
        if day in self.extra_holidays or day in self.extra_working_days or day.year in self.schedules:
            return None
        supported = getattr(holidays.country_holidays(self.country, years=day.year), "supported_languages", ())
        language = locale.replace("-", "_")
        wanted = {"zh_Hans": "zh_CN", "zh_Hant": "zh_TW"}.get(language, language)
        match = next((s for s in supported if s == wanted), None) or next(
            (s for s in supported if s.split("_")[0] == wanted.split("_")[0]), None
        )
        return self._holidays(day.year, match).get(day) if match else None

    def holiday_name(self, day: date) -> str | None:
        """The name of the public holiday on ``day``, if it is one."""
        if day in self.extra_working_days:
            return None
        if day in self.extra_holidays:
            return self.extra_holidays[day]
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return schedule.days_off.get(day)
        return self._holidays(day.year).get(day) or self.annual_holidays.get((day.month, day.day))

    def adjusted_working_day(self, day: date) -> bool:
        """A weekend day made a working day (China's 调休)."""
        if day in self.extra_working_days:
            return True
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return day in schedule.working_days
        return day.weekday() in self.weekend and day in getattr(self._holidays(day.year), "weekend_workdays", ())

    def is_working_day(self, day: date) -> bool:
        if self.holiday_name(day) is not None:
            return False
        if day.weekday() in self.weekend:
            return self.adjusted_working_day(day)
        return True

    def why_not_working(self, day: date) -> str:
        """A short, untranslated reason a day does not count (holiday name or 'weekend')."""
        return self.holiday_name(day) or "weekend"

    def unverified(self, day: date) -> bool:
        schedule = self.schedules.get(day.year)
        if schedule is not None:
            return schedule.confidence == "unverified"
        return self.verified_through is not None and day.year > self.verified_through


@lru_cache(maxsize=256)
def _english(country: str) -> str | None:
    """The package's US English where it has it: the names kept in a deadline's computation (and used as keys
    of their translations) must not depend on the locale of the process that computed them."""
    supported = getattr(holidays.country_holidays(country), "supported_languages", ())
    return "en_US" if "en_US" in supported else None


@lru_cache(maxsize=512)
def _country_holidays(country: str, subdivision: str | None, year: int, language: str | None = None):
    return holidays.country_holidays(country, subdiv=subdivision, years=year, language=language)


def from_data(code: str, raw: dict, schedules: dict[int, Schedule] | None = None) -> Calendar:
    """A calendar from a jurisdiction file's ``calendar`` mapping."""

    def dated(items) -> dict[date, str]:
        found = {}
        for item in items or []:
            day = item["date"] if isinstance(item["date"], date) else date.fromisoformat(str(item["date"]))
            found[day] = str(item.get("name") or item.get("source") or "")
        return found

    return Calendar(
        code=code,
        country=str(raw.get("holidays", code)),
        subdivision=raw.get("subdivision"),
        weekend=frozenset(raw.get("weekend", (5, 6))),
        extra_holidays=dated(raw.get("extra_holidays")),
        extra_working_days=dated(raw.get("extra_working_days")),
        verified_through=raw.get("verified_through"),
        sources={int(year): str(text) for year, text in (raw.get("sources") or {}).items()},
        annual_holidays={
            (int(item["month"]), int(item["day"])): str(item.get("name") or "")
            for item in raw.get("annual_holidays") or []
        },
        schedules=dict(schedules or {}),
    )
