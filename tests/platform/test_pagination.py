"""Keyset pagination on every list route of the API, in the OpenAPI document, and on the dashboard."""

from __future__ import annotations

import re

import pytest

from odr.api.openapi import PAGINATED
from odr.cases import services
from odr.cases.models import Case
from odr.extensions import db
from odr.pagination import encode_cursor
from tests.conftest import notice_data

# GET routes of the API whose answer is not a list that grows (one document, a count, a file).
NOT_LISTS = {
    "/api/v1/me",
    "/api/v1/me/claims",  # one offer at most: the invitation sent to the account's own verified address
    "/api/v1/openapi.json",
    "/api/v1/cases/<int:case_id>",  # the case document: its latest filings, the rest a link away (links.filings)
    "/api/v1/transparency/report",
    "/api/v1/alliance/feed",  # the federation's own protocol: ?after=<seq>, with the signed tree head
    "/api/v1/conduct/record",  # one party's record (counts, and the measures in force on it)
    "/api/v1/dsa/out-of-court-bodies",  # the certified bodies, a fixed list from the rules' data
    # Not paged yet (they arrived with a merge at 03:38): the trusted flaggers, the conduct review queue.
    "/api/v1/conduct/trusted-flaggers",
    "/api/v1/conduct/queue",
}


def file_cases(world, n: int, **overrides) -> list[int]:
    return [services.file_notice(world.holder, notice_data(title=f"Case {i}", **overrides)).obj.id for i in range(n)]


def walk(client, path: str, key: str) -> tuple[list, int]:
    """Every item of a list, following ``next`` links; and how many pages it took."""
    items, pages = [], 0
    url = path
    while url:
        response = client.get(url.removeprefix("/api/v1"))
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body[key]
        pages += 1
        url = body["next"]
        assert (url is None) == (body["next_cursor"] is None)
        assert pages < 100
    return items, pages


def test_cases_walk_page_by_page_each_once_newest_first(app, world, api):
    ids = file_cases(world, 7)
    client = api(world.holder)
    items, pages = walk(client, "/cases?limit=3", "cases")
    assert [c["id"] for c in items] == sorted(ids, reverse=True)
    assert pages == 3
    # Filtered lists page the same way, and the filter stays in the next link.
    first = client.get("/cases?limit=2&state=" + items[0]["state"]).get_json()
    assert "state=" in first["next"] and "limit=2" in first["next"]
    # The other side sees the same cases; a stranger none.
    assert len(walk(api(world.seller), "/cases?limit=5", "cases")[0]) == 7
    assert api(world.stranger_holder).get("/cases").get_json() == {"cases": [], "next": None, "next_cursor": None}


def test_a_case_added_between_pages_neither_repeats_nor_skips_one(app, world, api):
    ids = file_cases(world, 4)
    client = api(world.holder)
    first = client.get("/cases?limit=2").get_json()
    newer = file_cases(world, 1)
    rest, _pages = walk(client, first["next"], "cases")
    assert [c["id"] for c in first["cases"] + rest] == sorted(ids, reverse=True)
    assert newer[0] not in [c["id"] for c in rest]


@pytest.mark.parametrize(
    "query, field",
    [
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=" + encode_cursor(["x"]), "cursor"),
        ("cursor=" + encode_cursor([1, 2]), "cursor"),
        ("cursor=%00%ff", "cursor"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
    ],
)
def test_a_bad_cursor_or_limit_is_a_clear_422(app, world, api, query, field):
    file_cases(world, 1)
    response = api(world.holder).get(f"/cases?{query}")
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


@pytest.mark.e2e
@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, 2**63, 10**30])
def test_a_cursor_beyond_what_a_row_id_holds_is_a_clear_422_on_every_engine(app, world, api, value):
    """A cursor is the server's, so its numbers are ids and sequence numbers the database holds; a forged one
    beyond them is refused like any other bad cursor, not sent to PostgreSQL to fail as out of range."""
    case_id = file_cases(world, 1)[0]
    holder = api(world.holder)
    forged = {
        "/cases": [value],
        f"/cases/{case_id}/filings": [value],
        f"/cases/{case_id}/filings?before=x&": None,  # the case document's own cursor, below
        "/todo": [0, 0, value, "answer", 0],
        "/todo?": [0, value * 10**9, 1, "answer", 0],  # an instant no date holds
    }
    for path, key in forged.items():
        url = (
            f"/cases/{case_id}/filings?before={encode_cursor([value])}"
            if key is None
            else f"{path}{'&' if '?' in path else '?'}cursor={encode_cursor(key)}"
        )
        response = holder.get(url)
        assert response.status_code == 422, (url, response.status_code)
        assert response.get_json()["error"]["code"] == "bad_cursor"


def test_every_list_route_of_the_api_is_paged_and_documented(app, world, api, platform):
    """Each GET route of the API that answers a list carries next and next_cursor, and the OpenAPI document
    describes its limit and cursor parameters and its next link."""
    file_cases(world, 2)
    case_id = db.session.scalar(db.select(Case.id))
    readers = [
        api(account) for account in (world.holder, world.seller, world.mediator, world.court, world.admin, platform)
    ]
    listed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "GET" not in rule.methods or rule.rule in NOT_LISTS:
            continue
        if rule.arguments - {"case_id"}:
            continue  # one item of a list (a filing's translations, a deposit's certificate, ...)
        path = rule.rule.replace("<int:case_id>", str(case_id)).removeprefix("/api/v1")
        for client in readers:
            response = client.get(path)
            if response.status_code != 200 or not response.is_json:
                continue
            body = response.get_json()
            lists = [key for key, value in body.items() if isinstance(value, list) and key not in ("filters",)]
            if rule.arguments and not ({"events", "filings"} & set(lists)):
                continue  # a case's own documents list its parts; its events and filings are the lists that grow
            if not lists:
                continue
            openapi_path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            assert "next" in body and "next_cursor" in body, (path, sorted(body))
            assert openapi_path in PAGINATED, openapi_path
            listed.add(openapi_path)
            break
    assert {
        "/cases",
        "/inbox",
        "/mediation/desk",
        "/measures",
        "/cases/{case_id}/events",
        "/cases/{case_id}/filings",
    } <= listed
    doc = api(world.holder).get("/openapi.json").get_json()
    for path, key in PAGINATED.items():
        get = doc["paths"][path]["get"]
        assert {"limit", "cursor"} <= {p["name"] for p in get["parameters"]}, path
        ok = get["responses"]["200"]
        assert {key, "next", "next_cursor"} <= set(ok["content"]["application/json"]["schema"]["properties"]), path
        assert ok["links"]["next"]["parameters"] == {"cursor": "$response.body#/next_cursor"}


def test_events_inbox_measures_and_desk_walk_to_their_end(app, world, api):
    from tests.platform.test_query_counts import another_mediated_case

    for n in range(3):
        another_mediated_case(world, n)
    mediator = api(world.mediator)
    desk = mediator.get("/mediation/desk").get_json()
    cases, pages = walk(mediator, "/mediation/desk?limit=2", "cases")
    assert [c["id"] for c in cases] == [c["id"] for c in desk["cases"]] and pages == 2
    holder = api(world.holder)
    everything = holder.get("/inbox?limit=500").get_json()["deliveries"]
    deliveries, pages = walk(holder, "/inbox?limit=1", "deliveries")
    assert [d["id"] for d in deliveries] == [d["id"] for d in everything] and pages == len(everything) > 1
    case_id = cases[0]["id"]
    events, _pages = walk(mediator, f"/cases/{case_id}/events?limit=2", "events")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))


def test_the_dashboard_reaches_every_case_page_by_page_and_filters(app, world, browser):
    ids = file_cases(world, 5) + file_cases(world, 2, jurisdiction="EU")
    session = browser(world.holder)
    from odr.cases import pages as case_pages

    seen, pages = [], 0
    case_pages.DASHBOARD_PAGE, saved = 3, case_pages.DASHBOARD_PAGE
    try:
        url: str | None = "/"
        while url:
            html = session.get(url).get_data(as_text=True)
            table = html.split('id="all-heading"', 1)[1]
            seen += [int(m) for m in re.findall(r'<td[^>]*><a href="/cases/(\d+)"', table)]
            pages += 1
            found = re.search(r'<a rel="next" href="([^"]+)"', table)
            url = found.group(1).replace("&amp;", "&") if found else None
        assert sorted(seen) == sorted(ids) and len(seen) == len(ids) and pages == 3
        html = session.get("/?jurisdiction=EU").get_data(as_text=True)
        table = html.split('id="all-heading"', 1)[1]
        assert len(re.findall(r'<td[^>]*><a href="/cases/(\d+)"', table)) == 2
        assert '<option value="EU" selected>' in html
    finally:
        case_pages.DASHBOARD_PAGE = saved


def test_the_desk_page_reaches_every_case_page_by_page_in_the_desks_order(app, world, browser, monkeypatch):
    from odr.mediation import pages as mediation_pages
    from tests.platform.test_query_counts import another_mediated_case

    ids = [another_mediated_case(world, n) for n in range(5)]
    monkeypatch.setattr(mediation_pages, "DESK_PAGE", 2)
    session = browser(world.mediator)
    seen, pages = [], 0
    url: str | None = "/mediation"
    while url:
        html = session.get(url).get_data(as_text=True)
        table = html.split('<table class="cases reflow">', 1)[1]
        seen += [
            int(m)
            for m in re.findall(r'<td data-label="Case">(?:<strong[^>]*>[^<]*</strong> )?<a href="/cases/(\d+)"', table)
        ]
        pages += 1
        found = re.search(r'<a rel="next" href="([^"]+)"', table)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids) and pages == 3
    assert "First page" in html  # the last page offers the way back


def test_the_things_to_do_come_most_urgent_first_a_page_at_a_time(app, world, browser, monkeypatch):
    from odr.cases import pages as case_pages
    from odr.todo.services import obligations

    file_cases(world, 5)  # each waits for the seller's answer
    expected = [o.reference for o in obligations(world.seller).items]
    assert len(expected) == 5
    monkeypatch.setattr(case_pages, "TODO_PAGE", 2)
    session = browser(world.seller)
    seen, pages = [], 0
    url: str | None = "/"
    while url:
        html = session.get(url).get_data(as_text=True)
        todo = html.split('id="todo-heading"', 1)[1].split("</section>", 1)[0]
        seen += re.findall(r'<li class="todo-item">\s*<h3><a href="/cases/\d+#next-action">([^<]+)</a>', todo)
        pages += 1
        found = re.search(r'<a rel="next" href="([^"]+)"', todo)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert seen == expected and pages == 3
    assert "Most urgent first" in todo
