"""Every obligation of a reader with many cases, a page at a time, most urgent first: none left out however many
cases the reader has, each once, whichever case it is on; the first page costs the same with 10 cases or 250.

Cases are filed through the services once and then copied row by row (as benchmarks/page_reads.py does), each
copy's deadlines moved by its own number of hours (some copies share a deadline), so that hundreds of cases take
a second to make.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from odr.cases import services
from odr.cases.access import case_roles, visible_cases
from odr.cases.models import Case
from odr.extensions import db
from odr.models_base import utcnow
from odr.pagination import encode_cursor
from odr.procedure.models import CaseProcedure, Deadline
from odr.procedure.services import final_states, pending_deadlines
from odr.todo import services as todo
from odr.todo.services import case_obligations, obligations, urgency
from tests.conftest import notice_data
from tests.export.conftest import escalate

# The walk's SQL (deadlines' earliest instant per case, no deadline last) on PostgreSQL too.
pytestmark = pytest.mark.postgres


def copy_case(case_id: int, n: int, hours=lambda i: (i * 37) % 53) -> list[int]:
    """``n`` copies of a case (its row, its procedure choice, its deadlines), the i-th copy's deadlines ``hours(i)``
    hours later than the original's; the copies' ids."""
    case = db.session.execute(select(Case.__table__).where(Case.id == case_id)).mappings().one()
    chosen = (
        db.session.execute(select(CaseProcedure.__table__).where(CaseProcedure.case_id == case_id)).mappings().all()
    )
    deadlines = db.session.execute(select(Deadline.__table__).where(Deadline.case_id == case_id)).mappings().all()
    ids = []
    with db.engine.begin() as conn:
        for i in range(n):
            new_id = conn.execute(
                Case.__table__.insert().values(**{k: v for k, v in case.items() if k != "id"})
            ).inserted_primary_key[0]
            for table, rows, moved in ((CaseProcedure.__table__, chosen, {}), (Deadline.__table__, deadlines, None)):
                for row in rows:
                    values = {k: v for k, v in row.items() if k != "id"} | {"case_id": new_id}
                    if moved is None:
                        values["due_at"] = row["due_at"] + timedelta(hours=hours(i))
                    conn.execute(table.insert().values(**values))
            ids.append(new_id)
    return ids


def every_obligation(account) -> list[tuple]:
    """The reader's obligations worked out case by case over all its open cases, in urgency order."""
    cases = db.session.scalars(visible_cases(account).where(Case.state.not_in(final_states()))).all()
    now = utcnow()
    found = [
        o
        for case in cases
        for o in case_obligations(account, case, case_roles(account, case), pending_deadlines(case), now).mine
    ]
    return [(o.case_id, o.kind, o.deadline_id, o.due_at) for o in sorted(found, key=urgency)]


def walk(client, path: str) -> tuple[list[tuple], int]:
    """Every obligation of ``GET /api/v1/todo``, following ``next``; and how many pages it took."""
    seen, pages, url = [], 0, path
    while url:
        body = client.get(url.removeprefix("/api/v1")).get_json()
        seen += [(o["case_id"], o["kind"], o["deadline_id"], o["due_at"]) for o in body["obligations"]]
        pages, url = pages + 1, body["next"]
        assert pages < 100
    return seen, pages


def as_json(rows: list[tuple]) -> list[tuple]:
    return [(case_id, kind, deadline_id, due.isoformat()) for case_id, kind, deadline_id, due in rows]


def test_the_most_urgent_obligation_of_the_least_recently_changed_case_comes_first(app, world, api, browser):
    """Over the old ceiling of 200 cases: the case the seller must answer first is the one changed longest ago."""
    case = services.file_notice(world.holder, notice_data()).obj
    copy_case(case.id, 230, hours=lambda i: 1 + i % 40)  # every copy due later than the original
    db.session.execute(update(Case).where(Case.id == case.id).values(updated_at=utcnow() - timedelta(days=30)))
    db.session.commit()

    first = api(world.seller).get("/todo?limit=5").get_json()
    assert first["obligations"][0]["case_id"] == case.id
    html = browser(world.seller).get("/").get_data(as_text=True)
    todo_section = html.split('id="todo-heading"', 1)[1].split("</section>", 1)[0]
    assert re.search(r'<li class="todo-item">\s*<h3><a href="/cases/(\d+)#next-action">', todo_section).group(1) == str(
        case.id
    )
    # Walking the pages gives every obligation of the 231 cases, each once, in urgency order.
    seen, pages = walk(api(world.seller), "/todo?limit=50")
    assert seen == as_json(every_obligation(world.seller)) and len(seen) == 231 and pages == 5


def test_pages_gathered_a_few_cases_at_a_time_hold_every_obligation_once_in_order(app, world, monkeypatch):
    """Cases sharing a deadline, cases read in small batches, pages ending anywhere in them."""
    monkeypatch.setattr(todo, "WALK_BATCH", 4)
    for title in ("First", "Second"):
        case = services.file_notice(world.holder, notice_data(title=title)).obj
        copy_case(case.id, 12, hours=lambda i: (i * 5) % 7)  # seven distinct deadlines for twelve copies
    expected = every_obligation(world.seller)
    assert len(expected) == 26
    for limit in (1, 3, 5, 26, 30):
        seen, cursor = [], None
        while True:
            page = obligations(world.seller, limit=limit, cursor=cursor)
            assert len(page.items) <= limit
            seen += [(o.case_id, o.kind, o.deadline_id, o.due_at) for o in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == expected, limit


def test_a_page_works_out_the_obligations_of_the_cases_it_needs_not_of_a_fixed_batch(app, world, monkeypatch):
    """Each of the seller's 60 cases asks it to answer: the first page of 5 works out one case more than it shows,
    whatever the most a batch may read; the next, which starts again at the last case shown, a batch more."""
    worked_out = []

    def counted(account, case, *args, **kwargs):
        worked_out.append(case.id)
        return case_obligations(account, case, *args, **kwargs)

    monkeypatch.setattr(todo, "case_obligations", counted)
    case = services.file_notice(world.holder, notice_data()).obj
    copy_case(case.id, 59, hours=lambda i: i + 1)
    first = obligations(world.seller, limit=5)
    assert len(first.items) == 5 and len(worked_out) == 6
    worked_out.clear()
    second = obligations(world.seller, limit=5, cursor=first.next_cursor)
    assert len(second.items) == 5 and len(worked_out) == 6 + 12
    assert {o.case_id for o in first.items}.isdisjoint({o.case_id for o in second.items})


def test_a_reader_with_no_obligation_among_many_cases_is_answered_in_a_few_growing_reads(app, world, monkeypatch):
    """None of 40 cases waits for the holder: batches of 3, 6, 12 and 24 cases read them all, in four reads of the
    open cases (a page of 2 whose batches did not grow would take fourteen), and the page says there is nothing."""
    case = services.file_notice(world.holder, notice_data()).obj
    copy_case(case.id, 39)
    assert every_obligation(world.holder) == []
    reads = []
    real_execute = db.session.execute

    def execute(statement, *args, **kwargs):
        if "min(deadlines.due_at)" in str(statement):
            reads.append(statement)
        return real_execute(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", execute)
    page = obligations(world.holder, limit=2)
    assert page.items == [] and page.next_cursor is None
    assert len(reads) == 4


def test_obligations_without_a_deadline_come_last_a_page_at_a_time(app, world, monkeypatch):
    """The court decides escalated cases when it can: no deadline, so the order is by case."""
    monkeypatch.setattr(todo, "WALK_BATCH", 2)
    escalated = escalate(world)
    copy_case(escalated.id, 6)
    expected = every_obligation(world.court)
    assert len(expected) == 7 and all(due is None for *_rest, due in expected)
    seen, cursor = [], None
    while True:
        page = obligations(world.court, limit=2, cursor=cursor)
        seen += [(o.case_id, o.kind, o.deadline_id, o.due_at) for o in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == expected


def test_a_stranger_sees_none_of_the_cases_obligations(app, world, api):
    case = services.file_notice(world.holder, notice_data()).obj
    copy_case(case.id, 3)
    assert len(walk(api(world.seller), "/todo?limit=2")[0]) == 4
    for stranger in (world.stranger_seller, world.stranger_holder):
        assert api(stranger).get("/todo").get_json() == {"obligations": [], "next": None, "next_cursor": None}
        assert obligations(stranger).items == []


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        encode_cursor([0, 0, "ODR-2026-000001", 1, "procedure", 0]),  # a cursor of the order before case ids
        encode_cursor(["0", 0, 1, "procedure", 0]),
    ],
)
def test_a_bad_cursor_is_a_clear_422(app, world, api, cursor):
    services.file_notice(world.holder, notice_data())
    response = api(world.seller).get(f"/todo?cursor={cursor}")
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "bad_cursor"
    assert "cursor" in response.get_json()["error"]["fields"]


def test_the_first_page_costs_the_same_with_10_or_250_cases(app, world, api, browser, sql_statements):
    case = services.file_notice(world.holder, notice_data()).obj
    client, session = api(world.seller), browser(world.seller)

    def first_pages() -> dict[str, int]:
        found = {}
        for name, send in {"/": lambda: session.get("/"), "GET /api/v1/todo": lambda: client.get("/todo")}.items():
            with sql_statements() as sent:
                assert send().status_code == 200
            found[name] = len(sent)
        return found

    copy_case(case.id, 9)
    few = first_pages()
    copy_case(case.id, 240)
    assert first_pages() == few
