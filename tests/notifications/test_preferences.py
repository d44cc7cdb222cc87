"""Notification preferences: every event, a daily digest or deadlines only, e-mail on or off; notices the
procedure's data marks legally required are e-mailed at once whatever the addressee chose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from odr.cases.models import Case
from odr.extensions import db
from odr.i18n import render_notification
from odr.models_base import utcnow
from odr.notifications import preferences
from odr.notifications.digest import send_digests
from odr.notifications.models import Channel, Delivery, Notification
from odr.procedure.engine import ACT_EVENTS, ProcedureError, parse
from odr.procedure.services import procedures
from tests.conftest import COUNTER_NOTICE_ELEMENTS, notice_data

pytestmark = pytest.mark.postgres


def file_case(api, world, jurisdiction="CN") -> Case:
    response = api(world.holder).post("/cases", notice_data(jurisdiction=jurisdiction))
    assert response.status_code == 201, response.get_json()
    return db.session.get(Case, response.get_json()["id"])


def message(api, author, case: Case, text="Can we talk about a licence?"):
    response = api(author).post(f"/cases/{case.id}/filings", {"kind": "message", "language": "en", "text": text})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def mail_rows(account, act: str) -> list[Delivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Delivery).where(
                Delivery.account_id == account.id, Delivery.act == act, Delivery.channel == Channel.EMAIL
            )
        )
    )


def inbox_rows(account, act: str) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery).where(
                Delivery.account_id == account.id, Delivery.act == act, Delivery.channel == Channel.INBOX
            )
        )
    )


def choose(api, account, **body):
    response = api(account).client.put("/api/v1/me/notification-preferences", json=body, headers=api(account).headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_by_default_every_event_is_e_mailed(world, api):
    case = file_case(api, world)
    message(api, world.holder, case)
    [row] = mail_rows(world.seller, "message")
    assert row.notification_id is not None and not row.legally_required and row.digest_on is None
    assert api(world.seller).get("/me/notification-preferences").get_json() == {
        "frequency": "every_event",
        "email": True,
        "legally_required_always_emailed": True,
    }


def test_e_mail_off_keeps_the_inbox_but_legally_required_notices_still_go_out(world, api):
    choose(api, world.holder, email=False)
    case = file_case(api, world, "CN")
    message(api, world.seller, case)
    assert mail_rows(world.holder, "message") == [] and len(inbox_rows(world.holder, "message")) == 1
    # CN E-Commerce Law Art. 43(2): the declaration is forwarded to the right holder, e-mail or not.
    response = api(world.seller).post(
        f"/cases/{case.id}/filings",
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    assert response.status_code == 201, response.get_json()
    [row] = mail_rows(world.holder, "counter_notice")
    assert row.legally_required and row.notification_id is not None and row.digest_on is None
    note = db.session.get(Notification, row.notification_id)
    assert note.recipient == world.holder.email


def test_the_notice_to_the_seller_is_legally_required_and_e_mailed_whatever_the_seller_chose(world, api):
    choose(api, world.seller, frequency="daily_digest", email=False)
    case = file_case(api, world, "JP")  # Act No. 137 of 2001 Art. 3(2)(ii): the inquiry to the sender
    [row] = mail_rows(world.seller, "notice")
    assert row.legally_required and row.notification_id is not None
    message(api, world.holder, case)
    assert mail_rows(world.seller, "message") == []


def test_a_daily_digest_is_one_e_mail_per_local_day_swept_once(world, api):
    choose(api, world.seller, frequency="daily_digest")
    case = file_case(api, world, "CN")
    message(api, world.holder, case, "First question.")
    message(api, world.holder, case, "Second question.")
    held = mail_rows(world.seller, "message")
    now = utcnow()
    shanghai_day = (now + timedelta(hours=8)).date()
    assert len(held) == 2 and all(r.notification_id is None and r.digest_on == shanghai_day for r in held)
    assert send_digests(now) == 0  # the day has not ended in Shanghai
    ended = datetime.combine(shanghai_day + timedelta(days=1), datetime.min.time(), UTC) - timedelta(hours=8)
    assert send_digests(ended - timedelta(seconds=1)) == 0  # one second before local midnight
    assert send_digests(ended) == 1
    assert send_digests(ended) == 0 and send_digests(ended + timedelta(days=1)) == 0  # idempotent
    digests = db.session.scalars(select(Notification).where(Notification.kind == "digest")).all()
    assert len(digests) == 1 and digests[0].recipient == world.seller.email
    assert {r.notification_id for r in mail_rows(world.seller, "message")} == {digests[0].id}
    subject, body = render_notification(digests[0])
    assert shanghai_day.isoformat() in subject
    # The two messages and the takedown (not legally required towards the seller in CN): one line each.
    held_acts = [item["event_kind"] for item in digests[0].data["items"]]
    assert held_acts == [ACT_EVENTS["take_measures"], ACT_EVENTS["message"], ACT_EVENTS["message"]]
    assert body.count(case.reference) == 3


def test_deadlines_only_e_mails_the_acts_whose_receipt_starts_a_period(world, api, app):
    choose(api, world.holder, frequency="deadlines_only")
    case = file_case(api, world, "CN")
    message(api, world.seller, case)
    assert mail_rows(world.holder, "message") == []
    at = utcnow()
    assert preferences.email_timing(world.holder, at, legally_required=False, about_deadline=True) == "now"
    assert preferences.email_timing(world.holder, at, legally_required=False, about_deadline=False) is None
    assert preferences.email_timing(None, at, legally_required=False, about_deadline=False) == "now"


def test_bad_preferences_are_refused_with_a_clear_error(world, api, browser):
    client = api(world.holder)
    bad = client.client.put("/api/v1/me/notification-preferences", json={"frequency": "hourly"}, headers=client.headers)
    assert bad.status_code == 422 and "frequency" in bad.get_json()["error"]["fields"]
    bad = client.client.put("/api/v1/me/notification-preferences", json={"email": "yes"}, headers=client.headers)
    assert bad.status_code == 422 and "email" in bad.get_json()["error"]["fields"]
    assert client.get("/me/notification-preferences").get_json()["frequency"] == "every_event"
    page = browser(world.holder)
    refused = page.post("/profile/notifications", {"frequency": "hourly", "email": "on"}, form_page="/profile")
    assert refused.status_code == 422
    assert "Choose every event, a daily digest or deadlines only." in refused.get_data(as_text=True)
    saved = page.post("/profile/notifications", {"frequency": "daily_digest"}, form_page="/profile")
    assert saved.status_code == 302
    assert client.get("/me/notification-preferences").get_json() == {
        "frequency": "daily_digest",
        "email": False,
        "legally_required_always_emailed": True,
    }
    html = page.get("/profile").get_data(as_text=True)
    assert 'value="daily_digest" checked' in html


def test_the_rules_mark_the_notices_the_law_requires(app):
    by_code = {code: procedure for (code, _version), procedure in procedures().procedures.items()}
    assert by_code["cn-ecl"].is_legally_required("notice", "respondent")
    assert by_code["cn-ecl"].is_legally_required("counter_notice", "claimant")
    assert not by_code["cn-ecl"].is_legally_required("message", "claimant")
    assert by_code["us-dmca"].is_legally_required("take_measures", "respondent")
    assert by_code["us-dmca"].is_legally_required("counter_notice", "claimant")
    assert by_code["jp-plla"].is_legally_required("notice", "respondent")
    assert by_code["eu-dsa"].is_legally_required("statement_of_reasons", "respondent")
    assert by_code["eu-dsa"].is_legally_required("take_measures", "claimant")


def test_a_legally_required_notice_must_be_served_on_its_role(app):
    raw = {
        "code": "x",
        "version": "1",
        "title": "x",
        "time_zone": "UTC",
        "initial": "open",
        "citation": {"instrument": "X", "article": "1", "confidence": "unverified", "note": "a test procedure"},
        "serve": {"notice": ["respondent"], "state_changed": ["claimant"]},
        "legally_required": {"notice": ["claimant"]},
        "states": {
            "open": {
                "title": "Open",
                "final": True,
                "citation": {"instrument": "X", "article": "1", "confidence": "unverified", "note": "a test procedure"},
            }
        },
        "transitions": [],
    }
    with pytest.raises(ProcedureError, match="legally required"):
        parse(raw)
    raw["legally_required"] = {"notice": ["respondent"]}
    assert parse(raw).is_legally_required("notice", "respondent")


def test_preferences_are_read_once_per_transaction_not_once_per_act(world, sql_statements):
    """A sweep serves a hundred acts on the same parties in one transaction: each addressee's preferences are
    read once (an account that never chose has no row, which the session alone would not remember), and a
    choice saved in the same transaction is the one that counts."""
    from odr.cases import services
    from odr.procedure.services import sweep_deadlines

    filed = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    for n in range(5):
        services.file_notice(world.holder, notice_data(title=f"case {n}"), at=filed)
    db.session.commit()
    with sql_statements() as sent:
        assert sweep_deadlines(filed + timedelta(days=9)) == 5
    reads = [s for s in sent if "FROM notification_preferences" in s]
    # Before: two reads for each of the five consequences (one per addressee and act).
    assert len(reads) <= 2

    preferences.save_preferences(world.holder, "every_event", "off")
    assert preferences.preferences_of(world.holder).email is False
    db.session.commit()
    assert preferences.preferences_of(world.holder).email is False
