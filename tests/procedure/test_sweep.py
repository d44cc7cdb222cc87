"""Deadlines are rows; the sweep applies each consequence once, however often it runs."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from odr.cases import services
from odr.cases.models import Case, Event
from odr.extensions import db
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import _apply_one, sweep_deadlines
from tests.conftest import notice_data

pytestmark = pytest.mark.postgres

FILED = datetime(2026, 3, 2, 10, 30, tzinfo=timezone.utc)  # a Monday, 10:30 UTC, 18:30 in Beijing
BEIJING = ZoneInfo("Asia/Shanghai")  # a CN case's days end in Beijing time


@pytest.fixture
def case(world):
    return services.file_notice(world.holder, notice_data(), at=FILED).obj


def deadline_of(case):
    return db.session.scalar(
        db.select(Deadline).where(Deadline.case_id == case.id, Deadline.timer == "response_period")
    )


def test_the_response_period_ends_at_the_end_of_the_seventh_day(case):
    due = deadline_of(case).due_at
    assert due == datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=BEIJING)
    assert deadline_of(case).computation["count"] == 7


def test_the_day_before_the_day_of_and_the_day_after(case):
    day_before = datetime(2026, 3, 8, 23, 59, 59, tzinfo=BEIJING)
    last_moment = datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=BEIJING)
    day_after = datetime(2026, 3, 10, 0, 0, 1, tzinfo=BEIJING)
    assert sweep_deadlines(day_before) == 0
    assert sweep_deadlines(last_moment) == 0
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "awaiting_response"
    assert sweep_deadlines(day_after) == 1
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "facilitated_settlement"


def test_running_the_sweep_twice_applies_the_consequence_once(case):
    later = FILED + timedelta(days=9)
    assert sweep_deadlines(later) == 1
    assert sweep_deadlines(later) == 0
    db.session.expire_all()
    changes = db.session.scalars(
        db.select(Event).where(Event.case_id == case.id, Event.kind == "deadline_expired")
    ).all()
    assert len(changes) == 1
    assert deadline_of(case).status == DeadlineStatus.APPLIED


def test_a_deadline_claimed_by_another_worker_is_skipped(case):
    deadline = deadline_of(case)
    later = FILED + timedelta(days=9)
    assert _apply_one(deadline.id, later) == 1
    # A second worker that read the same due row before the first one committed gets nothing.
    assert _apply_one(deadline.id, later) == 0


def test_the_next_period_starts_when_the_last_one_ran_out_not_when_the_sweep_noticed(case):
    sweep_deadlines(FILED + timedelta(days=20))
    facilitation = db.session.scalar(
        db.select(Deadline).where(Deadline.case_id == case.id, Deadline.timer == "facilitation_period")
    )
    # The response period ran out at the end of 9 March: that is the day of the event that starts
    # the next period, so it is not counted; 30 days run 10 March to 8 April, whatever day the sweep ran.
    assert facilitation.due_at == datetime(2026, 4, 8, 23, 59, 59, 999999, tzinfo=BEIJING)


def test_answering_in_time_cancels_the_timer(world, case):
    services.add_filing(
        world.seller, case.id, {"kind": "response", "language": "zh", "text": "答复"}, at=FILED + timedelta(days=6)
    )
    assert deadline_of(case).status == DeadlineStatus.CANCELLED
    assert sweep_deadlines(FILED + timedelta(days=9)) == 0


def test_a_sweep_reads_only_what_is_due(world, app):
    from sqlalchemy import event

    for n in range(30):
        services.file_notice(world.holder, notice_data(title=f"case {n}"), at=FILED)
    statements = []
    listener = lambda conn, cursor, statement, *args: statements.append(statement)  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        assert sweep_deadlines(FILED + timedelta(days=1)) == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    # Nothing is due: one indexed query, whatever the number of open deadlines.
    assert len(statements) == 1 and "due_at" in statements[0]


def test_the_periodic_task_runs_the_sweep(app, case):
    from odr import queue, tasks

    queue.use_app(app)
    tasks.huey.immediate = True
    try:
        with app.app_context():
            db.session.execute(db.update(Deadline).values(due_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
            db.session.commit()
        assert tasks.PERIODIC_TASKS["deadline_sweep"].call_local() == 1
        # Registered as periodic with the consumer, every minute.
        due = tasks.huey.read_periodic(datetime(2026, 1, 1, 0, 7))
        assert "deadline_sweep" in [t.name for t in due]
    finally:
        tasks.huey.immediate = False
        queue.use_app(None)


def test_the_worker_and_odr_sweep_run_the_same_jobs(app):
    """One registry: every periodic job the consumer runs (each minute, or hourly) is run once by `odr sweep`."""
    from odr import queue, tasks

    every_minute = {t.name for t in tasks.huey.read_periodic(datetime(2026, 1, 1, 0, 7))}
    hourly = {t.name for t in tasks.huey.read_periodic(datetime(2026, 1, 1, 0, 17))} - every_minute
    assert hourly == {"stored_file_sweep"}
    # Every job some module declares is registered once the worker's entry point is imported.
    declared = {
        match
        for path in Path(queue.__file__).parent.rglob("*.py")
        for match in re.findall(r'@periodic_job\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8"))
    }
    assert {"deadline_sweep", "notification_outbox", "translation_sweep"} <= declared
    assert every_minute | hourly == set(queue.PERIODIC_JOBS) == declared
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    for job in queue.PERIODIC_JOBS.values():
        assert job.name in result.output


def _expired_events():
    return db.session.scalars(db.select(Event).where(Event.kind == "deadline_expired")).all()


def test_due_consequences_are_applied_in_batches_each_batch_one_commit(world):
    """Ten deadlines falling due together (a holiday's end) cost three commits with batches of four, not ten."""
    from sqlalchemy import event

    cases = [services.file_notice(world.holder, notice_data(title=f"case {n}"), at=FILED).obj.id for n in range(10)]
    commits = []
    listener = lambda session: commits.append(1)  # noqa: E731
    event.listen(db.session, "after_commit", listener)
    try:
        assert sweep_deadlines(FILED + timedelta(days=9), batch=4) == 10
    finally:
        event.remove(db.session, "after_commit", listener)
    assert len(commits) == 3
    assert sorted(e.case_id for e in _expired_events()) == sorted(cases)


def test_a_consequence_that_fails_leaves_its_whole_batch_to_the_next_run(world, monkeypatch):
    from odr.procedure import services as procedure

    cases = [services.file_notice(world.holder, notice_data(title=f"case {n}"), at=FILED).obj.id for n in range(3)]
    later = FILED + timedelta(days=9)
    entered = procedure.enter_state

    def fails_on_the_second_case(case, *args, **kwargs):
        if case.id == cases[1]:
            raise RuntimeError("the platform's measures channel is down")
        return entered(case, *args, **kwargs)

    monkeypatch.setattr(procedure, "enter_state", fails_on_the_second_case)
    with pytest.raises(RuntimeError):
        sweep_deadlines(later)
    assert _expired_events() == []  # the first case's consequence was rolled back with its batch
    assert all(deadline_of(db.session.get(Case, c)).status == DeadlineStatus.PENDING for c in cases)
    monkeypatch.setattr(procedure, "enter_state", entered)
    assert sweep_deadlines(later) == 3
    assert sweep_deadlines(later) == 0
    assert sorted(e.case_id for e in _expired_events()) == sorted(cases)


def test_a_consequence_costs_the_same_whatever_the_sellers_history(world, sql_statements):
    """Each run-out answer period is a strike on the seller (uncontested), and the repeat-infringer policy counts
    the seller's active strikes at each one: the count reads the seller's cases with a recent strike, up to the
    threshold, never the seller's whole history. The statements sent and the cases read for one consequence are
    the same with 6 earlier strikes as with 19."""
    from sqlalchemy import event

    def sweep_cases_filed(at, count):
        """File ``count`` notices at ``at`` and sweep their answer periods: (statements, cases read) per case."""
        for n in range(count):
            services.file_notice(world.holder, notice_data(title=f"case {at:%d} {n}"), at=at)
        db.session.commit()  # every case in the session is read afresh (loaded or refreshed) from here
        read = []
        listener = lambda case, *args: read.append(case.id)  # noqa: E731
        event.listen(Case, "load", listener)
        event.listen(Case, "refresh", listener)
        try:
            with sql_statements() as sent:
                assert sweep_deadlines(at + timedelta(days=9)) == count
        finally:
            event.remove(Case, "load", listener)
            event.remove(Case, "refresh", listener)
        event_inserts = [s for s in sent if s.startswith("INSERT INTO events")]
        # The seller's strike cases come from the strike index: no statement looks into the events of the seller's
        # cases (before: an EXISTS over each case's events, newest case first, most of them without a strike).
        assert not [s for s in sent if "FROM events" in s and "respondent_party_id" in s]
        return len(sent) / count, len(read) / count, len(event_inserts) / count

    sweep_cases_filed(FILED, 6)  # the third strike orders the account measure; the next ones find it in force
    with_6 = sweep_cases_filed(FILED + timedelta(days=1), 1)
    sweep_cases_filed(FILED + timedelta(days=2), 12)
    with_19 = sweep_cases_filed(FILED + timedelta(days=3), 1)
    assert with_19 == with_6
    statements, cases_read, event_inserts = with_19
    # Before: 41 statements, and 8 cases read with 6 earlier strikes but 21 with 19 (the whole history); 36
    # statements before the events of a consequence were written together, its procedure choice read with it, the
    # claimed deadline returned by its claim, the periods awaiting a receipt looked for only where there are some,
    # and this case's facts read with those of the seller's strike cases. 28 still with the case's row of the strike
    # index written (one statement), since a request for a pause is looked for only where the rule allows one.
    assert statements <= 28 and cases_read <= 4
    # The four events of a consequence (the deadline expired, the change of state, the next deadline, the service)
    # are written together, before the conduct checks read the timeline (before: one INSERT each).
    assert event_inserts == 1


def test_the_case_just_decided_and_the_sellers_strikes_are_read_in_one_read_of_the_timeline(world, sql_statements):
    """The conduct checks read the facts of the case whose period ran out, and the seller's strike count the facts
    of their newest strike cases: one read of the timeline for both, whether this case is the seller's only recent
    strike or not."""

    def facts_reads_sweeping_a_case_filed(at):
        services.file_notice(world.holder, notice_data(title=f"case {at:%d}"), at=at)
        db.session.commit()
        with sql_statements() as sent:
            assert sweep_deadlines(at + timedelta(days=9)) == 1
        return [s for s in sent if re.search(r"FROM events\b.*events\.kind IN", s, re.S)]

    assert len(facts_reads_sweeping_a_case_filed(FILED)) == 1  # the seller's first strike
    assert len(facts_reads_sweeping_a_case_filed(FILED + timedelta(days=1))) == 1  # and their second


def test_a_batch_claims_its_deadlines_locks_its_cases_and_reads_their_chains_in_one_statement_each(
    world, sql_statements
):
    for n in range(12):
        services.file_notice(world.holder, notice_data(title=f"case {n}"), at=FILED)
    db.session.commit()
    with sql_statements() as sent:
        assert sweep_deadlines(FILED + timedelta(days=9)) == 12
    claims = [s for s in sent if s.startswith("UPDATE deadlines SET status")]
    case_reads = [s for s in sent if re.search(r"FROM cases\b.*WHERE cases\.id IN", s, re.S)]
    chain_ends = [s for s in sent if re.search(r"FROM events.*max\(events\.seq\)|ORDER BY events\.seq DESC", s, re.S)]
    # One claim of the batch, then one closing of the old state's other periods per case (enter_state).
    assert len([s for s in claims if "deadlines.id IN" in s]) == 1
    assert not [s for s in claims if "deadlines.id =" in s]
    assert len(case_reads) == 1 and len(chain_ends) == 1
    # What the domains following each change of state read of each case, read for the batch (consequences_due).
    assert len([s for s in sent if "FROM conduct_health_safety" in s]) == 1
    assert len([s for s in sent if "FROM seller_securities" in s]) == 1
    # The wrongful-notice claims of the batch's cases are read with the first consequence's own (before: one read at
    # each consequence, 12 here); the seller's strike cases are cases of the batch.
    assert len([s for s in sent if "FROM conduct_wrongful_notice_claims" in s]) == 1


def test_a_later_deadline_of_a_case_its_earlier_consequence_moved_on_is_cancelled_not_applied(case):
    first = deadline_of(case)
    second = Deadline(
        **{c: getattr(first, c) for c in ("case_id", "procedure_code", "procedure_version", "state", "citation")},
        timer="response_period",
        consequence=first.consequence,
        due_at=first.due_at + timedelta(hours=1),
        computation=first.computation,
    )
    db.session.add(second)
    db.session.commit()
    assert sweep_deadlines(FILED + timedelta(days=9)) == 1
    db.session.expire_all()
    assert db.session.get(Deadline, first.id).status == DeadlineStatus.APPLIED
    assert db.session.get(Deadline, second.id).status == DeadlineStatus.CANCELLED
    expired = db.session.scalars(db.select(Event).where(Event.case_id == case.id, Event.kind == "deadline_expired"))
    assert len(expired.all()) == 1
    assert db.session.get(Case, case.id).state == "facilitated_settlement"
