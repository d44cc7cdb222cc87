"""Per-jurisdiction data from ``jurisdictions/``: languages, time zone, calendar, notice elements, procedures."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app, g, has_request_context
from flask_babel import get_locale

from odr.procedure.calendars import Calendar, Schedule, from_data
from odr.procedure.engine import Citation, ProcedureError, _citation, _date

ELEMENT_KINDS = {"text", "confirmation", "listings", "statement", "account", "file", "choice"}
# The documents a notice element may be (sniffed from the file's first bytes, never from its name): what a
# scanned certificate, a report or a photographed test purchase is.
DOCUMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/webp"})


@dataclass(frozen=True)
class Element:
    """One thing a notice must contain under a jurisdiction's law."""

    name: str
    kind: str
    citation: Citation
    right_types: frozenset[str] = frozenset()  # empty: every right type
    # Text (and each listing): at least this many letters or digits, so that a placeholder ("x") is refused;
    # ``minimum_reason`` says why that many, in the data.
    min_length: int = 0
    minimum_reason: str = ""
    accept: frozenset[str] = frozenset()  # a file: the media types it may be
    options: tuple[str, ...] = ()  # a choice: the values it may take
    # Asked only where another element was answered so (a patent's kind): {element: (values...)}.
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()
    effective_from: date | None = None  # asked of notices filed from this day (where the law says when)

    def applies_to(self, right_type: str, answers: dict | None = None, on: date | None = None) -> bool:
        if self.right_types and right_type not in self.right_types:
            return False
        if on is not None and self.effective_from is not None and on < self.effective_from:
            return False
        return all((answers or {}).get(name) in values for name, values in self.when)


@dataclass(frozen=True)
class FilerWarning:
    """What the filer must be told before filing (the law's consequences of a notice), not something to tick."""

    name: str
    citation: Citation
    right_types: frozenset[str] = frozenset()  # empty: every right type

    def applies_to(self, right_type: str) -> bool:
        return not self.right_types or right_type in self.right_types


@dataclass(frozen=True)
class NoticeRules:
    citation: Citation
    elements: tuple[Element, ...]
    warnings: tuple[FilerWarning, ...] = ()


# What the body that receives an escalated case does, by kind (shown to the parties in their language).
ESCALATION_KINDS = {"court", "authority"}


@dataclass(frozen=True)
class EscalationRoute:
    """The body that receives a case referred to the final stage, for some right types over some dates."""

    body: str
    kind: str
    citation: Citation | None
    right_types: frozenset[str] = frozenset()  # empty: every right type
    effective_from: date | None = None
    effective_to: date | None = None

    def applies(self, right_type: str, on: date) -> bool:
        return (
            (not self.right_types or right_type in self.right_types)
            and (self.effective_from is None or self.effective_from <= on)
            and (self.effective_to is None or on <= self.effective_to)
        )


@dataclass(frozen=True)
class MemberState:
    code: str
    name: str
    time_zone: str
    calendar: Calendar


# When an addressee has received a delivery, each way judged for that addressee's deliveries of one act:
# ``available_and_accepted``: in the platform inbox and accepted by the addressee's mail server, whichever
# is later (an addressee without an inbox: accepted by the mail server); ``opened``: first opened.
RECEIPT_WAYS = {"available_and_accepted", "opened"}


@dataclass(frozen=True)
class ReceiptRule:
    """When a delivery counts as received under a jurisdiction's law: the earliest of ``ways``."""

    ways: tuple[str, ...]
    citation: Citation


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    official_languages: tuple[str, ...]
    time_zone: str
    currency: str
    escalation_body: str
    default_procedure: str
    procedures_by_right_type: dict[str, str]
    calendar: Calendar | None
    roll_forward: bool
    periods_citation: Citation | None
    notice: dict[str, NoticeRules]  # by right type; "default" for the rest
    counter_notice: dict[str, NoticeRules]
    member_states: dict[str, MemberState] = field(default_factory=dict)
    default_member_state: str | None = None
    receipt: ReceiptRule | None = None
    escalation_routes: tuple[EscalationRoute, ...] = ()

    def escalation_for(self, right_type: str, on: date) -> EscalationRoute | None:
        """Which body receives a case of this right type referred on this day (the first route that applies)."""
        found = next((r for r in self.escalation_routes if r.applies(right_type, on)), None)
        if found is None and self.escalation_body:
            return EscalationRoute(body=self.escalation_body, kind="court", citation=None)
        return found

    @property
    def procedure(self) -> str:
        return self.default_procedure

    def procedure_for(self, right_type: str) -> str:
        return self.procedures_by_right_type.get(right_type, self.default_procedure)

    def notice_rules(self, right_type: str, *, counter: bool = False) -> NoticeRules | None:
        rules = self.counter_notice if counter else self.notice
        return rules.get(right_type) or rules.get("default")


def _notice_rules(raw: dict, where: str) -> NoticeRules:
    elements = []
    for spec in raw.get("elements") or []:
        kind = spec.get("kind")
        at = f"{where}: element '{spec.get('name')}'"
        if kind not in ELEMENT_KINDS:
            raise ProcedureError(f"{at} has unknown kind '{kind}'")
        accept = frozenset(spec.get("accept") or (DOCUMENT_TYPES if kind == "file" else ()))
        if accept - DOCUMENT_TYPES:
            raise ProcedureError(f"{at}: 'accept' names types outside {sorted(DOCUMENT_TYPES)}")
        options = tuple(str(o) for o in spec.get("options") or ())
        if (kind == "choice") != bool(options):
            raise ProcedureError(f"{at}: a choice, and only a choice, lists its 'options'")
        min_length = spec.get("min_length", 0)
        if not isinstance(min_length, int) or min_length < 0 or (min_length and not spec.get("minimum_reason")):
            raise ProcedureError(f"{at}: 'min_length' is a whole number, given with its 'minimum_reason'")
        when = spec.get("when") or {}
        if not isinstance(when, dict):
            raise ProcedureError(f"{at}: 'when' maps an element to the answers it applies on")
        elements.append(
            Element(
                name=str(spec["name"]),
                kind=kind,
                citation=_citation(spec.get("citation"), at),
                right_types=frozenset(spec.get("right_types") or ()),
                min_length=min_length,
                minimum_reason=str(spec.get("minimum_reason") or ""),
                accept=accept,
                options=options,
                when=tuple((str(k), tuple(v if isinstance(v, list) else [v])) for k, v in when.items()),
                effective_from=_date(spec.get("effective_from"), at),
            )
        )
    warnings = tuple(
        FilerWarning(
            name=str(spec["name"]),
            citation=_citation(spec.get("citation"), f"{where}: warning '{spec['name']}'"),
            right_types=frozenset(spec.get("right_types") or ()),
        )
        for spec in raw.get("warnings") or []
    )
    return NoticeRules(
        citation=_citation(raw.get("citation"), f"{where} notice"), elements=tuple(elements), warnings=warnings
    )


def _by_right_type(raw: dict, source: str) -> dict[str, NoticeRules]:
    if "by_right_type" in raw:
        found = {rt: _notice_rules(spec, f"{source} ({rt})") for rt, spec in raw["by_right_type"].items()}
        if raw.get("default"):
            found["default"] = _notice_rules(raw["default"], source)
        return found
    return {"default": _notice_rules(raw, source)} if raw else {}


def _receipt(raw, source: str) -> ReceiptRule | None:
    if raw is None:
        return None
    ways = tuple((raw or {}).get("earliest_of") or ())
    if not ways or set(ways) - RECEIPT_WAYS:
        raise ProcedureError(f"{source}: receipt needs 'earliest_of' with ways among {sorted(RECEIPT_WAYS)}")
    return ReceiptRule(ways=ways, citation=_citation(raw.get("citation"), f"{source} receipt"))


def _escalation(raw, source: str) -> tuple[EscalationRoute, ...]:
    routes = []
    for i, spec in enumerate((raw or {}).get("routes") or []):
        where = f"{source} escalation route {i + 1}"
        kind = spec.get("kind", "court")
        if kind not in ESCALATION_KINDS or not spec.get("body"):
            raise ProcedureError(f"{where}: needs a body and a kind in {sorted(ESCALATION_KINDS)}")
        routes.append(
            EscalationRoute(
                body=str(spec["body"]),
                kind=kind,
                citation=_citation(spec.get("citation"), where),
                right_types=frozenset(spec.get("right_types") or ()),
                effective_from=_date(spec.get("effective_from"), where),
                effective_to=_date(spec.get("effective_to"), where),
            )
        )
    return tuple(routes)


def _days(items, year: int, where: str) -> dict[date, str]:
    found: dict[date, str] = {}
    for item in items or []:
        if not isinstance(item, dict) or not str(item.get("name") or "").strip():
            raise ProcedureError(f"{where}: each day needs a date and a name")
        day = _date(item.get("date"), where)
        if day is None or day.year != year:
            raise ProcedureError(f"{where}: {item.get('date')} is not a day of {year}")
        if day in found:
            raise ProcedureError(f"{where}: {day} is listed twice")
        found[day] = str(item["name"]).strip()
    return found


def parse_schedule(raw, source: str) -> Schedule:
    """An official holiday schedule for one calendar and year; every problem is refused with its place."""
    if not isinstance(raw, dict):
        raise ProcedureError(f"{source}: a schedule is a mapping (calendar, year, source, days_off, working_days)")
    code = str(raw.get("calendar") or "").strip().upper()
    year = raw.get("year")
    if not code.isalpha() or not 2 <= len(code) <= 3 or not isinstance(year, int) or not 2000 <= year <= 2200:
        raise ProcedureError(f"{source}: name the calendar (a country code such as CN) and the year (2000-2200)")
    citation = _citation(raw.get("source"), f"{source} source")
    effective_from = _date(raw.get("effective_from"), source)
    effective_to = _date(raw.get("effective_to"), source)
    if (
        effective_from is None
        or effective_to is None
        or effective_from > date(year, 1, 1)
        or effective_to < date(year, 12, 31)
    ):
        raise ProcedureError(f"{source}: effective_from and effective_to must cover {year}")
    days_off = _days(raw.get("days_off"), year, f"{source} days_off")
    working_days = _days(raw.get("working_days"), year, f"{source} working_days")
    if not days_off:
        raise ProcedureError(f"{source}: an official schedule lists its days off")
    both = sorted(set(days_off) & set(working_days))
    if both:
        raise ProcedureError(f"{source}: {both[0]} is both a day off and a working day")
    weekdays = sorted(d for d in working_days if d.weekday() < 5)
    if weekdays:
        raise ProcedureError(f"{source}: {weekdays[0]} is a weekday; working_days lists weekend days made working days")
    return Schedule(
        code=code,
        year=year,
        source=f"{citation.instrument} ({citation.article})",
        link=citation.link,
        confidence=citation.confidence,
        days_off=days_off,
        working_days=working_days,
    )


def load_schedules(folder: Path) -> dict[str, dict[int, Schedule]]:
    """Every official schedule in ``folder`` (``jurisdictions/calendars``), by calendar code and year."""
    found: dict[str, dict[int, Schedule]] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        schedule = parse_schedule(yaml.safe_load(path.read_text(encoding="utf-8")), f"calendars/{path.name}")
        if schedule.year in found.get(schedule.code, {}):
            raise ProcedureError(f"calendars/{path.name}: a second schedule for {schedule.code} {schedule.year}")
        found.setdefault(schedule.code, {})[schedule.year] = schedule
    return found


def parse(raw: dict, source: str, schedules: dict[str, dict[int, Schedule]] | None = None) -> Jurisdiction:
    code = raw["code"]
    schedules = schedules or {}
    periods = raw.get("periods") or {}
    members = {
        mc: MemberState(
            code=mc,
            name=m["name"],
            time_zone=m["time_zone"],
            calendar=from_data(mc, m["calendar"], schedules.get(mc)),
        )
        for mc, m in (raw.get("member_states") or {}).items()
    }
    procedures = raw.get("procedures") or {}
    return Jurisdiction(
        code=code,
        name=raw["name"],
        official_languages=tuple(raw["official_languages"]),
        time_zone=raw["time_zone"],
        currency=raw["currency"],
        escalation_body=raw.get("escalation_body", ""),
        default_procedure=procedures.get("default", raw.get("procedure", "generic-odr")),
        procedures_by_right_type=dict(procedures.get("by_right_type") or {}),
        calendar=from_data(code, raw["calendar"], schedules.get(code)) if raw.get("calendar") else None,
        roll_forward=bool(periods.get("roll_forward", False)),
        periods_citation=_citation(periods["citation"], f"{source} periods") if periods.get("citation") else None,
        notice=_by_right_type(raw.get("notice") or {}, source),
        counter_notice=_by_right_type(raw.get("counter_notice") or {}, f"{source} counter-notice"),
        member_states=members,
        default_member_state=raw.get("default_member_state"),
        receipt=_receipt(raw.get("receipt"), source),
        escalation_routes=_escalation(raw.get("escalation"), source),
    )


def _stamp(folder: str) -> int:
    """Changes when a schedule file is added or removed (written whole and renamed into place)."""
    try:
        return os.stat(Path(folder) / "calendars").st_mtime_ns
    except OSError:
        return 0


@lru_cache(maxsize=4)
def load(folder: str, stamp: int = 0) -> dict[str, Jurisdiction]:
    found = {}
    schedules = load_schedules(Path(folder) / "calendars")
    for path in sorted(Path(folder).glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[raw["code"]] = parse(raw, path.name, schedules)
    used = {j.calendar.code for j in found.values() if j.calendar} | {
        m for j in found.values() for m in j.member_states
    }
    unknown = sorted(set(schedules) - used)
    if unknown:
        raise ProcedureError(f"calendars: no jurisdiction counts days on calendar {unknown[0]}")
    return found


def all_jurisdictions() -> dict[str, Jurisdiction]:
    folder = current_app.config["ODR"]["JURISDICTIONS_DIR"]
    if not has_request_context():
        return load(folder, _stamp(folder))
    # A page asks once per row (each case's time zone and calendar): the folder is looked at once per request,
    # and a schedule added meanwhile is seen by the next one.
    stamps = g.setdefault("jurisdiction_stamps", {})
    if folder not in stamps:
        stamps[folder] = _stamp(folder)
    return load(folder, stamps[folder])


def get(code: str) -> Jurisdiction | None:
    return all_jurisdictions().get((code or "").strip().upper())


def jurisdiction_time_zone(code: str | None) -> str | None:
    jurisdiction = get(code or "")
    return jurisdiction.time_zone if jurisdiction else None


def jurisdiction_name(code: str | None) -> str:
    """A jurisdiction's name in the reader's language (CLDR territory names), else the name in its data file."""
    jurisdiction = get(code or "")
    localized = get_locale().territories.get((code or "").upper())
    return localized or (jurisdiction.name if jurisdiction else (code or ""))
