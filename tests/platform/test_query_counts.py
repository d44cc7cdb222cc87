"""No query count that grows with the data shown, and reads that never write.

``sql_statements`` (tests/conftest.py) counts the statements one request sends. Each page and API route
that lists cases, filings or events is read at two sizes of its data; the count must be the same at both
(and small), so that a case with 500 filings or a desk with 200 cases costs what a small one does.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam

from odr.accounts.models import Role
from odr.cases import services
from odr.cases.models import Filing
from odr.cases.pages import case_rows
from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments
from odr.models_base import utcnow
from odr.pagination import encode_cursor
from odr.procedure.services import sweep_deadlines
from tests.conftest import evaluation_request, make_account, notice_data
from tests.mediation.conftest import mediated_case

# Generous ceilings: the point is that the count does not grow, but a page should also stay cheap.
MOST_STATEMENTS = 40
# The case page of a mediated case, by reader: the case read with its parties, mediator and procedure choice, the
# count of its events with their window, no court's export or pause requests read where none can be (was 23 and 36),
# one statement telling which of its panels' rows the case has and none of those it has not (was 17 and 30), the
# mediators a mediator may choose as neutral read with their conflicts at once (was 25), the notice's terms read in
# the statement telling which rows the case has and the unread count with the reader's account (was 13 and 21),
# its evidence files and listings in one statement (was 11 and 19).
CASE_PAGE_STATEMENTS = {"holder": 10, "mediator": 18}
# The case document (GET /api/v1/cases/<id>): the case read with its parties, mediator and procedure choice, as the
# page reads it (was 16 for both).
CASE_DOCUMENT_STATEMENTS = {"holder": 12, "mediator": 13}


def exchange_messages(world, case_id: int, rounds: int) -> None:
    for i in range(rounds):
        services.add_filing(world.holder, case_id, {"kind": "message", "language": "es", "text": f"Mensaje {i}."})
        services.add_filing(world.seller, case_id, {"kind": "message", "language": "zh", "text": f"消息 {i}。"})
        services.add_filing(world.mediator, case_id, {"kind": "message", "language": "en", "text": f"Note {i}."})


def offered_case(world, n: int) -> int:
    """A case of a new right holder and a new seller (a mediator may not handle two cases with one party),
    offered to the world's mediator, who has not answered yet; the world's holder also files one against the
    seller."""
    holder = make_account(Role.RIGHT_HOLDER, f"holder{n}@example.es")
    seller = make_account(Role.SELLER, f"seller{n}@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
    case = services.file_notice(holder, notice_data(seller_email=seller.email)).obj
    services.file_notice(world.holder, notice_data(seller_email=seller.email, title=f"Case {n}"))
    sweep_deadlines(utcnow() + timedelta(days=8))
    assign_mediator(world.admin, case.id, world.mediator.id)
    return case.id


def another_mediated_case(world, n: int) -> int:
    """``offered_case``, accepted by the mediator: in facilitated settlement with the world's mediator."""
    case_id = offered_case(world, n)
    offer = next(a for a in pending_appointments(world.mediator) if a.case_id == case_id)
    accept_appointment(world.mediator, offer.id, declared=True)
    return case_id


def counts(sql_statements, requests: dict) -> dict[str, int]:
    found = {}
    for name, send in requests.items():
        with sql_statements() as sent:
            response = send()
        assert response.status_code == 200, (name, response.status_code, response.get_data(as_text=True)[:300])
        assert sent.writes == [], (name, sent.writes)
        found[name] = len(sent)
    return found


def test_the_counter_counts_statements_and_sees_writes(app, world, sql_statements):
    with sql_statements() as sent:
        services.file_notice(world.holder, notice_data())
    assert len(sent) > 5 and any(s.lstrip().upper().startswith("INSERT") for s in sent.writes)


def test_case_pages_and_api_cost_the_same_with_three_or_thirty_filings(app, world, api, browser, sql_statements):
    case_id = mediated_case(world)
    readers = {name: (api(getattr(world, name)), browser(getattr(world, name))) for name in ("holder", "mediator")}
    # The case page's windows of filings and events before a cursor (here: all of them, as few or many as there are).
    earlier = f"filings_before={encode_cursor([10**9])}&events_before={encode_cursor([10**9])}"
    requests = {}
    for name, (client, session) in readers.items():
        requests |= {
            f"{name} GET /api/v1/cases/<id>": lambda c=client: c.get(f"/cases/{case_id}"),
            f"{name} GET /api/v1/cases/<id>/events": lambda c=client: c.get(f"/cases/{case_id}/events"),
            f"{name} GET /api/v1/cases/<id>/filings": lambda c=client: c.get(f"/cases/{case_id}/filings?limit=500"),
            f"{name} GET /api/v1/cases/<id>/timeline": lambda c=client: c.get(f"/cases/{case_id}/timeline"),
            f"{name} /cases/<id>": lambda s=session: s.get(f"/cases/{case_id}"),
            f"{name} /cases/<id>/timeline": lambda s=session: s.get(f"/cases/{case_id}/timeline"),
            f"{name} /cases/<id> an earlier window": lambda s=session: s.get(f"/cases/{case_id}?{earlier}"),
        }
    exchange_messages(world, case_id, 1)
    few = counts(sql_statements, requests)
    exchange_messages(world, case_id, 10)
    many = counts(sql_statements, requests)
    assert many == few
    assert max(many.values()) <= MOST_STATEMENTS, many
    for name, most in CASE_PAGE_STATEMENTS.items():
        assert many[f"{name} /cases/<id>"] <= most, many
        assert many[f"{name} /cases/<id> an earlier window"] <= most, many
    for name, most in CASE_DOCUMENT_STATEMENTS.items():
        assert many[f"{name} GET /api/v1/cases/<id>"] <= most, many


def test_no_panel_registers_rows_under_the_name_the_notices_terms_are_read_as():
    # The statement telling which rows a case has also reads the notice's terms, under that name.
    with pytest.raises(ValueError):
        case_rows("notice_terms", Filing.case_id == bindparam("case_id"))


def test_the_case_page_costs_the_same_with_two_or_twelve_mediators_on_the_roster(app, world, browser, sql_statements):
    """The administrator's assignment form and the mediator's choice of a neutral list every active mediator with
    their conflicts: read for all of them at once (they were three statements a mediator)."""
    case_id = mediated_case(world)
    readers = {name: browser(getattr(world, name)) for name in ("admin", "mediator")}
    requests = {name: lambda s=session: s.get(f"/cases/{case_id}") for name, session in readers.items()}
    few = counts(sql_statements, requests)
    for n in range(10):
        make_account(Role.MEDIATOR, f"mediator{n}@example.it", country="IT", language="it", languages="it,es")
    many = counts(sql_statements, requests)
    assert "mediator9" in readers["admin"].get(f"/cases/{case_id}").get_data(as_text=True)
    assert many == few


def test_desk_dashboard_and_case_list_cost_the_same_with_two_or_six_cases(app, world, api, browser, sql_statements):
    mediator_api, holder_api = api(world.mediator), api(world.holder)
    mediator, holder = browser(world.mediator), browser(world.holder)
    # Cursors before every row (the pages read as much as the first ones do).
    after_every_desk_row = encode_cursor([0, datetime(2000, 1, 1, tzinfo=timezone.utc), 0])
    after_every_obligation = encode_cursor([0, 0, 0, "", 0])
    requests = {
        "mediator /mediation": lambda: mediator.get("/mediation"),
        "mediator /mediation, a later page": lambda: mediator.get(f"/mediation?cursor={after_every_desk_row}"),
        "mediator GET /api/v1/mediation/desk": lambda: mediator_api.get("/mediation/desk"),
        "mediator /": lambda: mediator.get("/"),
        "mediator GET /api/v1/cases": lambda: mediator_api.get("/cases"),
        "holder /": lambda: holder.get("/"),
        "mediator /, a later page of things to do": lambda: mediator.get(f"/?todo={after_every_obligation}"),
        "holder GET /api/v1/cases": lambda: holder_api.get("/cases"),
        "holder GET /api/v1/inbox": lambda: holder_api.get("/inbox"),
        "holder GET /api/v1/todo": lambda: holder_api.get("/todo"),
        "mediator GET /api/v1/todo": lambda: mediator_api.get("/todo"),
    }
    for n in range(2):
        another_mediated_case(world, n)
    few = counts(sql_statements, requests)
    for n in range(2, 6):
        another_mediated_case(world, n)
    many = counts(sql_statements, requests)
    assert many == few
    assert max(many.values()) <= MOST_STATEMENTS, many


def test_the_desk_costs_the_same_with_one_or_three_cases_offered(app, world, api, browser, sql_statements):
    """Each case offered to the mediator is summarised with its parties (names, countries, languages) before the
    mediator accepts it: read with the offers, not one case and two parties at a time."""
    mediator, mediator_api = browser(world.mediator), api(world.mediator)
    requests = {
        "mediator /mediation": lambda: mediator.get("/mediation"),
        "mediator GET /api/v1/mediation/desk": lambda: mediator_api.get("/mediation/desk"),
        "mediator GET /api/v1/mediation/appointments": lambda: mediator_api.get("/mediation/appointments"),
    }
    offered_case(world, 0)
    few = counts(sql_statements, requests)
    for n in range(1, 3):
        offered_case(world, n)
    many = counts(sql_statements, requests)
    assert len(pending_appointments(world.mediator)) == 3
    assert many == few
    assert max(many.values()) <= MOST_STATEMENTS, many


def test_a_neutrals_desk_costs_the_same_with_one_or_three_evaluations_assigned(
    app, world, api, browser, sql_statements
):
    """Each evaluation on the neutral's desk names its case: read with the evaluations, not one case at a time."""
    neutral = make_account(Role.MEDIATOR, "neutral@example.org", country="GB", language="en", languages="en,es")
    web = browser(neutral)
    requests = {"neutral /mediation": lambda: web.get("/mediation")}

    def evaluate(n: int) -> None:
        case_id = another_mediated_case(world, n)
        body = evaluation_request(neutral.id)
        assert api(world.mediator).post(f"/cases/{case_id}/evaluation", body).status_code == 201

    evaluate(0)
    few = counts(sql_statements, requests)
    for n in range(1, 3):
        evaluate(n)
    many = counts(sql_statements, requests)
    assert many == few
    assert max(many.values()) <= MOST_STATEMENTS, many
