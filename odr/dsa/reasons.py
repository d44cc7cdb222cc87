"""Statements of reasons (DSA Art. 17): every restriction of a listing is explained to the seller.

Art. 17(3) lists what the statement contains, and each has its key here:
(a) the measure and its territorial scope and duration (``measure``, ``territorial_scope``, ``duration``);
(b) the facts and circumstances relied on, including that a notice under Art. 16 triggered it (``facts``);
(c) whether and how automated means were used, in detecting and in deciding (``automated_means``);
(d)/(e) the legal or contractual ground and why the content is considered illegal or incompatible (``ground``);
(f) the redress open to the seller: internal complaint, certified out-of-court bodies, court (``redress``).

The territorial scope is the market the notice and the listing concern (the DSA applies to the Union market
the listing targets, alongside the platform's home law; docs/procedures.md), never the platform's home. The
duration is the truth at each moment: when the restriction ends (a withdrawal, a complaint upheld) the
statement is updated, as a new version on the case's event chain. The statement is kept in language-neutral
keys; the case page and the API render it in the reader's language, its delivery in the seller's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select

from odr.cases import events
from odr.cases.models import Case, FilingKind
from odr.conduct.health_safety import health_safety_policy, screen_of
from odr.conduct.signals import provisional_measure_required
from odr.conduct.triage import triage_of
from odr.extensions import db
from odr.mediation.models import Measure, MeasureStatus
from odr.notifications import deliveries
from odr.procedure import jurisdictions
from odr.procedure.services import procedure_of
from odr.procedure.signals import restriction_to_explain
from odr.vocabulary import EventKind

from .models import NoticeReview, ReviewStatus, StatementOfReasons

REDRESS = ["internal_complaint", "out_of_court_bodies", "court"]
# The restriction ended because its measures were lifted, the reason not (yet) known to the statement.
GENERIC_END = "measure_lifted"


@restriction_to_explain.in_transaction.connect
def _on_restriction(case: Case, *, at: datetime, **_data) -> None:
    # A provisional health-and-safety restriction still open is superseded by the decided one.
    previous = db.session.scalar(
        select(StatementOfReasons).where(StatementOfReasons.case_id == case.id).order_by(StatementOfReasons.id.desc())
    )
    if (
        previous is not None
        and previous.content.get("provisional")
        and not previous.content["duration"].get("ended_at")
    ):
        end_statement(case, at, "superseded_by_decision")
    statement_of_reasons(case, at)


@provisional_measure_required.in_transaction.connect
def _on_provisional(case: Case, *, at: datetime, measure: str, **_data) -> None:
    """The fast track's provisional take-down is a restriction too (Art. 17(1)): the seller gets a statement."""
    if procedure_of(case).complaints is None:
        return
    if measure == "restore":
        end_statement(case, at, GENERIC_END)
        return
    found = screen_of(case)
    rules = health_safety_policy()
    statement_of_reasons(
        case,
        at,
        provisional={
            "ground": "health_safety",
            "terms": sorted({m["term"] for m in found.matches}) if found is not None else [],
            "categories": found.categories if found is not None else [],
            "citation": rules.provisional_citation.as_dict(),
            "legal_basis": rules.legal_basis.as_dict(),
        },
    )


def territorial_scope(case: Case) -> tuple[list[str], str]:
    """The member states the restriction concerns, and where that comes from: the market the notice names for
    the listing; a listing offered to the whole Union (or named with no market on an EU platform) concerns
    every member state."""
    choice = case.procedure_choice
    market = choice.market if choice else None
    eu = jurisdictions.get("EU")
    members = sorted(eu.member_states) if eu else []
    if market and market in members:
        return [market], "target_market"
    if market and market != "EU":
        return [market], "target_market"
    return members, "union_market"


def statement_of_reasons(case: Case, at: datetime, provisional: dict | None = None) -> dict:
    """Record and send the Art. 17 statement for the measures just ordered on this case. ``provisional``: the
    health-and-safety fast track took the listings down before any decision (what matched, under which rule)."""
    notice = next(f for f in case.filings if f.kind == FilingKind.NOTICE)
    review = db.session.scalar(select(NoticeReview).where(NoticeReview.case_id == case.id))
    # The measures this step ordered and the platform has yet to apply.
    measures = db.session.scalars(
        select(Measure)
        .where(Measure.case_id == case.id, Measure.status == MeasureStatus.PENDING, Measure.ordered_at == at)
        .order_by(Measure.id)
    ).all()
    scope, scope_from = territorial_scope(case)
    decision = review if review is not None and review.status == ReviewStatus.DECIDED else None
    decided = decision is not None
    automated_decision = "partially" if decision is not None and decision.used_suggestion else "not_automated"
    # Software that ordered the reviewers' queue for this notice: the triage score, the health-and-safety screen.
    ordering = (["triage_score"] if triage_of(case) is not None else []) + (
        ["health_safety_screening"] if screen_of(case) is not None else []
    )
    if decision is None or provisional is not None:
        automated_decision = "fully"  # a restriction no person decided (a procedure without a review step)
        decision = None if provisional is not None else decision
        decided = decided and provisional is None
    if provisional is not None:
        # Taken on every listing of the case (odr/conduct/health_safety.py), whichever subscriber orders it first.
        kinds, listings = ["take_down"], [item.locator for item in case.listings]
    else:
        kinds, listings = sorted({m.kind.value for m in measures}) or ["none"], [m.listing for m in measures]
    statement = {
        "measure": kinds,
        "listings": listings,
        "territorial_scope": scope,
        "territorial_scope_from": scope_from,
        "home_jurisdiction": case.jurisdiction,  # the platform's home law still applies alongside the DSA
        "procedure_jurisdiction": case.procedure_choice.jurisdiction if case.procedure_choice else case.jurisdiction,
        "duration": {
            "from": at.isoformat(),
            "until": None,  # no end date is set: it lasts until one of the events below
            "ends_on": (
                ["decision_on_the_notice", "match_cleared"]
                if provisional is not None
                else ["withdrawal", "complaint_upheld", "settlement", "court_decision"]
            ),
            "ended_at": None,
            "ended_by": None,
        },
        "facts": {
            "notice_filing_id": notice.id,
            "notice_filed_at": notice.created_at.isoformat(),
            "right_type": case.right_type.value,
            "claimant": case.claimant.name,
            "triggered_by_art_16_notice": True,
            "source": "trusted_flagger" if review is not None and review.priority else "art_16_notice",
            "trusted_flagger": review.trusted_flagger if review is not None else None,
            "reviewer_facts": decision.facts if decision is not None else "",
        },
        "automated_means": {
            # The listing came to the platform by a notice; no software looked for it.
            "detection": False,
            # Software checked the notice's completeness and suggested an outcome; a person decided.
            "used_for": (["notice_completeness_check", "triage_suggestion"] if decided else ["procedure_rule"])
            + ordering,
            # Queue order only: the score and the screen decided nothing (Platform Rules 20 and 21).
            "queue_ordered_by": ordering,
            "decision": automated_decision,
            "suggestion_followed": bool(decision is not None and decision.used_suggestion),
        },
        "ground": {
            "kind": decision.ground.value if decision is not None and decision.ground else "illegal_content",
            "right_type": case.right_type.value,
            "legal_ground": decision.legal_ground if decision is not None else "",
            "explanation": decision.explanation if decision is not None else "",
            "language": decision.language if decision is not None else "en",
        },
        "provisional": provisional,
        "redress": REDRESS,
        "complaint_open_for_months": 6,
        "decided_by_reviewer": bool(decided),
        "decided_at": (decision.decided_at if decision is not None and decision.decided_at else at).isoformat(),
    }
    row = StatementOfReasons(
        case_id=case.id,
        puid=f"odr-sor-{uuid.uuid4()}",
        version=1,
        content=statement,
        created_at=at,
        updated_at=at,
    )
    db.session.add(row)
    db.session.flush()
    statement = dict(statement, statement_id=row.id, puid=row.puid)
    row.content = statement
    events.record(case, EventKind.STATEMENT_OF_REASONS, at, payload=statement)
    # Served on the seller like every act: its delivery (inbox and e-mail) carries the statement, rendered in
    # the seller's language by the template the procedure names for it (rules/eu-dsa.yaml, statements).
    deliveries.serve(case, "statement_of_reasons", at, data={"statement": statement})
    return statement


def end_statement(case: Case, at: datetime, cause: str) -> StatementOfReasons | None:
    """The restriction ended: the statement's duration says when and why, as a new version on the chain."""
    row = db.session.scalar(
        select(StatementOfReasons)
        .where(StatementOfReasons.case_id == case.id)
        .order_by(StatementOfReasons.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    duration = dict(row.content.get("duration") or {})
    if duration.get("ended_at") and duration["ended_at"] != at.isoformat():
        return None  # it ended before; nothing changes
    if duration.get("ended_by") == cause or (duration.get("ended_by") and cause == GENERIC_END):
        return row  # a restriction that ended for a named reason keeps it
    duration.update(ended_at=at.isoformat(), until=at.isoformat(), ended_by=cause)
    row.content = dict(row.content, duration=duration)
    row.version += 1
    row.updated_at = at
    events.record(
        case,
        EventKind.STATEMENT_OF_REASONS_UPDATED,
        at,
        payload={"statement_id": row.id, "version": row.version, "duration": duration},
    )
    return row
