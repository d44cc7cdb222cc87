"""A case's pending deadlines are read through the index made for them, whatever the number of other cases.

With only an index on the case, SQLite's planner (it keeps no statistics until ANALYZE) chose the sweep's
(status, due_at) index for the ORDER BY and walked every pending deadline of the platform to find one case's."""

from odr.cases import services
from odr.cases.models import Case
from odr.extensions import db
from odr.procedure.services import pending_deadlines
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
