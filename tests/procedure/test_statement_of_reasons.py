"""DSA Art. 17: a restriction under the EU procedure comes with a statement of reasons to the seller."""

import pytest

from odr.cases.models import Event
from odr.extensions import db
from odr.i18n import render_notification
from odr.notifications.models import Delivery, Notification
from tests.conftest import EU_DECISION, notice_data

pytestmark = pytest.mark.e2e


def test_an_eu_takedown_sends_the_seller_a_statement_with_every_art_17_element(world, api, app):
    case_id = api(world.holder).post("/cases", notice_data(jurisdiction="EU")).get_json()["id"]
    assert api(world.admin).post(f"/cases/{case_id}/notice-decision", EU_DECISION).status_code == 201
    event = db.session.scalar(db.select(Event).where(Event.case_id == case_id, Event.kind == "statement_of_reasons"))
    statement = event.payload
    assert statement["measure"] == ["take_down"]  # (a) the restriction
    assert statement["listings"] == ["https://shop.example/item/1", "item-2"]
    assert len(statement["territorial_scope"]) == 27 and statement["duration"]["ended_at"] is None  # (a)
    assert statement["facts"]["triggered_by_art_16_notice"] is True  # (b) facts, notice
    assert statement["automated_means"]["decision"] == "not_automated"  # (c) automated means
    assert statement["automated_means"]["detection"] is False
    assert statement["ground"]["right_type"] == "trademark"  # (d) legal ground
    assert statement["ground"]["explanation"] == EU_DECISION["explanation"]  # (e) why it is illegal
    assert statement["redress"] == ["internal_complaint", "out_of_court_bodies", "court"]  # (f) redress

    # The statement is served on the seller like every act: its delivery carries it, in the seller's language,
    # with the article that requires it, and one e-mail (the delivery's) carries the same text.
    served = db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case_id, Delivery.act == "statement_of_reasons")
    ).all()
    assert {(d.role, d.channel) for d in served} == {("respondent", "inbox"), ("respondent", "email")}
    assert all(d.statement["citation"]["article"].startswith("Art. 17") for d in served)
    text = served[0].statement["text"]
    assert "item-2" in text and "https://shop.example/item/1" in text and "理由说明" in text
    (note,) = db.session.scalars(
        db.select(Notification).where(Notification.id.in_([d.notification_id for d in served if d.notification_id]))
    ).all()
    assert note.recipient == world.seller.email and note.locale == "zh"
    assert not db.session.scalar(db.select(Notification).where(Notification.kind == "statement_of_reasons"))
    with app.test_request_context():
        subject, body = render_notification(note)
    assert text.strip() in body
    assert "已向卖家发送理由说明" in subject  # in the seller's language


def test_other_procedures_send_no_dsa_statement(world, api):
    case_id = api(world.holder).post("/cases", notice_data(jurisdiction="CN")).get_json()["id"]
    assert (
        db.session.scalar(db.select(Event).where(Event.case_id == case_id, Event.kind == "statement_of_reasons"))
        is None
    )
