"""A new notice's triage and lane count the parties' records without reading their whole history: a platform
that files thousands of notices pays the same for its next one as for its first, and the score recorded is the
one the full record gives (``record_of``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from odr.cases import services as cases
from odr.cases.models import Case
from odr.conduct import services
from odr.conduct.models import NoticeTriage
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.models_base import utcnow
from tests.conduct.test_conduct import silent_notices
from tests.conftest import notice_data

pytestmark = pytest.mark.e2e


def history(world, open_cases: int) -> None:
    """Outcomes of every kind the record counts (two left unanswered, one withdrawn, one refused), then
    ``open_cases`` notices still waiting for their answer."""
    silent_notices(world, 2, at=utcnow() - timedelta(days=40))
    withdrawn = cases.file_notice(world.holder, notice_data()).obj
    cases.take_action(world.holder, withdrawn.id, "withdraw")
    with pytest.raises(ValidationFailed):
        cases.file_notice(world.holder, notice_data(listings=[]))
    for n in range(open_cases):
        cases.file_notice(world.holder, notice_data(listings=[f"https://shop.example/item/{n}"]))


def file_through_the_api(api, world, sql_statements):
    """File one notice in a request of its own; the cases it read as ORM rows, and the statements it sent."""
    read: list[int] = []

    def loaded(target, _context):
        read.append(target.id)

    event.listen(Case, "load", loaded)
    try:
        with sql_statements() as sent:
            response = api(world.holder).post("/cases", notice_data(title="The next one"))
    finally:
        event.remove(Case, "load", loaded)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], set(read), len(sent)


@pytest.mark.parametrize("open_cases", [12])
def test_the_next_notice_reads_only_the_cases_with_an_outcome_and_scores_as_the_full_record_does(
    world, api, sql_statements, open_cases
):
    history(world, open_cases)
    case_id, read, sent = file_through_the_api(api, world, sql_statements)
    with_outcomes = set(db.session.scalars(db.select(Case.id).where(Case.state != "awaiting_response")))
    assert len(with_outcomes) == 3
    # The new case and the three with an outcome (under the old code: all 16 of the holder's cases, twice).
    assert read <= with_outcomes | {case_id}, f"read {len(read)} cases"
    # Statements of the request (47 here; 56 when each party's accounts, notification preferences and record counts
    # were read one party at a time, the new case's filings were read back, and the case and the account were read
    # again after the commit for the answer; 57 when the new case's pending timers, which it cannot have yet, were
    # closed; 63 when this bound was set before; 72 when the case's events were written one by one and its
    # procedure choice looked up before it was kept; 79 when the seller's translation was requested in a
    # transaction of its own after the commit, reading the notice again; 86 when both records were read in full and
    # the new case's facts were read for a strike and a verdict it cannot have).
    assert sent <= 47, sent

    db.session.expire_all()
    scored = db.session.scalar(db.select(NoticeTriage).where(NoticeTriage.case_id == case_id))
    full = services.record_of(world.holder.party)
    notifier = full.as_notifier
    assert scored.components["notifier_record"]["basis"] == {
        "notices": notifier["filed"] - 1 + notifier["refused_incomplete"],
        "inaccurate": notifier["withdrawn"] + notifier["refused_incomplete"],
        "enough_history": True,
    }
    seller = services.record_of(world.seller.party).as_seller
    assert scored.components["seller_record"]["basis"]["notices_received"] == seller["received"] - 1
    assert scored.components["seller_record"]["basis"]["upheld"] == seller["uncontested"] == 2
    assert services.outcome_counts(world.holder.party) == (full.as_notifier, full.as_seller)


def test_what_is_read_does_not_grow_with_the_cases_still_open(world, api, sql_statements):
    history(world, 3)
    _first, read_few, sent_few = file_through_the_api(api, world, sql_statements)
    for n in range(10):
        cases.file_notice(world.holder, notice_data(listings=[f"https://shop.example/more/{n}"]))
    _second, read_many, sent_many = file_through_the_api(api, world, sql_statements)
    assert len(read_many) == len(read_few) and sent_many == sent_few


def test_both_parties_are_counted_together_with_the_numbers_each_has_alone(world, sql_statements):
    """A notice's triage counts its notifier's and its seller's records in the statements one party's count takes."""
    history(world, 2)
    holder, seller = world.holder.party, world.seller.party
    with sql_statements() as one_party:
        alone = {holder.id: services.outcome_counts(holder)}
    alone[seller.id] = services.outcome_counts(seller)
    with sql_statements() as both_parties:
        together = services.outcome_counts_of([holder, seller])
    assert together == alone
    assert len(both_parties) == len(one_party), (one_party, both_parties)


def database_steps(run) -> int:
    """The SQLite virtual machine's instructions that ``run`` makes the database execute: the work of its statements
    inside the database, which a statement count does not show (one statement can walk every case's timeline)."""
    connection = db.session.connection().connection.dbapi_connection
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0

    connection.set_progress_handler(step, 1)
    try:
        run()
    finally:
        connection.set_progress_handler(None, 1)
    return steps


def test_the_database_walks_no_timeline_of_the_cases_still_open(world):
    """What a new notice's triage and lane count in SQL: the outcomes of the parties' cases beyond their notice
    (``Case.beyond_notice``, through an index by party) and the counts of their notices from the index alone. Each
    case still open adds a few index entries to count (16 instructions here), not its timeline to search (400
    before)."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the instructions counted are SQLite's")
    history(world, 3)
    holder, seller = world.holder.party, world.seller.party

    def counts() -> None:
        services.outcome_counts_of([holder, seller])
        services.good_faith_standing(holder)

    few = database_steps(counts)
    for n in range(20):
        cases.file_notice(world.holder, notice_data(listings=[f"https://shop.example/more/{n}"]))
    many = database_steps(counts)
    assert (many - few) / 20 <= 40, (few, many)
