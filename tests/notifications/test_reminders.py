"""Reminders before a period runs out: to the role that must act (a timer's ``remind``), 72 and 24 hours before
(rules/generic-odr.yaml ``reminder_hours``), in the addressee's language and time zone, by inbox and e-mail,
each exactly once however often and by however many sweepers the sweep runs."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from odr.cases.models import Case
from odr.extensions import db
from odr.i18n import render_notification
from odr.notifications import reminders
from odr.notifications.models import Channel, Delivery, Notification, Reminder
from odr.procedure.models import Deadline, DeadlineStatus
from tests.conftest import notice_data

pytestmark = pytest.mark.postgres  # the claim by unique key is checked on PostgreSQL too

H = timedelta(hours=1)
M = timedelta(minutes=1)


def response_deadline(api, world) -> Deadline:
    response = api(world.holder).post("/cases", notice_data(jurisdiction="CN"))
    assert response.status_code == 201, response.get_json()
    case = db.session.get(Case, response.get_json()["id"])
    return db.session.scalar(
        db.select(Deadline).where(
            Deadline.case_id == case.id, Deadline.timer == "response_period", Deadline.status == DeadlineStatus.PENDING
        )
    )


def reminded(deadline: Deadline) -> list[Delivery]:
    return db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == deadline.case_id, Delivery.act == "deadline_reminder")
    ).all()


def test_72_hours_before_at_the_boundary_minute(world, api):
    deadline = response_deadline(api, world)
    due = deadline.due_at
    assert reminders.send_reminders(due - 72 * H - M) == 0  # 72h01 before: not yet
    assert reminded(deadline) == []
    assert reminders.send_reminders(due - 72 * H) == 1  # exactly 72h before
    assert reminders.send_reminders(due - 72 * H + M) == 0  # 71h59 before: already sent, once
    rows = reminded(deadline)
    assert {(r.account_id, r.role, r.channel) for r in rows} == {
        (world.seller.id, "respondent", Channel.INBOX),
        (world.seller.id, "respondent", Channel.EMAIL),
    }
    assert all(r.data["hours_before"] == 72 for r in rows)


def test_71h59_before_is_the_72_hour_reminder_when_the_sweep_first_runs_then(world, api):
    deadline = response_deadline(api, world)
    assert reminders.send_reminders(deadline.due_at - 72 * H + M) == 1
    assert {r.data["hours_before"] for r in reminded(deadline)} == {72}


def test_the_24_hour_reminder_follows_and_nothing_after_the_deadline(world, api):
    deadline = response_deadline(api, world)
    due = deadline.due_at
    assert reminders.send_reminders(due - 72 * H) == 1
    assert reminders.send_reminders(due - 24 * H - M) == 0
    assert reminders.send_reminders(due - 24 * H) == 1
    assert reminders.send_reminders(due - 23 * H) == 0
    assert reminders.send_reminders(due) == 0
    hours = sorted(r.data["hours_before"] for r in reminded(deadline) if r.channel == Channel.INBOX)
    assert hours == [24, 72]
    assert db.session.scalar(db.select(db.func.count()).select_from(Reminder)) == 2


def test_a_period_set_within_72_hours_gets_only_the_24_hour_reminder(world, api):
    deadline = response_deadline(api, world)
    deadline.created_at = deadline.due_at - 48 * H
    db.session.commit()
    assert reminders.send_reminders(deadline.due_at - 47 * H) == 0
    assert reminders.send_reminders(deadline.due_at - 24 * H) == 1
    assert {r.data["hours_before"] for r in reminded(deadline)} == {24}


def test_a_second_sweeper_finds_the_reminder_claimed(world, api):
    deadline = response_deadline(api, world)
    at = deadline.due_at - 72 * H
    # Another sweeper claimed it first (its row committed): this sweep serves nothing.
    db.session.add(Reminder(deadline_id=deadline.id, role="respondent", hours_before=72, sent_at=at))
    db.session.commit()
    assert reminders.send_reminders(at) == 0
    assert reminded(deadline) == []


def test_the_reminder_speaks_the_addressees_language_and_time_zone(world, api, app):
    deadline = response_deadline(api, world)
    reminders.send_reminders(deadline.due_at - 24 * H)
    (inbox,) = [r for r in reminded(deadline) if r.channel == Channel.INBOX]
    assert (inbox.language, inbox.time_zone) == ("zh", "Asia/Shanghai")
    text = inbox.data["text"]
    local = deadline.due_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert local.strftime("%H:%M:%S") in text  # the end as the seller's clock shows it
    assert deadline.due_at.strftime("%H:%M:%S") not in text  # not the UTC instant
    assert "提醒" in text
    assert "卖家答复期限" in text and "Time for the seller" not in text  # the period's name in Chinese too
    (mail,) = [r for r in reminded(deadline) if r.channel == Channel.EMAIL]
    note = db.session.get(Notification, mail.notification_id)
    with app.test_request_context():
        subject, body = render_notification(note)
    reference = db.session.get(Case, deadline.case_id).reference
    assert reference in subject and text.strip() in body
    listed = api(world.seller).get("/inbox").get_json()["deliveries"]
    assert any(item["reminder"] == text for item in listed)


def test_the_mediator_is_reminded_of_the_facilitation_period_and_the_other_side_is_not(world, api):
    deadline = response_deadline(api, world)
    case = db.session.get(Case, deadline.case_id)
    case.mediator_id = world.mediator.id
    deadline.timer = "facilitation_period"
    db.session.commit()
    assert reminders.send_reminders(deadline.due_at - 24 * H) == 1
    assert {(r.role, r.account_id) for r in reminded(deadline)} == {("mediator", world.mediator.id)}


def choose(api, account, **body):
    client = api(account)
    response = client.client.put("/api/v1/me/notification-preferences", json=body, headers=client.headers)
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("frequency", "email", "e_mailed"),
    [
        ("every_event", True, True),
        ("deadlines_only", True, True),
        # A digest leaves after the local day ends, possibly after the period: the reminder goes at once.
        ("daily_digest", True, True),
        # E-mail off: the reminder is not a notice the law requires, so the inbox only.
        ("every_event", False, False),
        ("deadlines_only", False, False),
        ("daily_digest", False, False),
    ],
)
def test_reminders_follow_the_accounts_e_mail_choice_and_always_reach_the_inbox(world, api, frequency, email, e_mailed):
    choose(api, world.seller, frequency=frequency, email=email)
    deadline = response_deadline(api, world)
    assert reminders.send_reminders(deadline.due_at - 24 * H) == 1
    rows = reminded(deadline)
    assert [r.channel for r in rows if r.channel == Channel.INBOX] == [Channel.INBOX]
    mails = [r for r in rows if r.channel == Channel.EMAIL]
    if e_mailed:
        [mail] = mails
        assert mail.notification_id is not None and mail.digest_on is None and not mail.legally_required
        assert db.session.get(Notification, mail.notification_id).recipient == world.seller.email
    else:
        assert mails == []
        assert db.session.scalars(db.select(Notification).where(Notification.kind == "reminder")).all() == []


def test_the_notice_itself_is_still_e_mailed_to_a_seller_who_turned_e_mail_off(world, api):
    """The contrast that explains the choice: the law requires the notice's service (JP Act No. 137 of 2001
    Art. 3(2)(ii)), not the reminder; with e-mail off the first is e-mailed, the second is not."""
    choose(api, world.seller, email=False)
    response = api(world.holder).post("/cases", notice_data(jurisdiction="JP"))
    assert response.status_code == 201, response.get_json()
    case_id = response.get_json()["id"]
    served = db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case_id, Delivery.act == "notice", Delivery.channel == "email")
    ).all()
    assert [r.legally_required for r in served] == [True]
    # The seller opens the inquiry in the inbox: received, so its 7 days start (and with them the reminders).
    inbox = db.session.scalar(
        db.select(Delivery.id).where(Delivery.case_id == case_id, Delivery.act == "notice", Delivery.channel == "inbox")
    )
    assert api(world.seller).post(f"/inbox/{inbox}/open", {}).status_code == 200
    deadline = db.session.scalar(
        db.select(Deadline).where(Deadline.case_id == case_id, Deadline.status == DeadlineStatus.PENDING)
    )
    assert reminders.send_reminders(deadline.due_at - 24 * H) == 1
    assert [r.channel for r in reminded(deadline)] == [Channel.INBOX]
