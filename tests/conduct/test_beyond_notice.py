"""Whether a case went beyond its notice (``Case.beyond_notice``): its timeline holds an act that may decide how it
came out, a change of state after the opening, a decision, an evaluation's decision or a wrongful-notice claim. The
parties' records read only such cases at each new notice, so the mark must be on exactly those cases, from the act
that puts it there, and on the cases from before it once migrated."""

from __future__ import annotations

import pytest
from sqlalchemy import func, or_, select

from odr.cases import services as cases
from odr.cases.models import Case, Event
from odr.conduct import services
from odr.extensions import db
from tests.conduct.test_strike_index import strike_history
from tests.conftest import notice_data


def marked() -> set[int]:
    return set(db.session.scalars(select(Case.id).where(Case.beyond_notice.is_(True))))


def from_the_timeline() -> set[int]:
    outcome = or_(
        Event.kind.in_(["decision_filed", "evaluation_decided", "wrongful_notice_claimed"]),
        (Event.kind == "state_changed") & (func.coalesce(Event.payload["cause"].as_string(), "") != "notice"),
    )
    return set(db.session.scalars(select(Event.case_id).where(outcome).distinct()))


@pytest.mark.postgres
def test_a_case_is_beyond_its_notice_from_the_act_that_may_decide_it(world):
    opened = cases.file_notice(world.holder, notice_data()).obj
    db.session.expire_all()
    assert not opened.beyond_notice  # the notice's own opening decides nothing
    cases.take_action(world.holder, opened.id, "withdraw")
    db.session.expire_all()
    assert opened.beyond_notice


@pytest.mark.postgres
def test_exactly_the_cases_with_an_outcome_act_are_marked_and_the_records_read_through_the_mark_are_whole(world):
    history = strike_history(world)
    still_open = [cases.file_notice(world.holder, notice_data()).obj.id for _ in range(2)]
    db.session.expire_all()
    assert marked() == from_the_timeline()
    # Every case of the history has such an act, the wrongful-notice claim and the answered escalation included.
    assert set(history.values()) <= marked() and not marked() & set(still_open)
    for party in (world.holder.party, world.seller.party):
        full = services.record_of(party)
        assert services.outcome_counts(party) == (full.as_notifier, full.as_seller)


@pytest.mark.postgres
def test_the_migration_marks_the_cases_from_before_it_as_the_services_do(world):
    from flask_migrate import downgrade, stamp, upgrade

    strike_history(world)
    cases.file_notice(world.holder, notice_data())
    db.session.expire_all()
    written = marked()
    db.session.commit()
    stamp()
    downgrade(revision="c3e9b7a5d2f1")  # the schema before the mark
    assert "beyond_notice" not in {column["name"] for column in db.inspect(db.engine).get_columns("cases")}
    upgrade()
    assert marked() == written == from_the_timeline()
    db.session.commit()
