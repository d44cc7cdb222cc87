"""The inbox: each account sees the acts served on it, opens them, and counts the unread ones on every page."""

from __future__ import annotations

import re

from odr.extensions import db
from odr.notifications.models import Delivery
from tests.conftest import notice_data, notice_form_elements

UNREAD = re.compile(r'class="badge unread-count">(\d+)<')


def unread_badge(page: str) -> int:
    match = UNREAD.search(page)
    return int(match.group(1)) if match else 0


def test_the_seller_sees_the_notice_in_the_inbox_and_the_count_on_every_page(world, api, browser):
    case_id = api(world.holder).post("/cases", notice_data(jurisdiction="CN")).get_json()["id"]
    seller = browser(world.seller)
    inbox = seller.get("/inbox", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Notice filed" in inbox and "ODR-" in inbox
    unread = unread_badge(seller.get("/").get_data(as_text=True))
    assert unread == unread_badge(inbox) >= 2  # the notice and the measures taken on the listings
    notice = db.session.scalar(
        db.select(Delivery).where(Delivery.case_id == case_id, Delivery.act == "notice", Delivery.channel == "inbox")
    )
    opened = seller.post(f"/inbox/{notice.id}/open", form_page="/inbox")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/cases/{case_id}")
    db.session.refresh(notice)
    assert notice.opened_at is not None
    assert unread_badge(seller.get("/").get_data(as_text=True)) == unread - 1


def test_the_inbox_is_in_the_readers_language(world, api, browser):
    api(world.holder).post("/cases", notice_data(jurisdiction="CN"))
    page = browser(world.seller).get("/inbox", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "收件箱" in page


def test_the_api_lists_the_inbox_and_opens_only_ones_own_deliveries(world, api):
    case_id = api(world.holder).post("/cases", notice_data(jurisdiction="CN")).get_json()["id"]
    seller, stranger = api(world.seller), api(world.stranger_seller)
    listed = seller.get("/inbox").get_json()
    assert listed["unread"] == len(listed["deliveries"]) >= 2
    notice = next(d for d in listed["deliveries"] if d["act"] == "notice")
    assert notice["case_id"] == case_id and notice["title"] == "Notice filed"
    assert notice["text"] is None  # a notice has no words of its own in the inbox: its content stays on the case
    assert stranger.get("/inbox").get_json() == {"unread": 0, "deliveries": [], "next": None, "next_cursor": None}
    assert stranger.post(f"/inbox/{notice['id']}/open").status_code == 404
    opened = seller.post(f"/inbox/{notice['id']}/open")
    assert opened.status_code == 200 and opened.get_json()["opened_at"]
    assert seller.get("/inbox").get_json()["unread"] == listed["unread"] - 1


def file_on_the_web(browser, holder, seller_email, key):
    response = browser(holder).post(
        "/cases/new",
        {
            "jurisdiction": "EU",
            "right_type": "trademark",
            "title": "Marca",
            "text": "Uso de nuestra marca.",
            "language": "es",
            "listings": "item-b",
            "respondent_email": seller_email,
            "submission_key": key,
            **notice_form_elements(),
        },
        form_page="/cases/new",
        follow_redirects=True,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def test_the_filer_is_told_the_seller_was_notified_only_when_the_notice_was_served(world, browser):
    assert "The seller has been notified." in file_on_the_web(browser, world.holder, world.seller.email, "first")
    world.seller.active = False  # the seller's only account is closed and no other address is known
    db.session.commit()
    page = file_on_the_web(browser, world.holder, world.seller.email, "second")
    assert "has been notified" not in page and "could not be notified" in page


def test_a_page_reads_the_unread_count_with_its_readers_account_and_a_page_after_a_write_counts_again(
    world, api, browser, sql_statements
):
    case_id = api(world.holder).post("/cases", notice_data(jurisdiction="CN")).get_json()["id"]
    seller = browser(world.seller)
    unread = db.session.scalar(
        db.select(db.func.count(Delivery.id)).where(
            Delivery.account_id == world.seller.id, Delivery.channel == "inbox", Delivery.opened_at.is_(None)
        )
    )
    with sql_statements() as sent:
        page = seller.get("/").get_data(as_text=True)
    counted = [s for s in sent if "count(deliveries.id)" in s]
    assert unread_badge(page) == unread >= 2
    assert len(counted) == 1 and "sign_in_sessions" in counted[0]  # in the statement that reads the signed-in account

    # A request that may write (a form posted and shown again with its errors) counts on its own, after its writes.
    with sql_statements() as sent:
        refused = seller.post(f"/cases/{case_id}/filings", {"kind": "message"}, form_page=f"/cases/{case_id}")
    on_its_own = [s for s in sent if "count(deliveries.id)" in s and "sign_in_sessions" not in s]
    assert refused.status_code == 422, refused.status_code
    assert unread_badge(refused.get_data(as_text=True)) == unread
    assert len(on_its_own) == 1  # the post's (the form's page, read first for its token, counted with the account)
