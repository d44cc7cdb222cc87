"""Measures the platform has not confirmed are chased (rules/generic-odr.yaml ``measure_reminders``, Platform
Rule 19): 24 and 48 hours after the order, the case's mediator (with none assigned, the operator's
administrators) is reminded, once per measure and threshold however many sweepers run, in their language
and time zone; never once the platform confirmed the measure or a later order lifted it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from flask_babel import force_locale

from odr.cases.models import Case
from odr.extensions import db
from odr.mediation import measure_reminders
from odr.mediation.measures import measure_title
from odr.mediation.models import Measure, MeasureKind, MeasureReminder, MeasureStatus
from odr.notifications.models import Channel, Delivery, Notification
from odr.procedure.engine import ProcedureError, load_file, parse
from tests.conftest import make_account, notice_data

pytestmark = pytest.mark.postgres  # the claim by unique key is checked on PostgreSQL too

H = timedelta(hours=1)
S = timedelta(seconds=1)
RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture
def platform(world):
    from odr.accounts.models import Role

    return make_account(Role.PLATFORM_CLIENT, "api@market.example", country="CN", language="zh", tz="Asia/Shanghai")


def file_case(api, world, **overrides) -> Case:
    # One listing, so one takedown measure ordered at notice time (CN E-Commerce Law Art. 42).
    response = api(world.holder).post("/cases", notice_data(listings=["https://shop.example/item/1"], **overrides))
    assert response.status_code == 201, response.get_json()
    return db.session.get(Case, response.get_json()["id"])


def takedown(case: Case) -> Measure:
    [measure] = db.session.scalars(
        db.select(Measure).where(Measure.case_id == case.id, Measure.kind == MeasureKind.TAKE_DOWN)
    ).all()
    return measure


def chased(case: Case, channel=Channel.INBOX) -> list[Delivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(Delivery)
            .where(Delivery.case_id == case.id, Delivery.act == "measure_reminder", Delivery.channel == channel)
            .order_by(Delivery.id)
        )
    )


def test_the_thresholds_are_data_with_their_citation(app):
    rule = load_file(RULES / "cn-ecl.yaml").measure_reminders  # inherited from generic-odr.yaml
    assert rule is not None and rule.after_hours == (24, 48)
    assert rule.citation.article.startswith("Rule 19") and rule.citation.confidence == "verified"
    assert rule.citation.link == "docs/platform-rules.md#rule-19-measures-the-platform-has-not-confirmed"
    rules_text = (RULES.parent / "docs" / "platform-rules.md").read_text()
    assert "## Rule 19: Measures the platform has not confirmed" in rules_text


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"after_hours": [], "citation": None}, "after_hours"),
        ({"after_hours": [24, -1]}, "after_hours"),
        ({"after_hours": ["24h"]}, "after_hours"),
        ({"after_hours": [24]}, "citation"),
    ],
)
def test_bad_thresholds_are_refused_by_the_loader(value, error):
    raw = yaml.safe_load((RULES / "generic-odr.yaml").read_text())
    raw["measure_reminders"] = value
    with pytest.raises(ProcedureError, match=error):
        parse(raw, source="generic-odr.yaml")


def test_without_a_mediator_the_administrators_are_reminded_at_24_and_48_hours_to_the_second(world, api):
    case = file_case(api, world)
    measure = takedown(case)
    ordered = measure.ordered_at
    assert measure_reminders.send_measure_reminders(ordered + 24 * H - S) == 0  # the second before
    assert chased(case) == []
    assert measure_reminders.send_measure_reminders(ordered + 24 * H) == 1  # at 24 h
    assert measure_reminders.send_measure_reminders(ordered + 24 * H + S) == 0  # the second after: sent, once
    assert measure_reminders.send_measure_reminders(ordered + 48 * H - S) == 0
    assert measure_reminders.send_measure_reminders(ordered + 48 * H) == 1  # at 48 h: again, now late
    assert measure_reminders.send_measure_reminders(ordered + 48 * H + S) == 0
    assert measure_reminders.send_measure_reminders(ordered + 500 * H) == 0  # nothing after the last threshold
    rows = chased(case)
    assert [(r.account_id, r.role, r.data["hours_after"]) for r in rows] == [
        (world.admin.id, "admin", 24),
        (world.admin.id, "admin", 48),
    ]
    first, second = (r.data["text"] for r in rows)
    assert "24 hours later" in first and "is due by" in first and "it is late" not in first
    assert "48 hours later" in second and "it is late" in second
    assert "Take the listing down" in first and measure.listing in first
    # By e-mail too, in the administrator's language; the inbox shows the reminder's own words.
    mails = chased(case, Channel.EMAIL)
    assert [db.session.get(Notification, m.notification_id).recipient for m in mails] == [world.admin.email] * 2
    listed = api(world.admin).get("/inbox").get_json()["deliveries"]
    assert [item["reminder"] for item in listed if item["act"] == "measure_reminder"] == [second, first]
    # Neither party is chased for the platform's confirmation.
    assert {r.account_id for r in chased(case)} == {world.admin.id}


def test_the_assigned_mediator_is_reminded_in_their_language_and_time_zone_and_not_the_administrators(world, api):
    case = file_case(api, world)
    case.mediator_id = world.mediator.id
    db.session.commit()
    measure = takedown(case)
    assert measure_reminders.send_measure_reminders(measure.ordered_at + 24 * H) == 1
    [row] = chased(case)
    assert (row.account_id, row.role, row.language, row.time_zone) == (
        world.mediator.id,
        "mediator",
        "de",
        "Europe/Berlin",
    )
    assert "Stunden" in row.data["text"]  # German
    with force_locale("de"):
        german = measure_title("take_down")
    assert german != "Take the listing down" and german in row.data["text"]  # the measure named in German too
    berlin = measure.confirm_by.astimezone(ZoneInfo("Europe/Berlin"))
    assert berlin.strftime("%H:%M:%S") in row.data["text"]


def test_a_second_sweeper_finds_the_reminder_claimed(world, api):
    case = file_case(api, world)
    measure = takedown(case)
    at = measure.ordered_at + 24 * H
    db.session.add(MeasureReminder(measure_id=measure.id, hours_after=24, sent_at=at))  # the other sweeper's row
    db.session.commit()
    assert measure_reminders.send_measure_reminders(at) == 0
    assert chased(case) == []


def test_a_first_sweep_after_both_thresholds_sends_only_the_latest(world, api):
    case = file_case(api, world)
    measure = takedown(case)
    assert measure_reminders.send_measure_reminders(measure.ordered_at + 49 * H) == 1
    assert [r.data["hours_after"] for r in chased(case)] == [48]
    assert measure_reminders.send_measure_reminders(measure.ordered_at + 50 * H) == 0


def test_a_confirmed_measure_is_not_chased(world, api, platform):
    case = file_case(api, world)
    measure = takedown(case)
    confirmed = api(platform).post(f"/measures/{measure.id}/confirm", {"reference": "PLAT-1"})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert measure_reminders.send_measure_reminders(measure.ordered_at + 24 * H) == 0
    assert measure_reminders.send_measure_reminders(measure.ordered_at + 48 * H) == 0
    assert chased(case) == []


def test_confirmed_between_the_thresholds_the_second_reminder_is_not_sent(world, api, platform):
    case = file_case(api, world)
    measure = takedown(case)
    assert measure_reminders.send_measure_reminders(measure.ordered_at + 24 * H) == 1
    api(platform).post(f"/measures/{measure.id}/confirm", {})
    assert measure_reminders.send_measure_reminders(measure.ordered_at + 48 * H) == 0
    assert [r.data["hours_after"] for r in chased(case)] == [24]


def test_nothing_outlives_its_ground_a_lifted_takedown_is_not_chased_but_its_restore_is(world, api):
    """The notice is withdrawn: the takedown loses its ground and is lifted by a restore (Platform Rule 4).
    Nobody is chased about the takedown any more; the restore is what the platform now owes."""
    case = file_case(api, world)
    measure = takedown(case)
    withdrawn = api(world.holder).post(f"/cases/{case.id}/actions/withdraw")
    assert withdrawn.get_json()["state"] == "withdrawn"
    db.session.expire_all()
    restore = db.session.scalar(
        db.select(Measure).where(Measure.case_id == case.id, Measure.kind == MeasureKind.RESTORE)
    )
    assert restore is not None and restore.listing == measure.listing and measure.status == MeasureStatus.PENDING
    assert measure_reminders.due_reminder(measure, measure.ordered_at + 24 * H) is None
    sent = measure_reminders.send_measure_reminders(restore.ordered_at + 24 * H)
    assert sent == 1
    assert [(r.data["measure_id"], r.data["kind"]) for r in chased(case)] == [(restore.id, "restore")]


def test_measures_ordered_together_on_one_listing_stand_together(world, api):
    """A settlement may order two measures on one listing at once (remove an element, and restore against a
    security): neither replaces the other, both are chased."""
    case = file_case(api, world)
    at = takedown(case).ordered_at + H
    for kind in (MeasureKind.REMOVE_ELEMENT, MeasureKind.RESTORE_AGAINST_SECURITY):
        db.session.add(
            Measure(
                case_id=case.id,
                listing="https://shop.example/item/1",
                kind=kind,
                ordered_at=at,
                confirm_by=at + 48 * H,
                ground="settlement",
            )
        )
    db.session.commit()
    assert measure_reminders.send_measure_reminders(at + 24 * H) == 2
    assert sorted(r.data["kind"] for r in chased(case)) == ["remove_element", "restore_against_security"]
