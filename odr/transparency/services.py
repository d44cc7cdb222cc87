"""The public register of notices, declarations and handling results, the transparency report per
period, and the export of notices in the Lumen database's layout.

Personal data is minimised everywhere here: parties appear by country only (no names, no contact
data), filings by kind and date only (no text). Every figure is computed from the cases, filings,
measures and events in the database, with a fixed number of queries whatever the period holds.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from odr.accounts.models import Party
from odr.cases.models import Case, Event, Filing, FilingKind, RightType
from odr.conduct.models import AccountMeasure, MeasureStatus
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.linkage.models import LinkContest
from odr.mediation.models import Measure
from odr.models_base import utcnow
from odr.pagination import Page, keyset
from odr.translation.models import Translation, TranslationOrigin, TranslationStatus
from odr.vocabulary import EventKind

# The legal grounds of what is published, with how sure we are of the reading.
CITATIONS = {
    "register": {
        "instrument": "E-Commerce Law of the People's Republic of China",
        "article": "Art. 44",
        "text": "Platforms shall promptly publish the notices, declarations and results of handling they receive.",
        "effective_from": "2019-01-01",
        "confidence": "high",
    },
    "report": {
        "instrument": "Regulation (EU) 2022/2065 (Digital Services Act)",
        "article": "Arts. 15 and 24",
        "text": "Reports on notices by type, actions taken, median handling time, automated means, "
        "complaints, out-of-court disputes and suspensions.",
        "effective_from": "2024-02-17",
        "confidence": "high",
    },
}
MAX_PERIOD_DAYS = 3 * 366

OUTCOMES = {
    "open": _l("Open"),
    "settled": _l("Settled"),
    "withdrawn": _l("Withdrawn"),
    "decided": _l("Decided"),
    "escalated": _l("Escalated to a court"),
}
MEASURE_TITLES = {
    "take_down": _l("Taken down"),
    "restore": _l("Restored"),
    "remove_element": _l("Element removed"),
    "modify": _l("Modified"),
    "not_purchasable_in": _l("Not purchasable in some regions"),
    "restore_against_security": _l("Restored against security"),
}


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    jurisdiction: str | None = None
    right_type: str | None = None
    outcome: str | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, timezone.utc)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, timezone.utc)

    def query_args(self) -> dict:
        args = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        for key in ("jurisdiction", "right_type", "outcome"):
            if getattr(self, key):
                args[key] = getattr(self, key)
        return args


def check_filters(args, *, with_case_filters: bool = True) -> Filters:
    """The period (from, to: ISO dates, UTC days; default this calendar year) and the register's filters."""
    today = utcnow().date()
    fields: dict[str, str] = {}
    dates = {}
    for name, default in (("from", date(today.year, 1, 1)), ("to", today)):
        raw = (args.get(name) or "").strip()
        try:
            dates[name] = date.fromisoformat(raw) if raw else default
        except ValueError:
            fields[name] = _("Enter a date as YYYY-MM-DD.")
    if not fields and dates["from"] > dates["to"]:
        fields["to"] = _("The end of the period is before its start.")
    if not fields and (dates["to"] - dates["from"]).days > MAX_PERIOD_DAYS:
        fields["to"] = _("Choose a period of at most three years.")
    values: dict[str, str | None] = {}
    if with_case_filters:
        jurisdiction = (args.get("jurisdiction") or "").strip().upper() or None
        if jurisdiction and not re.fullmatch(r"[A-Z]{2,8}", jurisdiction):
            fields["jurisdiction"] = _("Unknown jurisdiction.")
        right_type = (args.get("right_type") or "").strip() or None
        if right_type and right_type not in {r.value for r in RightType}:
            fields["right_type"] = _("Unknown right type.")
        outcome = (args.get("outcome") or "").strip() or None
        if outcome and outcome not in OUTCOMES:
            fields["outcome"] = _("Unknown outcome.")
        values = {"jurisdiction": jurisdiction, "right_type": right_type, "outcome": outcome}
    if fields:
        raise ValidationFailed(_("Please correct the period or the filters."), fields)
    return Filters(dates["from"], dates["to"], **values)


def outcome_of(case: Case) -> str:
    return case.state if case.state in OUTCOMES else "open"


@dataclass
class NoticeRecord:
    """One notice with what happened to it, as published."""

    case: Case
    claimant_country: str
    respondent_country: str
    declarations: list[datetime]
    measures: list[Measure]
    closed_at: datetime | None

    @property
    def outcome(self) -> str:
        return outcome_of(self.case)

    @property
    def first_measure_at(self) -> datetime | None:
        return min((m.ordered_at for m in self.measures), default=None)

    def to_dict(self) -> dict:
        case = self.case
        return {
            "reference": case.reference,
            "received_at": case.created_at.isoformat(),
            "jurisdiction": case.jurisdiction,
            "right_type": case.right_type.value,
            "listings": [item.locator for item in case.listings],
            "claimant_country": self.claimant_country,
            "respondent_country": self.respondent_country,
            "declarations": [d.isoformat() for d in self.declarations],
            "measures": [
                {
                    "kind": m.kind.value,
                    "listing": m.listing,
                    "ordered_at": m.ordered_at.isoformat(),
                    "applied_at": m.confirmed_at.isoformat() if m.confirmed_at else None,
                }
                for m in self.measures
            ],
            "outcome": self.outcome,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
        }


def _notices_query(filters: Filters):
    query = (
        select(Case)
        .where(Case.created_at >= filters.start_at, Case.created_at < filters.end_at)
        .options(selectinload(Case.listings))
    )
    if filters.jurisdiction:
        query = query.where(Case.jurisdiction == filters.jurisdiction)
    if filters.right_type:
        query = query.where(Case.right_type == RightType(filters.right_type))
    return query


def notice_records(filters: Filters) -> list[NoticeRecord]:
    """Notices received in the period (and matching the filters), newest first, with their handling."""
    query = _notices_query(filters).order_by(Case.created_at.desc(), Case.id.desc())
    return _records(
        [c for c in db.session.scalars(query).all() if not filters.outcome or outcome_of(c) == filters.outcome]
    )


def notice_records_page(filters: Filters, limit: int, cursor: str | None) -> tuple[list[NoticeRecord], Page]:
    """One page of ``notice_records`` (keyset on the receipt instant and the id). Filtered by outcome, a page
    may hold fewer than ``limit`` notices: the outcome is read from the case after the page is read."""
    page = keyset(_notices_query(filters), [Case.created_at, Case.id], limit=limit, cursor=cursor)
    return _records([c for c in page.items if not filters.outcome or outcome_of(c) == filters.outcome]), page


def _records(cases: list[Case]) -> list[NoticeRecord]:
    ids = [c.id for c in cases]
    if not ids:
        return []
    countries = dict(
        db.session.execute(
            select(Party.id, Party.country).where(
                Party.id.in_({c.claimant_party_id for c in cases} | {c.respondent_party_id for c in cases})
            )
        ).all()
    )
    declarations: dict[int, list[datetime]] = defaultdict(list)
    for case_id, at in db.session.execute(
        select(Filing.case_id, Filing.created_at)
        .where(Filing.case_id.in_(ids), Filing.kind == FilingKind.COUNTER_NOTICE)
        .order_by(Filing.created_at)
    ):
        declarations[case_id].append(at)
    measures: dict[int, list[Measure]] = defaultdict(list)
    for measure in db.session.scalars(select(Measure).where(Measure.case_id.in_(ids)).order_by(Measure.id)):
        measures[measure.case_id].append(measure)
    closed: dict[int, datetime] = {}
    for case_id, payload, at in db.session.execute(
        select(Event.case_id, Event.payload, Event.created_at)
        .where(Event.case_id.in_(ids), Event.kind == EventKind.STATE_CHANGED)
        .order_by(Event.seq)
    ):
        if payload.get("to") in OUTCOMES and payload.get("to") not in ("open", "escalated"):
            closed.setdefault(case_id, at)
    return [
        NoticeRecord(
            c,
            countries.get(c.claimant_party_id, ""),
            countries.get(c.respondent_party_id, ""),
            declarations[c.id],
            measures[c.id],
            closed.get(c.id),
        )
        for c in cases
    ]


REGISTER_COLUMNS = [
    "reference",
    "received_at",
    "jurisdiction",
    "right_type",
    "listings",
    "claimant_country",
    "respondent_country",
    "declarations",
    "measures",
    "outcome",
    "closed_at",
]


def register_csv_rows(records: list[NoticeRecord]):
    yield REGISTER_COLUMNS
    for record in records:
        row = record.to_dict()
        row["listings"] = " ".join(row["listings"])
        row["declarations"] = " ".join(row["declarations"])
        row["measures"] = " ".join(f"{m['kind']}:{m['listing']}" for m in row["measures"])
        yield [row[c] if row[c] is not None else "" for c in REGISTER_COLUMNS]


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0, "median": None, "p90": None}
    ordered = sorted(values)
    p90 = statistics.quantiles(ordered, n=10, method="inclusive")[-1] if len(ordered) > 1 else ordered[0]
    return {"count": len(ordered), "median": round(statistics.median(ordered), 2), "p90": round(p90, 2)}


def transparency_report(filters: Filters) -> dict:
    """The figures DSA Arts. 15 and 24 ask for, over the notices received in the period."""
    records = notice_records(Filters(filters.start, filters.end))
    start, end = filters.start_at, filters.end_at
    measures = [m for r in records for m in r.measures]
    automated_steps = db.session.scalar(
        select(func.count())
        .select_from(Event)
        .where(
            Event.kind == EventKind.STATE_CHANGED,
            Event.actor_id.is_(None),
            Event.created_at >= start,
            Event.created_at < end,
        )
    )
    machine_translations = db.session.scalar(
        select(func.count())
        .select_from(Translation)
        .where(
            Translation.origin == TranslationOrigin.MACHINE,
            Translation.status == TranslationStatus.DONE,
            Translation.completed_at >= start,
            Translation.completed_at < end,
        )
    )
    contests = Counter(
        db.session.scalars(
            select(LinkContest.status).where(LinkContest.created_at >= start, LinkContest.created_at < end)
        )
    )
    account_measures = db.session.execute(
        select(AccountMeasure.policy, AccountMeasure.kind, AccountMeasure.status).where(
            AccountMeasure.starts_at >= start, AccountMeasure.starts_at < end
        )
    ).all()
    return {
        "period": {"from": filters.start.isoformat(), "to": filters.end.isoformat()},
        "citation": CITATIONS["report"],
        "notices": {
            "total": len(records),
            "by_right_type": dict(sorted(Counter(r.case.right_type.value for r in records).items())),
            "by_jurisdiction": dict(sorted(Counter(r.case.jurisdiction for r in records).items())),
            "by_outcome": {o: sum(r.outcome == o for r in records) for o in OUTCOMES},
        },
        "actions": {
            "by_measure": dict(sorted(Counter(m.kind.value for m in measures).items())),
            "notices_with_measures": sum(bool(r.measures) for r in records),
        },
        "handling_hours": {
            "to_first_measure": _percentiles(
                [_hours(r.first_measure_at - r.case.created_at) for r in records if r.first_measure_at]
            ),
            "to_closure": _percentiles([_hours(r.closed_at - r.case.created_at) for r in records if r.closed_at]),
        },
        "complaints": {
            "declarations": sum(len(r.declarations) for r in records),
            "link_contests": {
                "filed": sum(contests.values()),
                "upheld": contests.get("upheld", 0),
                "rejected": contests.get("rejected", 0),
                "open": contests.get("open", 0),
            },
        },
        # Every dispute here is before an out-of-court body (this platform); Art. 24(1)(a) asks how they ended.
        "out_of_court": {
            "submitted": len(records),
            "with_mediator": sum(r.case.mediator_id is not None for r in records),
            "settled": sum(r.outcome == "settled" for r in records),
            "escalated_to_court": sum(r.outcome == "escalated" for r in records),
        },
        "automated_means": {
            "procedural_steps_by_deadline": automated_steps,
            "machine_translations": machine_translations,
        },
        # Measures on whole accounts under the conduct policy (DSA Art. 23 and 24(1)(b)): notice processing
        # suspended for misuse, sellers warned, suspended or terminated as repeat infringers; and how many
        # of them an appeal lifted.
        "suspensions": {
            "notice_processing_suspended": sum(
                1 for m in account_measures if m.policy == "notice_misuse" and m.kind != "warning"
            ),
            "notifiers_warned": sum(1 for m in account_measures if m.policy == "notice_misuse" and m.kind == "warning"),
            "accounts_suspended": sum(
                1 for m in account_measures if m.policy == "repeat_infringer" and m.kind == "suspend_account"
            ),
            "accounts_terminated": sum(
                1 for m in account_measures if m.policy == "repeat_infringer" and m.kind == "terminate_account"
            ),
            "sellers_warned": sum(
                1 for m in account_measures if m.policy == "repeat_infringer" and m.kind == "warning"
            ),
            "lifted_on_appeal": sum(1 for m in account_measures if m.status == MeasureStatus.LIFTED_ON_APPEAL),
        },
    }


def report_csv_rows(report: dict):
    """The report flattened as (section, item, value) rows."""
    yield ["section", "item", "value"]

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for key, inner in value.items():
                yield from walk(f"{prefix}.{key}" if prefix else key, inner)
        else:
            section, _sep, item = prefix.partition(".")
            yield [section, item, "" if value is None else value]

    for key in (
        "period",
        "notices",
        "actions",
        "handling_hours",
        "complaints",
        "out_of_court",
        "automated_means",
        "suspensions",
    ):
        yield from walk(key, report[key])


LUMEN_TYPES = {"copyright": "DMCA", "trademark": "Trademark"}
LUMEN_ACTION = {True: "Yes", False: "No"}


def lumen_notices(filters: Filters, recipient: str, records: list[NoticeRecord] | None = None) -> list[dict]:
    """Notices in the field layout of the Lumen database's notice submission (``notice`` objects with
    ``works_attributes`` and ``entity_notice_roles_attributes``); names of senders are withheld, as
    Lumen itself redacts individuals."""
    notices = []
    for record in notice_records(filters) if records is None else records:
        case = record.case
        took = {m.kind.value for m in record.measures}
        action = (
            "Partial"
            if took & {"remove_element", "modify", "not_purchasable_in"}
            else LUMEN_ACTION["take_down" in took]
        )
        notices.append(
            {
                "title": f"{case.right_type.value.title()} notice {case.reference}",
                "type": LUMEN_TYPES.get(case.right_type.value, "Other"),
                "subject": f"{case.right_type.value} complaint under {case.jurisdiction} rules",
                "date_received": case.created_at.isoformat(),
                "date_sent": case.created_at.isoformat(),
                "jurisdiction_list": case.jurisdiction,
                "action_taken": action,
                "tag_list": f"odr, {record.outcome}",
                "works_attributes": [
                    {
                        "description": f"{case.right_type.value} asserted in notice {case.reference}",
                        "infringing_urls_attributes": [{"url": item.locator} for item in case.listings],
                        "copyrighted_urls_attributes": [],
                    }
                ],
                "entity_notice_roles_attributes": [
                    {"name": "recipient", "entity_attributes": {"name": recipient, "kind": "organization"}},
                    {
                        "name": "sender",
                        "entity_attributes": {"name": "[REDACTED]", "country_code": record.claimant_country},
                    },
                ],
            }
        )
    return notices
