"""One way to record a filing: typed terms per kind, an event of the shared vocabulary, one announcement."""

import pytest

from odr.cases import events
from odr.cases.filings import record_filing
from odr.cases.models import FilingKind
from odr.cases.signals import filing_recorded
from odr.cases.terms import TermsShapeError, check_terms
from odr.extensions import db
from odr.models_base import utcnow
from odr.vocabulary import CaseRole
from tests.conftest import notice_data


def test_each_kind_of_filing_takes_only_its_own_shape_of_terms():
    check_terms(FilingKind.OFFER, {"amount": "10.00", "currency": "EUR", "licence": "two years"})
    check_terms(FilingKind.MESSAGE, None)
    check_terms(
        FilingKind.DECISION,
        {
            "outcome": "upheld",
            "listing_measure": "keep_in_force",
            "measure_details": {},
            "amounts": [],
            "court_reference": "",
        },
    )
    for kind, terms in [
        (FilingKind.MESSAGE, {"amount": "10.00"}),  # a message carries no terms
        (FilingKind.OFFER, {"amount": 10}),  # amounts are decimal text
        (FilingKind.OFFER, {"ammount": "10.00"}),  # no unknown key
        (FilingKind.DECISION, {"outcome": "upheld"}),  # a decision names all its parts
        (FilingKind.SETTLEMENT, {"versions": {"en": 3}}),
    ]:  # versions are texts
        with pytest.raises(TermsShapeError):
            check_terms(kind, terms)


def test_a_recorded_filing_has_its_event_and_is_announced_after_commit(app, world):
    from odr.cases import services

    case = services.file_notice(world.holder, notice_data()).obj
    announced = []

    def receiver(filing, **_data):
        announced.append(filing.id)

    filing_recorded.after_commit.connect(receiver)
    try:
        filing = record_filing(
            case,
            FilingKind.MESSAGE,
            author=world.holder,
            role=CaseRole.CLAIMANT,
            language="en",
            text="Hello",
            at=utcnow(),
        )
        assert announced == []
        from odr.domain_events import commit

        commit()
    finally:
        filing_recorded.after_commit.disconnect(receiver)
    assert announced == [filing.id]
    # The filing's event, then its service on the addressees (proof of service on the same chain).
    served, filed = db.session.scalars(
        db.select(events.Event).where(events.Event.case_id == case.id).order_by(events.Event.seq.desc()).limit(2)
    ).all()
    assert (filed.kind, filed.payload["filing_id"]) == ("message_filed", filing.id)
    assert (served.kind, served.payload["filing_id"]) == ("act_served", filing.id)


def test_only_the_shared_vocabulary_is_recorded_on_a_timeline(app, world):
    from odr.cases import services

    case = services.file_notice(world.holder, notice_data()).obj
    with pytest.raises(ValueError):
        events.record(case, "teleported", utcnow())
    with pytest.raises(ValueError):
        events.record(case, "message_filed", utcnow(), role="bystander")
    db.session.rollback()
