"""The timeline is append-only and hash-chained: any edit, drop or reordering is detected."""

from odr.cases import services
from odr.cases.events import verify_chain
from odr.cases.models import Case, Event
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


def _reads_chain_end(statement: str) -> bool:
    return "FROM events" in statement and "ORDER BY events.seq DESC" in statement


def test_a_notice_appends_its_events_without_reading_the_chain_back(world, sql_statements):
    with sql_statements() as sent:
        case = services.file_notice(world.holder, notice_data()).obj
    assert len(chain(case.id)) >= 4 and verify_chain(chain(case.id)) == []
    assert [s for s in sent if _reads_chain_end(s)] == []
    # A later transaction reads the chain's end once, then appends without reading it again.
    with sql_statements() as sent:
        services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "我们有授权。"})
    assert len([s for s in sent if _reads_chain_end(s)]) == 1
    assert verify_chain(chain(case.id)) == []


def test_an_event_undone_with_its_savepoint_is_not_the_chain_end(world):
    from odr.cases import events
    from odr.models_base import utcnow
    from odr.vocabulary import EventKind

    case = services.file_notice(world.holder, notice_data()).obj
    before = len(chain(case.id))
    savepoint = db.session.begin_nested()
    events.record(case, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "undone"})
    savepoint.rollback()
    events.record(case, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "kept"})
    db.session.commit()
    kept = chain(case.id)
    assert len(kept) == before + 1 and kept[-1].payload["name"] == "kept" and verify_chain(kept) == []


def test_a_session_closed_without_commit_forgets_the_chain_end_it_read(world, app):
    """Another process may append to the chain after this session closes: its next transaction reads the end again,
    so the chain stays unbroken."""
    from odr.cases import events
    from odr.models_base import utcnow
    from odr.vocabulary import EventKind

    case_id = services.file_notice(world.holder, notice_data()).obj.id
    case = db.session.get(Case, case_id)
    events.record(case, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "never committed"})
    db.session.close()  # neither committed nor rolled back by the caller
    # Meanwhile another worker appends to the chain.
    with app.app_context():
        other = db.session.get(Case, case_id)
        events.record(other, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "by another worker"})
        db.session.commit()
    case = db.session.get(Case, case_id)
    events.record(case, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "next"})
    db.session.commit()
    assert verify_chain(chain(case_id)) == []
    assert [e.payload.get("name") for e in chain(case_id)[-2:]] == ["by another worker", "next"]


def _writes_events(statement: str) -> bool:
    return statement.lstrip().upper().startswith("INSERT INTO EVENTS")


def test_the_events_of_a_transaction_are_written_together_before_the_timeline_is_read(world, sql_statements):
    from odr.cases import events
    from odr.models_base import utcnow
    from odr.vocabulary import EventKind

    case = services.file_notice(world.holder, notice_data()).obj
    db.session.commit()
    before = len(chain(case.id))
    with sql_statements() as sent:
        case = db.session.get(Case, case.id)
        for name in ("first", "second", "third"):
            events.record(case, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": name})
        assert db.session.scalar(db.select(Case.title).where(Case.id == case.id))  # another table: still pending
        assert [s for s in sent if _writes_events(s)] == []
        timeline = chain(case.id)  # a read of the timeline sees them all, written in one statement
    assert len([s for s in sent if _writes_events(s)]) == 1
    assert [e.payload.get("name") for e in timeline[before:]] == ["first", "second", "third"]
    db.session.commit()
    assert verify_chain(chain(case.id)) == []


def test_an_event_recorded_before_a_savepoint_rolled_back_is_kept(world):
    from odr.cases import events
    from odr.models_base import utcnow
    from odr.vocabulary import EventKind

    case = services.file_notice(world.holder, notice_data()).obj
    db.session.commit()
    before = len(chain(case.id))
    case = db.session.get(Case, case.id)
    events.record(case, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "before the savepoint"})
    savepoint = db.session.begin_nested()
    events.record(case, EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "undone"})
    savepoint.rollback()
    db.session.commit()
    kept = chain(case.id)
    assert [e.payload.get("name") for e in kept[before:]] == ["before the savepoint"] and verify_chain(kept) == []


def test_events_of_a_transaction_rolled_back_are_not_written(world):
    from odr.cases import events
    from odr.models_base import utcnow
    from odr.vocabulary import EventKind

    case = services.file_notice(world.holder, notice_data()).obj
    db.session.commit()
    before = len(chain(case.id))
    events.record(db.session.get(Case, case.id), EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "undone"})
    db.session.rollback()
    db.session.commit()
    assert len(chain(case.id)) == before


def test_a_query_joining_the_timeline_along_a_relationship_sees_the_events_recorded_before_it(world):
    from odr.cases import events
    from odr.models_base import utcnow
    from odr.vocabulary import EventKind

    case = services.file_notice(world.holder, notice_data()).obj
    db.session.commit()
    before = len(chain(case.id))
    events.record(db.session.get(Case, case.id), EventKind.EVIDENCE_ADDED, utcnow(), payload={"name": "pending"})
    joined = db.select(db.func.count()).select_from(Case).join(Case.events).where(Case.id == case.id)
    assert db.session.scalar(joined) == before + 1
