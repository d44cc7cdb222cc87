"""The mediator's desk (cases by next deadline, overdue and due-this-week marked, filters, workload) and
the case timeline (past and future on one axis, with what happens if nobody acts; printable; right-to-left)."""

from datetime import timedelta

import pytest
from flask import request, url_for

from odr.accounts.models import Role
from odr.cases import services
from odr.mediation import desk, pages
from odr.mediation.desk import mediator_desk
from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments
from odr.models_base import utcnow
from tests.conftest import decide_eu_notice, make_account, notice_data

pytestmark = pytest.mark.e2e


def _mediated(world, holder, seller_email, jurisdiction, filed_days_ago, respondent=None):
    """A case in facilitated settlement (the seller asked for a mediator) with the world's mediator."""
    now = utcnow()
    case = services.file_notice(
        holder,
        notice_data(
            seller_email=seller_email, jurisdiction=jurisdiction, respondent=respondent or {"email": seller_email}
        ),
        at=now - timedelta(days=filed_days_ago),
    ).obj
    seller = next(a for a in case.respondent.accounts) if case.respondent.accounts else None
    if case.state == "notice_review":
        decide_eu_notice(world.admin, case.id, at=now - timedelta(days=filed_days_ago))
    if seller is not None:
        services.add_filing(
            seller,
            case.id,
            {"kind": "response", "language": "zh", "text": "答复"},
            at=now - timedelta(days=filed_days_ago),
        )
        services.take_action(seller, case.id, "request_mediation", at=now - timedelta(days=filed_days_ago))
    assign_mediator(world.admin, case.id, world.mediator.id)
    accept_appointment(world.mediator, pending_appointments(world.mediator)[0].id, True)
    return case.id


@pytest.fixture
def desk_cases(world):
    """Three cases under the same procedure, mediated since 2, 10 and 20 days: the oldest is due first."""
    holders = [make_account(Role.RIGHT_HOLDER, f"h{i}@example.es") for i in range(3)]
    sellers = [make_account(Role.SELLER, f"s{i}@example.cn", country="CN", language="zh") for i in range(3)]
    return {age: _mediated(world, holders[i], sellers[i].email, "CN", age) for i, age in enumerate((2, 10, 20))}


def test_cases_are_ordered_by_the_next_deadline_and_marked(world, desk_cases):
    now = utcnow()
    desk = mediator_desk(world.mediator, now=now)
    assert [r.case.id for r in desk.rows] == [desk_cases[20], desk_cases[10], desk_cases[2]]
    dues = [r.next_due.at for r in desk.rows]
    assert dues == sorted(dues)
    for row in desk.rows:
        assert row.overdue == (row.next_due.at < now)
        assert row.due_this_week == (now <= row.next_due.at < now + timedelta(days=7))
    # Once the first deadline has passed (and before the sweep runs), that case is marked overdue.
    later = dues[0] + timedelta(minutes=1)
    shifted = mediator_desk(world.mediator, now=later)
    assert shifted.rows[0].overdue and shifted.counts["overdue"] == 1
    assert not shifted.rows[-1].overdue


def test_filters_and_workload_counts(world, api, desk_cases):
    other = _mediated(
        world,
        make_account(Role.RIGHT_HOLDER, "eu@example.es"),
        make_account(Role.SELLER, "eu@example.cn", country="CN", language="zh").email,
        "EU",
        1,
    )
    assert [r.case.id for r in mediator_desk(world.mediator, {"jurisdiction": "EU"}).rows] == [other]
    assert len(mediator_desk(world.mediator, {"jurisdiction": "CN"}).rows) == 3
    stage = services.get_case(world.mediator, other).state
    assert other in [r.case.id for r in mediator_desk(world.mediator, {"stage": stage}).rows]
    assert mediator_desk(world.mediator, {"stage": "settled"}).rows == []
    assert len(mediator_desk(world.mediator, {"language": "zh"}).rows) == 4
    assert mediator_desk(world.mediator, {"language": "fr"}).rows == []
    body = api(world.mediator).get("/mediation/desk?jurisdiction=CN").get_json()
    assert body["counts"]["open_cases"] == 4 and body["counts"]["workload"] == 4
    assert [c["id"] for c in body["cases"]] == [desk_cases[20], desk_cases[10], desk_cases[2]]
    assert body["cases"][0]["next_due"]["if_nobody_acts"]


def test_the_desk_page_marks_and_filters(world, browser, api, desk_cases):
    cases = api(world.mediator).get("/mediation/desk").get_json()["cases"]
    page = browser(world.mediator).get("/mediation").get_data(as_text=True)
    assert page.count('<tr class="due-soon">') == sum(c["due_this_week"] for c in cases)
    assert page.count('<tr class="overdue">') == sum(c["overdue"] for c in cases)
    assert all(c["reference"] in page for c in cases)
    assert browser(world.holder).get("/mediation").status_code == 403


def test_the_timeline_puts_past_and_future_on_one_axis(world, api, desk_cases):
    case_id = desk_cases[2]
    body = api(world.mediator).get(f"/cases/{case_id}/timeline").get_json()["entries"]
    times = [e["at"] for e in body]
    assert times == sorted(times)
    future = [e for e in body if e["future"]]
    assert future and all(not e["future"] for e in body[: len(body) - len(future)])
    assert all(e["detail"] for e in future)  # what happens if nobody acts


def test_the_timeline_page_is_printable_and_right_to_left_safe(world, browser, desk_cases):
    case_id = desk_cases[2]
    session = browser(world.mediator)
    page = session.get(f"/cases/{case_id}/timeline?lang=ar").get_data(as_text=True)
    assert 'dir="rtl"' in page and "<bdi>" in page and 'class="now"' in page
    printable = session.get(f"/cases/{case_id}/timeline?print=1").get_data(as_text=True)
    assert "printable" in printable


def test_outsiders_see_no_timeline(world, api, desk_cases):
    assert api(world.stranger_holder).get(f"/cases/{desk_cases[2]}/timeline").status_code == 404
    assert api(world.holder).get("/mediation/desk").status_code == 403


def test_the_desk_page_builds_only_the_rows_it_shows(app, world, monkeypatch, desk_cases):
    built, row = [], desk.DeskRow

    def counted_row(**fields):
        built.append(fields["case"].id)
        return row(**fields)

    monkeypatch.setattr(desk, "DeskRow", counted_row)
    monkeypatch.setattr(pages, "DESK_PAGE", 1)
    with app.test_request_context():
        page = pages.desk_page(world.mediator, {})
    # The first of the three cases, with the counts of all three; the two others are ordered but not built.
    assert [r.case_id for r in page.rows] == built == [desk_cases[20]]
    assert page.next_cursor is not None
    assert page.desk.counts == mediator_desk(world.mediator).counts and page.desk.counts["open_cases"] == 3


def test_the_desk_read_a_row_at_a_time_is_the_whole_desk_in_the_same_order(world, desk_cases):
    now = utcnow() + timedelta(days=9)  # one case overdue by then, the others due this week
    whole = mediator_desk(world.mediator, now=now)
    seen, cursor = [], None
    while True:
        page = mediator_desk(world.mediator, now=now, limit=1, cursor=cursor)
        assert page.counts == whole.counts
        seen += page.rows
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [(r.case.id, r.next_due, r.overdue, r.due_this_week) for r in seen] == [
        (r.case.id, r.next_due, r.overdue, r.due_this_week) for r in whole.rows
    ]
    assert len(seen) == 3 and whole.counts["overdue"] >= 1


def test_the_desks_links_are_the_urls_the_app_builds(app):
    """Each row's links are written from one URL built per page: the same as url_for's for any case, under any
    script root (one holding the stand-in's digits too)."""
    for root in ("", "/odr", f"/v{pages._ANY_CASE}"):
        with app.test_request_context("/mediation", base_url=f"http://localhost{root}/"):
            links = app.create_url_adapter(request)
            for endpoint in ("cases.show", "mediation.timeline"):
                link = pages.case_link(links, endpoint)
                for case_id in (1, 42, pages._ANY_CASE, 10**12):
                    assert link(case_id) == url_for(endpoint, case_id=case_id)
