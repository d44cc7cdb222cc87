"""Procedures as data: a state graph loaded from a YAML file in ``rules/`` and checked with networkx.

A procedure names its states, the transitions between them (with the case roles
allowed to take each one and the filing that triggers it, if any) and its timers
(a period that starts when a state is entered and, when it runs out, moves the
case on). Every state, transition and timer carries a citation; transitions and
timers carry the dates they are in force, so a rule change applies by date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path

import networkx as nx
import yaml

from odr.procedure.signals import ENTRY_ACTIONS
from odr.vocabulary import CaseRole, EventKind

# Roles a rule may give a transition or an extension to: the shared case roles.
CASE_ROLES = frozenset(CaseRole)
# Conditions under which the platform itself takes a transition (never on a user's request).
CONDITIONS = {"settlement_accepted_by_both"}
FILING_KINDS = {"notice", "counter_notice", "response", "message", "offer", "settlement", "decision", "report"}
# A report to the platform (CN: E-Commerce Law Art. 43(2)) names the forum that has the matter, and the
# document that proves it: the acceptance notice of a complaint or suit, or the decision that ended it.
REPORT_FORUMS = {"authority", "court"}
REPORT_DOCUMENTS = {"acceptance_notice", "decision"}
UNITS = {"calendar_days", "business_days", "months", "hours"}
# The acts a procedure serves on case roles (``serve:`` in its data): every filing kind, the change
# of state, and every entry action. Each act it can perform must name its addressees.
STATE_CHANGED = "state_changed"
# Acts that a domain performs by a reasoned decision of a person (DSA Art. 16(5)-(6): the decision on a
# notice; Art. 20(4)-(5): the decision on an internal complaint), served like any other act.
DECISION_ACTS = {"notice_decision", "complaint", "complaint_decision"}
# Acts of the conduct and security domains around a case (a wrongful-notice finding; a seller's security offered,
# decided, and released with the outcome: Platform Rule 22), served on the parties like the procedure's own.
# The conduct domain's measures on a party's account (a warning, the suspension of notice processing, an account
# measure and their end: Platform Rules 16, 17 and 20(4)) and the health-and-safety fast track's steps (Rule 20),
# served on the person they affect.
CONDUCT_ACTS = {
    "conduct_warning": EventKind.CONDUCT_WARNING_ISSUED,
    "notice_processing_suspended": EventKind.NOTICE_PROCESSING_SUSPENDED,
    "account_measure": EventKind.ACCOUNT_MEASURE_ORDERED,
    "account_measure_ended": EventKind.ACCOUNT_MEASURE_ENDED,
    "health_safety_fast_track": EventKind.HEALTH_SAFETY_MATCHED,
    "provisional_measure": EventKind.PROVISIONAL_MEASURE_ORDERED,
    "provisional_measure_ended": EventKind.PROVISIONAL_MEASURE_ENDED,
    "health_safety_cleared": EventKind.HEALTH_SAFETY_CLEARED,
}
# The measures a settlement signed by both parties orders from the platform (Platform Rule 9), served on the parties.
SETTLEMENT_MEASURES = "settlement_measures"
CASE_SIDE_ACTS = {
    "wrongful_notice_finding",
    "security_offer",
    "security_decision",
    "security_release",
    SETTLEMENT_MEASURES,
    "pause_request",
    "pause_decision",
    *CONDUCT_ACTS,
}
# An open deadline moved by an official holiday schedule added as data (odr.procedure.calendar_changes).
DEADLINE_MOVED = "deadline_moved"
ACTS = FILING_KINDS | {STATE_CHANGED, DEADLINE_MOVED} | set(ENTRY_ACTIONS) | DECISION_ACTS | CASE_SIDE_ACTS
# The event on the case's timeline that each act's deliveries serve (and whose label names the act).
ACT_EVENTS: dict[str, EventKind] = {
    **{kind: EventKind.filed(kind) for kind in FILING_KINDS},
    STATE_CHANGED: EventKind.STATE_CHANGED,
    "take_measures": EventKind.MEASURE_TAKEN,
    "lift_measures": EventKind.MEASURE_LIFTED,
    SETTLEMENT_MEASURES: EventKind.MEASURES_ORDERED,
    "statement_of_reasons": EventKind.STATEMENT_OF_REASONS,
    "export_to_court": EventKind.EXPORTED_TO_COURT,
    "notice_decision": EventKind.NOTICE_DECIDED,
    "complaint": EventKind.COMPLAINT_FILED,
    "complaint_decision": EventKind.COMPLAINT_DECIDED,
    "wrongful_notice_finding": EventKind.WRONGFUL_NOTICE_DECIDED,
    "security_offer": EventKind.SECURITY_OFFERED,
    "security_decision": EventKind.SECURITY_DECIDED,
    "security_release": EventKind.SECURITY_RELEASED,
    "pause_request": EventKind.PAUSE_REQUESTED,
    "pause_decision": EventKind.PAUSE_DECIDED,
    **CONDUCT_ACTS,
    DEADLINE_MOVED: EventKind.DEADLINE_MOVED,
}
# The texts the law requires a delivery to say (``statements:`` in a procedure): one Jinja template per
# statement in odr/templates/notifications/statements/, rendered in the addressee's language.
STATEMENT_TEMPLATES = frozenset(
    path.stem
    for path in (Path(__file__).parent.parent / "templates" / "notifications" / "statements").glob("*.txt")
    if not path.stem.startswith("_")  # a part the statements include
)
# How sure we are of a cited rule (the reference's tags): seen in the primary text, from a
# secondary source, or uncertain. Uncertain rules are encoded, flagged and shown as such.
CONFIDENCE = {"verified", "secondary", "unverified"}
# Where a "verified" citation's link must point: the official publication of the text it cites (the NPC's
# law database and the SPC for Chinese law, e-Gov for Japan, EUR-Lex, legislation.gov.uk, the US Code
# and the Federal Register, UNCITRAL's own site) or the platform's own published rules. A translation or
# an aggregator (Cornell LII, AsianLII, a law firm's page) makes a citation ``secondary``.
PRIMARY_SOURCES = (
    "https://flk.npc.gov.cn/",
    "http://www.npc.gov.cn/",
    "https://www.npc.gov.cn/",
    "https://www.court.gov.cn/",
    "https://elaws.e-gov.go.jp/",
    "https://laws.e-gov.go.jp/",
    "https://eur-lex.europa.eu/",
    "https://www.legislation.gov.uk/",
    "https://uscode.house.gov/",
    "https://www.govinfo.gov/",
    "https://www.gov.cn/",  # the State Council: its General Office's yearly holiday schedules
    "https://uncitral.un.org/",
    "docs/platform-rules.md",
)


class ProcedureError(ValueError):
    """A procedure file is malformed or its graph is unsound; the message names the problem."""


@dataclass(frozen=True)
class Citation:
    instrument: str
    article: str
    link: str = ""
    note: str = ""
    confidence: str = "unverified"

    def as_dict(self) -> dict:
        return {
            "instrument": self.instrument,
            "article": self.article,
            "link": self.link,
            "note": self.note,
            "confidence": self.confidence,
        }

    def __str__(self) -> str:
        return f"{self.instrument}, {self.article}"


@dataclass(frozen=True)
class State:
    name: str
    title: str
    citation: Citation
    final: bool = False
    outcome: str | None = None
    filings: tuple[str, ...] = ()
    on_enter: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    """What a step taken by a report must carry: the forum (an administrative authority or a court), the document
    that proves the matter (its acceptance notice, or the decision ending it) and the outcomes it may report."""

    forum: str
    document: str
    outcomes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    name: str
    title: str
    sources: tuple[str, ...]
    target: str
    roles: frozenset[str]
    citation: Citation
    filing: str | None = None
    when: str | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    actions: tuple[str, ...] = ()  # done when the transition is taken, before the case moves
    # Taken only by a reasoned decision that its domain records (a reviewer's decision on a notice), never by
    # a button without reasons, a filing or a timer.
    decision: bool = False
    report: Report | None = None  # taken only by a report with its document (the filing kind ``report``)

    def in_force(self, on: date) -> bool:
        return _in_force(self.effective_from, self.effective_to, on)

    @property
    def on_request(self) -> bool:
        """Taken by a participant's request, not by a filing, a reasoned decision nor automatically."""
        return self.filing is None and self.when is None and not self.decision


@dataclass(frozen=True)
class Period:
    count: int
    unit: str
    latest: int | None = None  # a window: the consequence applies after ``count``, never after ``latest``


@dataclass(frozen=True)
class Extension:
    """Time a participant may add to a running period: a pause (CN: notarization delays not
    counted) or an extension (EU DSA Art. 21: highly complex disputes), up to a maximum."""

    max_count: int
    unit: str
    roles: frozenset[str]  # who decides (or orders) it
    citation: Citation
    requested_by: frozenset[str] = frozenset()  # who may ask for it, with proof (odr.procedure.pauses)
    effective_from: date | None = None
    # How the time added combines with the period, as the platform reads the rule: {reading, alternative,
    # confidence, note}; shown with the deadline.
    combination: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """A period that starts when ``role`` receives the delivery of ``act`` (the jurisdiction's receipt rule)."""

    act: str
    role: str


@dataclass(frozen=True)
class ComplaintRule:
    """An internal complaint-handling system (DSA Art. 20): a lane beside the procedure's states, open to each
    role for ``period`` from when that role was informed of the decision (the receipt of ``informed_by[role]``
    under the jurisdiction's receipt rule), whatever the state; decided by a person, never by a timer."""

    period: Period
    informed_by: dict[str, str]  # case role -> the act whose receipt informs it of the decision
    citation: Citation
    roll_forward: bool = False


@dataclass(frozen=True)
class MeasureReminders:
    """Reminders of a measure the platform client has not confirmed: to the case's mediator (with none, the
    operator's administrators), once at each of ``after_hours`` after the measure was ordered."""

    after_hours: tuple[int, ...]  # smallest first
    citation: Citation


@dataclass(frozen=True)
class Statement:
    """What the law requires the delivery of ``act`` to ``role`` to say: a template rendered in the
    addressee's language, with the figures the law sets (``values``) and the rule that requires it."""

    act: str
    role: str
    template: str
    citation: Citation
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Timer:
    name: str
    title: str
    state: str
    period: Period
    target: str
    citation: Citation
    effective_from: date | None = None
    effective_to: date | None = None
    extension: Extension | None = None
    actions: tuple[str, ...] = ()  # done when the period runs out, before the case moves
    # A statutory period to which the jurisdiction's holiday rule applies (a period ending on a
    # non-working day ends on the next working day, where the jurisdiction says so). The
    # platform's own periods end on their last day.
    roll_forward: bool = False
    # Where the law starts the period at the receipt of an act by a role (CN Art. 43(2): when the
    # forwarded declaration reaches the right holder), not when the state is entered.
    receipt: Receipt | None = None
    # The case roles that must act before the period runs out: reminded before it does (reminder_hours).
    remind: frozenset[str] = frozenset()
    # Whose act the period waits for: the case roles that must (or may) act before it runs out, told so
    # by "What to do next". A role it awaits must have something to do in the timer's state.
    awaits: frozenset[str] = frozenset()

    def in_force(self, on: date) -> bool:
        return _in_force(self.effective_from, self.effective_to, on)

    @property
    def pause_on_request(self) -> Extension | None:
        """The rule under which a participant may ask for a pause of this period (odr.procedure.pauses), if any."""
        return self.extension if self.extension is not None and self.extension.requested_by else None


def _in_force(start: date | None, end: date | None, on: date) -> bool:
    return (start is None or start <= on) and (end is None or on <= end)


# The proportionate measures a notice may ask for (``notice_measures:`` in a procedure, each with the rule
# that allows it): a take-down, visible but not purchasable in named regions, or one element removed.
NOTICE_MEASURE_KINDS = ("take_down", "not_purchasable_in", "remove_element")


@dataclass(frozen=True)
class NoticeMeasure:
    kind: str
    citation: Citation


@dataclass
class Procedure:
    code: str
    version: str
    title: str
    initial: str
    time_zone: str
    citation: Citation
    states: dict[str, State]
    transitions: list[Transition]
    timers: list[Timer]
    effective_from: date | None = None
    effective_to: date | None = None
    source: str = ""
    # Which case roles each act is served on (act -> roles): the addressees of its deliveries.
    serve: dict[str, frozenset[str]] = field(default_factory=dict)
    complaints: ComplaintRule | None = None
    # What the law requires some deliveries to say: (act, role) -> statement.
    statements: dict[tuple[str, str], Statement] = field(default_factory=dict)
    # How long before a period runs out its ``remind`` roles are reminded, in hours (largest first).
    reminder_hours: tuple[int, ...] = (72, 24)
    # When the people who can chase the platform are reminded of a measure it has not confirmed (none: never).
    measure_reminders: MeasureReminders | None = None
    graph: nx.MultiDiGraph = field(default_factory=nx.MultiDiGraph, repr=False)
    # Deliveries the law requires (``legally_required:`` act -> roles): sent by e-mail whatever the
    # addressee's notification preferences say.
    legally_required: dict[str, frozenset[str]] = field(default_factory=dict)
    # The measures a notice may ask for where the procedure takes measures on notices (kind -> rule).
    notice_measures: dict[str, NoticeMeasure] = field(default_factory=dict)

    # -- queries used by the services ---------------------------------------------------------
    def state(self, name: str) -> State:
        return self.states[name]

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def transitions_from(self, state: str, on: date) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources and t.in_force(on)]

    def transition_for_filing(self, state: str, kind: str, on: date) -> Transition | None:
        return next((t for t in self.transitions_from(state, on) if t.filing == kind), None)

    def timers_for(self, state: str, on: date) -> list[Timer]:
        return [t for t in self.timers if t.state == state and t.in_force(on)]

    def timer(self, name: str) -> Timer | None:
        return next((t for t in self.timers if t.name == name), None)

    def filings_allowed(self, state: str) -> tuple[str, ...]:
        return self.states[state].filings

    def addressees(self, act: str) -> frozenset[str]:
        return self.serve.get(act, frozenset())

    def is_legally_required(self, act: str, role: str) -> bool:
        """Declared in ``legally_required:``, or the law requires what the delivery says (``statements:``)."""
        return role in self.legally_required.get(act, frozenset()) or (act, role) in self.statements

    def statement(self, act: str, role: str) -> Statement | None:
        return self.statements.get((act, role))

    def acts(self) -> set[str]:
        """Every act the procedure can perform: each must name its addressees."""
        found = {"notice", STATE_CHANGED}
        for state in self.states.values():
            found |= set(state.filings) | set(state.on_enter)
        for transition in self.transitions:
            found |= set(transition.actions) | ({transition.filing} if transition.filing else set())
        for timer in self.timers:
            found |= set(timer.actions)
        return found


# -- loading -----------------------------------------------------------------------------------


def _date(value, where: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ProcedureError(f"{where}: '{value}' is not a date (YYYY-MM-DD)") from exc


def _citation(raw, where: str) -> Citation:
    if not isinstance(raw, dict) or not raw.get("instrument") or not raw.get("article"):
        raise ProcedureError(f"{where} has no citation (instrument and article are required)")
    if raw.get("confidence") in (None, ""):
        # Nothing counts as verified by default: each citation says how sure its author is.
        raise ProcedureError(f"{where}: the citation has no confidence (one of {', '.join(sorted(CONFIDENCE))})")
    confidence = str(raw["confidence"])
    if confidence not in CONFIDENCE:
        raise ProcedureError(f"{where}: confidence must be one of {sorted(CONFIDENCE)}")
    if confidence != "verified" and not raw.get("note"):
        raise ProcedureError(f"{where}: a {confidence} citation needs a note saying what is uncertain")
    if confidence == "verified" and not str(raw.get("link", "")).startswith(PRIMARY_SOURCES):
        raise ProcedureError(
            f"{where}: a verified citation links the primary text it was checked against "
            f"(an official source: {', '.join(PRIMARY_SOURCES)}); otherwise it is secondary"
        )
    return Citation(
        instrument=str(raw["instrument"]),
        article=str(raw["article"]),
        link=str(raw.get("link", "")),
        note=str(raw.get("note", "")).strip(),
        confidence=confidence,
    )


def _actions(raw, where: str) -> tuple[str, ...]:
    actions = tuple(raw or ())
    for action in actions:
        if action not in ENTRY_ACTIONS:
            raise ProcedureError(f"{where} has unknown action '{action}'")
    return actions


def _serve(raw, where: str) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        raise ProcedureError(f"{where} declares no addressees ('serve': act -> case roles)")
    serve = {}
    for act, roles in raw.items():
        if act not in ACTS:
            raise ProcedureError(f"{where}: 'serve' names unknown act '{act}'")
        roles = frozenset(roles or ())
        unknown = sorted(roles - CASE_ROLES)
        if unknown:
            raise ProcedureError(f"{where}: act '{act}' is served on unknown role(s) {', '.join(unknown)}")
        serve[act] = roles
    return serve


def _complaints(raw, where: str) -> ComplaintRule | None:
    if raw is None:
        return None
    cw = f"{where}: internal_complaints"
    period = raw.get("period") if isinstance(raw, dict) else None
    unit = period.get("unit") if isinstance(period, dict) else None
    count = period.get("count") if isinstance(period, dict) else None
    if unit not in UNITS - {"hours"} or not isinstance(count, int) or count <= 0:
        raise ProcedureError(f"{cw} needs a period with a positive count and a unit in days or months")
    informed_by = raw.get("informed_by")
    if not isinstance(informed_by, dict) or not informed_by:
        raise ProcedureError(f"{cw} needs 'informed_by' (case role -> the act that informs it of the decision)")
    for role, act in informed_by.items():
        if role not in CASE_ROLES or act not in ACTS:
            raise ProcedureError(f"{cw}: 'informed_by' maps a case role to an act ({role}: {act})")
    return ComplaintRule(
        period=Period(count=count, unit=unit),
        informed_by={str(k): str(v) for k, v in informed_by.items()},
        citation=_citation(raw.get("citation"), cw),
        roll_forward=bool(raw.get("roll_forward", False)),
    )


def _statements(raw, where: str) -> dict[tuple[str, str], Statement]:
    """``statements: {act: {role: {template, citation, values}}}``: the legal text of a delivery."""
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise ProcedureError(f"{where}: 'statements' must map acts to roles")
    found = {}
    for act, by_role in raw.items():
        if act not in ACTS:
            raise ProcedureError(f"{where}: 'statements' names unknown act '{act}'")
        for role, spec in (by_role or {}).items():
            at = f"{where}: statement of '{act}' to '{role}'"
            if role not in CASE_ROLES:
                raise ProcedureError(f"{at}: unknown role")
            if not isinstance(spec, dict) or spec.get("template") not in STATEMENT_TEMPLATES:
                raise ProcedureError(f"{at}: 'template' must be one of {', '.join(sorted(STATEMENT_TEMPLATES))}")
            values = spec.get("values") or {}
            if not isinstance(values, dict):
                raise ProcedureError(f"{at}: 'values' must be a mapping")
            citation = _citation(spec.get("citation"), at)
            found[(act, role)] = Statement(act, role, spec["template"], citation, values)
    return found


def _report(raw, where: str) -> Report | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, dict)
        or raw.get("forum") not in REPORT_FORUMS
        or raw.get("document") not in REPORT_DOCUMENTS
    ):
        raise ProcedureError(
            f"{where}: 'report' needs a forum in {sorted(REPORT_FORUMS)} and a document in {sorted(REPORT_DOCUMENTS)}"
        )
    outcomes = raw.get("outcomes") or []
    if not isinstance(outcomes, list) or not all(isinstance(o, str) and o for o in outcomes):
        raise ProcedureError(f"{where}: a report's 'outcomes' is a list of names")
    return Report(forum=raw["forum"], document=raw["document"], outcomes=tuple(outcomes))


def _roles(raw, where: str) -> frozenset[str]:
    roles = frozenset(raw or ())
    unknown = sorted(roles - CASE_ROLES)
    if unknown:
        raise ProcedureError(f"{where} names unknown role(s) {', '.join(unknown)}")
    return roles


def _hours(raw, where: str) -> tuple[int, ...]:
    if raw is None:
        return (72, 24)
    if not isinstance(raw, list) or not all(isinstance(h, int) and h > 0 for h in raw):
        raise ProcedureError(f"{where}: 'reminder_hours' must be a list of positive whole hours")
    return tuple(sorted(set(raw), reverse=True))


def _measure_reminders(raw, where: str) -> MeasureReminders | None:
    if raw is None:
        return None
    where = f"{where}: 'measure_reminders'"
    hours = raw.get("after_hours") if isinstance(raw, dict) else None
    if not isinstance(hours, list) or not hours or not all(isinstance(h, int) and h > 0 for h in hours):
        raise ProcedureError(f"{where} needs 'after_hours', a list of positive whole hours")
    return MeasureReminders(after_hours=tuple(sorted(set(hours))), citation=_citation(raw.get("citation"), where))


def _require(raw: dict, key: str, where: str):
    if key not in raw or raw[key] in (None, ""):
        raise ProcedureError(f"{where} lacks '{key}'")
    return raw[key]


def parse(raw: dict, source: str = "<data>") -> Procedure:
    """Build a procedure from parsed data and check it; raise ProcedureError naming any problem."""
    if not isinstance(raw, dict):
        raise ProcedureError(f"{source}: a procedure file must be a mapping")
    code = str(_require(raw, "code", source))
    where = f"procedure {code}"
    default_citation = _citation(raw.get("citation"), where)

    states: dict[str, State] = {}
    for name, spec in (_require(raw, "states", where) or {}).items():
        spec = spec or {}
        filings = tuple(spec.get("filings", ()))
        for kind in filings:
            if kind not in FILING_KINDS:
                raise ProcedureError(f"state '{name}' allows unknown filing kind '{kind}'")
        on_enter = tuple(spec.get("on_enter", ()))
        for action in on_enter:
            if action not in ENTRY_ACTIONS:
                raise ProcedureError(f"state '{name}' has unknown entry action '{action}'")
        states[name] = State(
            name=name,
            title=str(spec.get("title", name)),
            on_enter=on_enter,
            citation=_citation(spec.get("citation", raw.get("citation")), f"state '{name}'"),
            final=bool(spec.get("final", False)),
            outcome=spec.get("outcome"),
            filings=filings,
        )

    transitions = []
    for spec in raw.get("transitions") or []:
        name = str(_require(spec, "name", f"{where}: a transition"))
        tw = f"transition '{name}'"
        sources = spec.get("from")
        sources = tuple(sources if isinstance(sources, list) else [sources])
        roles = frozenset(spec.get("roles") or [])
        if not roles:
            raise ProcedureError(f"{tw} names no role allowed to take it")
        unknown = roles - CASE_ROLES
        if unknown:
            raise ProcedureError(f"{tw} names unknown role(s) {', '.join(sorted(unknown))}")
        filing = spec.get("filing")
        if filing is not None and filing not in FILING_KINDS:
            raise ProcedureError(f"{tw} is triggered by unknown filing kind '{filing}'")
        when = spec.get("when")
        if when is not None and when not in CONDITIONS:
            raise ProcedureError(f"{tw} is taken on unknown condition '{when}'")
        report = _report(spec.get("report"), tw)
        if report is not None:
            filing = "report"
        elif filing == "report":
            raise ProcedureError(f"{tw}: a report names its forum and document ('report:')")
        transitions.append(
            Transition(
                name=name,
                title=str(spec.get("title", name)),
                sources=sources,
                target=str(_require(spec, "to", tw)),
                roles=roles,
                filing=filing,
                when=when,
                citation=_citation(spec.get("citation"), tw),
                actions=_actions(spec.get("actions"), tw),
                decision=bool(spec.get("decision", False)),
                report=report,
                effective_from=_date(spec.get("effective_from"), tw),
                effective_to=_date(spec.get("effective_to"), tw),
            )
        )
        if transitions[-1].decision and (filing is not None or when is not None):
            raise ProcedureError(f"{tw}: a reasoned decision is not also a filing or an automatic step")

    timers = []
    for spec in raw.get("timers") or []:
        name = str(_require(spec, "name", f"{where}: a timer"))
        tw = f"timer '{name}'"
        period = _require(spec, "period", tw)
        unit = period.get("unit") if isinstance(period, dict) else None
        count = period.get("count") if isinstance(period, dict) else None
        if unit not in UNITS or not isinstance(count, int) or count <= 0:
            raise ProcedureError(f"{tw} needs a period with a positive count and a unit in {sorted(UNITS)}")
        latest = period.get("latest")
        if latest is not None and (not isinstance(latest, int) or latest < count or unit == "hours"):
            raise ProcedureError(f"{tw}: a window's latest count must be a whole number of days, at least its count")
        extension = None
        if spec.get("extension") is not None:
            raw_ext = spec["extension"]
            ext_unit, ext_max = raw_ext.get("unit"), raw_ext.get("max")
            if ext_unit not in UNITS - {"hours", "months"} or not isinstance(ext_max, int) or ext_max <= 0:
                raise ProcedureError(f"{tw}: an extension needs a positive 'max' and a unit in days")
            ext_roles = frozenset(raw_ext.get("roles") or ["mediator"])
            requested_by = frozenset(raw_ext.get("requested_by") or ())
            if (ext_roles | requested_by) - CASE_ROLES:
                raise ProcedureError(f"{tw}: an extension names unknown role(s)")
            combination = raw_ext.get("combination") or {}
            if combination and (
                not isinstance(combination, dict)
                or not combination.get("reading")
                or combination.get("confidence") not in CONFIDENCE
            ):
                raise ProcedureError(f"{tw}: an extension's 'combination' needs a 'reading' and its 'confidence'")
            extension = Extension(
                max_count=ext_max,
                unit=ext_unit,
                roles=ext_roles,
                citation=_citation(raw_ext.get("citation"), f"{tw} extension"),
                requested_by=requested_by,
                effective_from=_date(raw_ext.get("effective_from"), f"{tw} extension"),
                combination=dict(combination),
            )
        receipt = None
        if spec.get("starts_at_receipt") is not None:
            raw_receipt = spec["starts_at_receipt"]
            act, by = (raw_receipt.get("of"), raw_receipt.get("by")) if isinstance(raw_receipt, dict) else (None, None)
            if act not in ACTS or by not in CASE_ROLES:
                raise ProcedureError(f"{tw}: 'starts_at_receipt' needs 'of' (an act) and 'by' (a case role)")
            receipt = Receipt(act=act, role=by)
        awaits = spec.get("awaits") or []
        if not isinstance(awaits, list) or set(awaits) - CASE_ROLES:
            raise ProcedureError(f"{tw}: 'awaits' must list case roles")
        timers.append(
            Timer(
                name=name,
                title=str(spec.get("title", name)),
                state=str(_require(spec, "state", tw)),
                period=Period(count=count, unit=unit, latest=latest),
                target=str(spec.get("to") or ""),
                citation=_citation(spec.get("citation"), tw),
                extension=extension,
                roll_forward=bool(spec.get("roll_forward", False)),
                receipt=receipt,
                remind=_roles(spec.get("remind"), f"{tw}: 'remind'"),
                awaits=frozenset(awaits),
                actions=_actions(spec.get("actions"), tw),
                effective_from=_date(spec.get("effective_from"), tw),
                effective_to=_date(spec.get("effective_to"), tw),
            )
        )

    procedure = Procedure(
        code=code,
        version=str(_require(raw, "version", where)),
        title=str(raw.get("title", code)),
        initial=str(_require(raw, "initial", where)),
        time_zone=str(raw.get("time_zone", "UTC")),
        citation=default_citation,
        states=states,
        transitions=transitions,
        timers=timers,
        effective_from=_date(raw.get("effective_from"), where),
        effective_to=_date(raw.get("effective_to"), where),
        source=source,
        serve=_serve(raw.get("serve"), where),
        legally_required=_serve(raw.get("legally_required") or {}, where),
        complaints=_complaints(raw.get("internal_complaints"), where),
        statements=_statements(raw.get("statements"), where),
        reminder_hours=_hours(raw.get("reminder_hours"), where),
        notice_measures=_notice_measures(raw.get("notice_measures"), where),
        measure_reminders=_measure_reminders(raw.get("measure_reminders"), where),
    )
    check(procedure)
    return procedure


def _notice_measures(raw, where: str) -> dict[str, NoticeMeasure]:
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict):
        raise ProcedureError(f"{where}: 'notice_measures' maps each measure a notice may ask for to its citation")
    found = {}
    for kind, spec in raw.items():
        if kind not in NOTICE_MEASURE_KINDS:
            raise ProcedureError(f"{where}: unknown notice measure '{kind}' (one of {', '.join(NOTICE_MEASURE_KINDS)})")
        found[kind] = NoticeMeasure(kind, _citation((spec or {}).get("citation"), f"{where} notice measure '{kind}'"))
    return found


def check(procedure: Procedure) -> None:
    """Check the graph: known states, reachability from the start, a way to an end from every state."""
    states = procedure.states
    if procedure.initial not in states:
        raise ProcedureError(f"the initial state '{procedure.initial}' is not defined")
    if not any(s.final for s in states.values()):
        raise ProcedureError("the procedure has no final state")
    names = [t.name for t in procedure.transitions] + [t.name for t in procedure.timers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ProcedureError(f"duplicate transition or timer name(s): {', '.join(duplicates)}")

    graph = nx.MultiDiGraph()
    graph.add_nodes_from(states)
    for t in procedure.transitions:
        for source in t.sources:
            if source not in states:
                raise ProcedureError(f"transition '{t.name}' starts from undefined state '{source}'")
            if states[source].final:
                raise ProcedureError(f"transition '{t.name}' leaves final state '{source}'")
        if t.target not in states:
            raise ProcedureError(f"transition '{t.name}' leads to undefined state '{t.target}'")
        for source in t.sources:
            graph.add_edge(source, t.target, key=t.name)
    for timer in procedure.timers:
        if timer.state not in states:
            raise ProcedureError(f"timer '{timer.name}' runs in undefined state '{timer.state}'")
        if not timer.target:
            raise ProcedureError(f"timer '{timer.name}' in state '{timer.state}' leads nowhere (no 'to')")
        if timer.target not in states:
            raise ProcedureError(
                f"timer '{timer.name}' in state '{timer.state}' leads to undefined state '{timer.target}'"
            )
        if states[timer.state].final:
            raise ProcedureError(f"timer '{timer.name}' runs in final state '{timer.state}'")
        if timer.target == timer.state:
            raise ProcedureError(f"timer '{timer.name}' in state '{timer.state}' leads back to the same state")
        for role in sorted(timer.awaits):
            if not _may_act_in(procedure, timer.state, role):
                raise ProcedureError(
                    f"timer '{timer.name}' awaits '{role}', who can take no step nor file anything "
                    f"in state '{timer.state}'"
                )
        graph.add_edge(timer.state, timer.target, key=timer.name)

    if "take_measures" in procedure.acts() and not procedure.notice_measures:
        raise ProcedureError("the procedure takes measures on notices but says which in no 'notice_measures'")
    if procedure.notice_measures and "take_measures" not in procedure.acts():
        raise ProcedureError("'notice_measures' are declared, but the procedure takes no measure ('take_measures')")
    undeclared = sorted(procedure.acts() - set(procedure.serve))
    if undeclared:
        raise ProcedureError(f"act(s) without declared addressees ('serve'): {', '.join(undeclared)}")
    for act, roles in procedure.legally_required.items():
        if not roles <= procedure.addressees(act):
            raise ProcedureError(f"'{act}' is legally required for roles it is not served on ('serve')")
    if procedure.complaints is not None:
        for role, act in procedure.complaints.informed_by.items():
            if role not in procedure.addressees(act):
                raise ProcedureError(f"internal complaints: '{role}' is informed by '{act}', which is not served on it")
    for (act, role), statement in procedure.statements.items():
        if role not in procedure.addressees(act):
            raise ProcedureError(
                f"the law's statement '{statement.template}' goes with '{act}' to '{role}', "
                "which the procedure does not serve on that role"
            )
    for timer in procedure.timers:
        if timer.receipt and timer.receipt.role not in procedure.addressees(timer.receipt.act):
            raise ProcedureError(
                f"timer '{timer.name}' starts at the receipt of '{timer.receipt.act}' by "
                f"'{timer.receipt.role}', which the procedure does not serve on that role"
            )

    reachable = nx.descendants(graph, procedure.initial) | {procedure.initial}
    unreachable = sorted(set(states) - reachable)
    if unreachable:
        raise ProcedureError(f"state(s) unreachable from '{procedure.initial}': {', '.join(unreachable)}")
    finals = {name for name, s in states.items() if s.final}
    for name, s in states.items():
        if s.final:
            continue
        if not (nx.descendants(graph, name) & finals):
            raise ProcedureError(f"state '{name}' is a dead end: no final state can be reached from it")
    procedure.graph = graph


PARTY_ROLES = frozenset({CaseRole.CLAIMANT, CaseRole.RESPONDENT})


def _may_act_in(procedure: Procedure, state: str, role: str) -> bool:
    """Whether a role has a step of its own out of a state, or (a party) a filing beyond a message in it."""
    if any(state in t.sources and role in t.roles for t in procedure.transitions):
        return True
    return role in PARTY_ROLES and bool(set(procedure.states[state].filings) - {"message"})


def _read(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProcedureError(f"{path.name}: not valid YAML ({exc})") from exc
    except OSError as exc:
        raise ProcedureError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    if not isinstance(raw, dict):
        raise ProcedureError(f"{path.name}: a procedure file must be a mapping")
    return raw


def _merged(path: Path, seen: tuple[str, ...] = ()) -> dict:
    """The file's data on top of the procedure it ``extends`` (same folder).

    States merge by name (a state set to null is removed); transitions and timers replace the
    base's ones of the same name, and ``remove`` drops base transitions or timers by name.
    Everything else in the file replaces the base's value.
    """
    raw = _read(path)
    base_name = raw.pop("extends", None)
    if not base_name:
        return raw
    if base_name in seen:
        raise ProcedureError(f"{path.name}: circular 'extends' through {base_name}")
    base = _merged(path.parent / f"{base_name}.yaml", seen + (path.stem,))
    removed = set(raw.pop("remove", None) or ())
    merged = {k: v for k, v in base.items() if k not in {"code", "version", "effective_from", "effective_to"}}
    states = dict(base.get("states") or {})
    for name, spec in (raw.pop("states", None) or {}).items():
        if spec is None:
            states.pop(name, None)
        else:
            states[name] = spec
    merged["states"] = states
    # Addressees merge by act: a jurisdiction overrides the acts it serves differently.
    merged["serve"] = {**(base.get("serve") or {}), **(raw.pop("serve", None) or {})}
    # And so do the deliveries the law requires (always e-mailed, whatever the addressee's preferences).
    merged["legally_required"] = {
        **(base.get("legally_required") or {}),
        **(raw.pop("legally_required", None) or {}),
    }
    # So do the statements the law requires a delivery to say.
    merged["statements"] = {**(base.get("statements") or {}), **(raw.pop("statements", None) or {})}
    for key in ("transitions", "timers"):
        own = raw.pop(key, None) or []
        names = {item.get("name") for item in own} | removed
        merged[key] = [item for item in base.get(key) or [] if item.get("name") not in names] + own
    merged.update(raw)
    return merged


def load_file(path: Path) -> Procedure:
    return parse(_merged(path), source=path.name)


class Registry:
    """Every procedure file in a folder, by (code, version)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.procedures: dict[tuple[str, str], Procedure] = {}
        for path in sorted(self.folder.glob("*.yaml")):
            procedure = load_file(path)
            key = (procedure.code, procedure.version)
            if key in self.procedures:
                raise ProcedureError(f"{path.name}: procedure {key[0]} version {key[1]} is defined twice")
            self.procedures[key] = procedure

    @cached_property
    def final_states(self) -> frozenset[str]:
        """Names of the states that end a case, across all procedures (read per row of every list of cases)."""
        return frozenset(name for p in self.procedures.values() for name, s in p.states.items() if s.final)

    def get(self, code: str, version: str) -> Procedure:
        try:
            return self.procedures[(code, version)]
        except KeyError:
            raise ProcedureError(f"no procedure {code} version {version} in {self.folder}") from None

    def current(self, code: str, on: date) -> Procedure:
        """The version of a procedure in force on a date (the latest one that started by then)."""
        candidates = [
            p for (c, _), p in self.procedures.items() if c == code and _in_force(p.effective_from, p.effective_to, on)
        ]
        if not candidates:
            raise ProcedureError(f"no version of procedure {code} is in force on {on.isoformat()}")
        return max(candidates, key=lambda p: p.effective_from or date.min)


@lru_cache(maxsize=8)
def registry(folder: str) -> Registry:
    return Registry(folder)
