"""A case's pending deadlines are read through the index made for them, whatever the number of other cases.

With only an index on the case, SQLite's planner (it keeps no statistics until ANALYZE) chose the sweep's
(status, due_at) index for the ORDER BY and walked every pending deadline of the platform to find one case's."""

from odr.cases import services
from odr.cases.models import Case
from odr.extensions import db
from odr.procedure.services import pending_deadlines
from odr.todo import services as todo_services
from tests.conftest import notice_data


def test_a_cases_pending_deadlines_are_read_through_the_case_status_and_due_index(world, sql_statements):
    case = services.file_notice(world.holder, notice_data()).obj
    db.session.commit()
    with sql_statements() as sent:
        assert pending_deadlines(db.session.get(Case, case.id))
    [query] = [s for s in sent if "FROM deadlines" in s]
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner reads statistics; the plan depends on the data
    plan = " ".join(
        str(row[-1])
        for row in db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + query, (case.id, "pending"))
    )
    assert "ix_deadlines_case_id_status_due_at" in plan, plan


def test_the_pending_deadlines_of_a_page_of_cases_are_read_through_the_same_index(world, sql_statements):
    """The list of things to do reads the deadlines of a batch of cases at once: by case, then due instant, so that
    the (case, status, due) index gives them in order; by due instant alone SQLite walked every pending deadline."""
    cases = [services.file_notice(world.holder, notice_data(title=f"Case {i}")).obj for i in range(3)]
    db.session.commit()
    with sql_statements() as sent:
        assert len(todo_services._pending_by_case([c.id for c in cases])) == 3
    [query] = [s for s in sent if "FROM deadlines" in s]
    if db.engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner reads statistics; the plan depends on the data
    plan = " ".join(
        str(row[-1])
        for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + query, (*[c.id for c in cases], "pending")
        )
    )
    assert "ix_deadlines_case_id_status_due_at" in plan and "TEMP B-TREE" not in plan, plan
