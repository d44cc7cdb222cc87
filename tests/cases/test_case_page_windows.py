"""A case page shows a window of its filings and of its timeline (the latest by default), with links to the
earlier and later ones: a case with thousands of filings opens as fast as a small one, and nothing is out of reach.
The windows follow the same rule of who reads what as the rest of the case: a party never reaches another
party's case, nor a caucus it is not in, by any cursor."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from odr.cases import pages, services
from odr.pagination import encode_cursor
from tests.mediation.conftest import mediated_case

WINDOW = 3


@pytest.fixture(autouse=True)
def small_windows(monkeypatch):
    monkeypatch.setattr(pages, "CASE_PAGE_WINDOW", WINDOW)


def message(account, case_id, text, **extra):
    services.add_filing(account, case_id, {"kind": "message", "language": "es", "text": text, **extra})


def links(page: str, label: str) -> dict[str, str]:
    """The links of the pager named ``label``: by rel (prev, next) or, for the way back, "latest"."""
    nav = re.search(rf'<nav class="pager" aria-label="{label}">(.*?)</nav>', page, re.S)
    if nav is None:
        return {}
    found = {}
    for attrs, href, _text in re.findall(r'<a ((?:rel="\w+" )?)href="([^"]+)">([^<]+)</a>', nav.group(1)):
        rel = re.search(r'rel="(\w+)"', attrs)
        found[rel.group(1) if rel else "latest"] = html_lib.unescape(href)
    return found


def shown_messages(page: str) -> list[str]:
    return re.findall(r"(Mensaje \d+|Privado \d+)", page.split('id="filings-heading"', 1)[1].split("</section>", 1)[0])


def test_the_case_page_opens_at_the_latest_filings_and_links_to_the_earlier_and_later_ones(world, browser):
    case_id = mediated_case(world)
    for i in range(7):
        message(world.holder, case_id, f"Mensaje {i}")
    session = browser(world.holder)
    latest = session.get(f"/cases/{case_id}").get_data(as_text=True)
    assert shown_messages(latest) == ["Mensaje 4", "Mensaje 5", "Mensaje 6"]
    assert set(links(latest, "Pages of the filings")) == {"prev"}

    middle = session.get(links(latest, "Pages of the filings")["prev"]).get_data(as_text=True)
    assert shown_messages(middle) == ["Mensaje 1", "Mensaje 2", "Mensaje 3"]
    assert set(links(middle, "Pages of the filings")) == {"prev", "next", "latest"}

    first = session.get(links(middle, "Pages of the filings")["prev"]).get_data(as_text=True)
    assert shown_messages(first) == ["Mensaje 0"]  # with the notice that opened the case
    assert "Notice" in first.split('id="filings-heading"', 1)[1]
    assert set(links(first, "Pages of the filings")) == {"next", "latest"}

    again = session.get(links(middle, "Pages of the filings")["next"]).get_data(as_text=True)
    assert shown_messages(again) == ["Mensaje 4", "Mensaje 5", "Mensaje 6"]
    assert set(links(again, "Pages of the filings")) == {"prev", "latest"}
    assert shown_messages(session.get(links(middle, "Pages of the filings")["latest"]).get_data(as_text=True)) == [
        "Mensaje 4",
        "Mensaje 5",
        "Mensaje 6",
    ]


def walk_earlier(session, case_id) -> list[str]:
    url: str | None = f"/cases/{case_id}"
    seen: list[str] = []
    while url:
        page = session.get(url).get_data(as_text=True)
        seen = shown_messages(page) + seen
        url = links(page, "Pages of the filings").get("prev")
    return seen


def test_no_window_reaches_a_caucus_the_reader_is_not_in(world, browser):
    case_id = mediated_case(world)
    for i in range(4):
        message(world.holder, case_id, f"Mensaje {i}")
        message(world.seller, case_id, f"Privado {i}", caucus=True)
    assert walk_earlier(browser(world.holder), case_id) == [f"Mensaje {i}" for i in range(4)]
    everything = [text for i in range(4) for text in (f"Mensaje {i}", f"Privado {i}")]
    assert walk_earlier(browser(world.seller), case_id) == everything
    assert walk_earlier(browser(world.mediator), case_id) == everything


def test_a_cursor_opens_no_case_the_reader_may_not_see_and_a_forged_one_is_refused(world, browser):
    case_id = mediated_case(world)
    for i in range(5):
        message(world.holder, case_id, f"Mensaje {i}")
    holder = browser(world.holder)
    earlier = links(holder.get(f"/cases/{case_id}").get_data(as_text=True), "Pages of the filings")["prev"]
    assert holder.get(earlier).status_code == 200
    assert browser(world.stranger_holder).get(earlier).status_code == 404
    refused = holder.get(f"/cases/{case_id}?filings_before=not-a-cursor")
    assert refused.status_code == 422
    assert "This cursor is not one the server gave out" in refused.get_data(as_text=True)


def test_the_timeline_shows_its_latest_events_and_counts_them_all(world, browser):
    case_id = mediated_case(world)
    for i in range(3):
        message(world.holder, case_id, f"Mensaje {i}")
    events = services.get_case(world.holder, case_id).events
    session = browser(world.holder)
    page = session.get(f"/cases/{case_id}").get_data(as_text=True)
    timeline = page.split('id="timeline"', 1)[1]
    assert f"({len(events)})</summary>" in timeline
    assert len(re.findall(r"<li><time", timeline)) == WINDOW
    earlier = session.get(links(page, "Pages of the timeline")["prev"]).get_data(as_text=True)
    assert '<details class="card section" id="timeline" open>' in earlier  # the window asked for is shown open
    assert len(re.findall(r"<li><time", earlier.split('id="timeline"', 1)[1])) == WINDOW
    assert encode_cursor([events[-WINDOW].seq]) in links(page, "Pages of the timeline")["prev"]
