"""The timeline is append-only and hash-chained: any edit, drop or reordering is detected."""

from odr.cases import services
from odr.cases.events import verify_chain
from odr.cases.models import Event
from odr.extensions import db
from tests.conftest import notice_data


def chain(case_id):
    return list(db.session.scalars(db.select(Event).where(Event.case_id == case_id).order_by(Event.seq)))


def test_an_intact_chain_verifies(world):
    case = services.file_notice(world.holder, notice_data()).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "答复"})
    events = chain(case.id)
    assert len(events) >= 4 and verify_chain(events) == []


def test_edits_drops_and_reordering_are_detected(world):
    case = services.file_notice(world.holder, notice_data()).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "答复"})
    events = chain(case.id)
    events[1].payload = {"tampered": True}
    assert "event 2: its content does not match its hash" in verify_chain(events)
    db.session.rollback()
    events = chain(case.id)
    assert any("expected sequence number" in p for p in verify_chain(events[:1] + events[2:]))
    assert any("does not follow" in p for p in verify_chain([events[1], events[0]] + events[2:]))
