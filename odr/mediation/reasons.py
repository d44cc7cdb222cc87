"""Statements of reasons (DSA Art. 17): every restriction of a listing is explained to the seller.

Art. 17(3) lists what the statement contains: the measure with its territorial scope and
duration, the facts relied on (including that a notice under Art. 16 triggered it), the use of
automated means, the legal ground, and the redress open to the seller (internal complaint,
out-of-court dispute settlement, courts). The statement is recorded on the case's event chain
(language-neutral keys) and served on the seller, its delivery carrying it in the seller's language.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from odr.cases import events
from odr.cases.models import Case, FilingKind
from odr.extensions import db
from odr.mediation.models import Measure, MeasureStatus
from odr.notifications import deliveries
from odr.procedure.signals import restriction_to_explain
from odr.vocabulary import EventKind


@restriction_to_explain.in_transaction.connect
def _on_restriction(case: Case, *, at: datetime, **_data) -> None:
    statement_of_reasons(case, at)


def statement_of_reasons(case: Case, at: datetime) -> dict:
    """Record and send the Art. 17 statement for the measures just ordered on this case."""
    notice = next(f for f in case.filings if f.kind == FilingKind.NOTICE)
    # The measures this step ordered and the platform has yet to apply.
    measures = db.session.scalars(
        select(Measure)
        .where(Measure.case_id == case.id, Measure.status == MeasureStatus.PENDING, Measure.ordered_at == at)
        .order_by(Measure.id)
    ).all()
    statement = {
        "measure": sorted({m.kind.value for m in measures}) or ["none"],
        "listings": [m.listing for m in measures],
        "territorial_scope": case.jurisdiction,
        "duration": "until_complaint_upheld_or_case_closed",
        "facts": {
            "notice_filing_id": notice.id,
            "notice_filed_at": notice.created_at.isoformat(),
            "right_type": case.right_type.value,
            "claimant": case.claimant.name,
            "triggered_by_art_16_notice": True,
        },
        # Completeness of the notice is checked by software; whether the listing infringes is not.
        "automated_means": "notice_completeness_check_only",
        "legal_ground": {
            "right_type": case.right_type.value,
            "basis": "alleged infringement of an intellectual property right (illegal content)",
        },
        "redress": ["internal_complaint_art_20", "out_of_court_settlement_art_21", "judicial_redress"],
        "complaint_open_for_months": 6,
    }
    events.record(case, EventKind.STATEMENT_OF_REASONS, at, payload=statement)
    # Served on the seller like every act: its delivery (inbox and e-mail) carries the statement, rendered in
    # the seller's language by the template the procedure names for it (rules/eu-dsa.yaml, statements).
    deliveries.serve(case, "statement_of_reasons", at, data={"statement": statement})
    return statement
