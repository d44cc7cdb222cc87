"""The public register (CN Art. 44), the transparency report (DSA Arts. 15, 24) and the Lumen export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from odr.cases import services as case_services
from odr.errors import ValidationFailed
from odr.models_base import utcnow
from odr.procedure.services import sweep_deadlines
from odr.transparency import services
from tests.conftest import COUNTER_NOTICE_ELEMENTS, notice_data

pytestmark = pytest.mark.e2e


@pytest.fixture
def notices(world):
    """Three notices: one answered with a declaration, one withdrawn, one on a copyright left silent."""
    declared = case_services.file_notice(world.holder, notice_data()).obj
    case_services.add_filing(
        world.seller,
        declared.id,
        {"kind": "counter_notice", "language": "zh", "text": "我们有授权。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    withdrawn = case_services.file_notice(world.holder, notice_data(title="Second")).obj
    case_services.take_action(world.holder, withdrawn.id, "withdraw")
    silent = case_services.file_notice(
        world.stranger_holder, notice_data(right_type="copyright", jurisdiction="US", title="Photos")
    )
    return declared, withdrawn, silent.obj


def this_year():
    today = utcnow().date()
    return {"from": date(today.year, 1, 1).isoformat(), "to": today.isoformat()}


def test_the_register_lists_notices_declarations_and_results_without_names(app, world, notices):
    declared, withdrawn, silent = notices
    records = {r.case.reference: r.to_dict() for r in services.notice_records(services.check_filters(this_year()))}
    assert set(records) == {declared.reference, withdrawn.reference, silent.reference}
    assert len(records[declared.reference]["declarations"]) == 1
    assert records[withdrawn.reference]["outcome"] == "withdrawn" and records[withdrawn.reference]["closed_at"]
    assert records[declared.reference]["measures"][0]["kind"] == "take_down"  # CN: measures at once
    published = str(records)
    for private in (world.holder.party.name, world.seller.party.name, world.holder.email, "Ana García"):
        assert private not in published
    assert records[declared.reference]["claimant_country"] == "ES"


def test_the_register_filters_by_jurisdiction_right_type_and_outcome(app, world, notices):
    declared, withdrawn, silent = notices
    only = lambda **f: {r.case.id for r in services.notice_records(services.check_filters(this_year() | f))}  # noqa: E731
    assert only(jurisdiction="us") == {silent.id}
    assert only(right_type="trademark") == {declared.id, withdrawn.id}
    assert only(outcome="withdrawn") == {withdrawn.id}
    last_year = date(utcnow().year - 1, 1, 1)
    assert only(**{"from": last_year.isoformat(), "to": (last_year + timedelta(days=30)).isoformat()}) == set()


@pytest.mark.parametrize(
    "args,field",
    [
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"right_type": "moral"}, "right_type"),
        ({"outcome": "lost"}, "outcome"),
        ({"jurisdiction": "<b>"}, "jurisdiction"),
    ],
)
def test_a_bad_period_or_filter_is_refused_with_the_field_named(app, args, field):
    with pytest.raises(ValidationFailed) as refused:
        services.check_filters(args)
    assert field in refused.value.fields


def test_the_report_counts_notices_times_and_complaints(app, world, notices):
    later = utcnow() + timedelta(days=30)
    sweep_deadlines(later)  # the seller stayed silent: deadlines move the cases on, automatically
    period = this_year() | {"to": later.date().isoformat()}
    report = services.transparency_report(services.check_filters(period, with_case_filters=False))
    assert report["notices"]["total"] == 3
    assert report["notices"]["by_right_type"] == {"copyright": 1, "trademark": 2}
    assert report["notices"]["by_outcome"]["withdrawn"] == 1
    assert report["complaints"]["declarations"] == 1
    assert report["handling_hours"]["to_closure"]["count"] == 1
    assert report["handling_hours"]["to_first_measure"]["count"] >= 1
    assert report["automated_means"]["procedural_steps_by_deadline"] >= 1
    assert report["citation"]["article"] == "Arts. 15 and 24"


def test_percentiles_of_handling_times(app):
    assert services._percentiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == {"count": 10, "median": 5.5, "p90": 9.1}
    assert services._percentiles([]) == {"count": 0, "median": None, "p90": None}


def test_pages_csv_json_and_lumen_export_are_public(app, client, world, notices):
    declared = notices[0]
    page = client.get("/transparency/report")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "Notices by outcome" in html and "<script" not in html
    # The right types are named in words, in the chart as in the register (never an object's address).
    assert ">Trademark</text>" in html and " object at 0x" not in html
    register = client.get("/transparency/register?right_type=trademark").get_data(as_text=True)
    assert declared.reference in register and world.seller.party.name not in register
    assert ">Trademark</td>" in register and " object at 0x" not in register
    rows = list(csv.reader(io.StringIO(client.get("/transparency/register.csv").get_data(as_text=True))))
    assert rows[0][:2] == ["reference", "received_at"] and len(rows) == 4
    assert client.get("/transparency/report.json").get_json()["notices"]["total"] == 3
    report_rows = list(csv.reader(io.StringIO(client.get("/transparency/report.csv").get_data(as_text=True))))
    assert ["notices", "total", "3"] in report_rows
    (notice,) = [
        n["notice"]
        for n in client.get("/transparency/lumen.json").get_json()["notices"]
        if declared.reference in n["notice"]["title"]
    ]
    assert notice["type"] == "Trademark" and notice["action_taken"] == "Yes"
    assert notice["works_attributes"][0]["infringing_urls_attributes"][0]["url"] == "https://shop.example/item/1"
    assert client.get("/api/v1/transparency/report").get_json()["notices"]["total"] == 3
    assert len(client.get("/api/v1/transparency/register?outcome=withdrawn").get_json()["notices"]) == 1
    assert client.get("/api/v1/transparency/lumen").status_code == 200


def test_bad_filters_are_answered_in_the_readers_language(app, client):
    page = client.get("/transparency/register?from=yesterday", headers={"Accept-Language": "en"})
    assert page.status_code == 422 and "YYYY-MM-DD" in page.get_data(as_text=True)
    api = client.get("/api/v1/transparency/report?to=2026-02-30")
    assert api.status_code == 422 and api.get_json()["error"]["fields"]["to"]


def test_the_report_counts_the_account_measures_of_the_period(app, world):
    from odr.conduct.models import AccountMeasure, MeasureStatus
    from odr.extensions import db

    now = utcnow()
    for policy, kind, status, at in [
        ("notice_misuse", "warning", MeasureStatus.IN_FORCE, now),
        ("notice_misuse", "suspend_notice_processing", MeasureStatus.IN_FORCE, now),
        ("repeat_infringer", "suspend_account", MeasureStatus.LIFTED_ON_APPEAL, now),
        ("repeat_infringer", "terminate_account", MeasureStatus.IN_FORCE, now),
        ("repeat_infringer", "warning", MeasureStatus.EXPIRED, now),
        ("repeat_infringer", "suspend_account", MeasureStatus.IN_FORCE, now - timedelta(days=800)),  # another period
    ]:
        db.session.add(
            AccountMeasure(
                party_id=world.seller.party_id,
                policy=policy,
                kind=kind,
                status=status.value,
                jurisdiction="CN",
                starts_at=at,
            )
        )
    db.session.commit()
    report = services.transparency_report(services.check_filters(this_year(), with_case_filters=False))
    assert report["suspensions"] == {
        "notice_processing_suspended": 1,
        "notifiers_warned": 1,
        "accounts_suspended": 1,
        "accounts_terminated": 1,
        "sellers_warned": 1,
        "lifted_on_appeal": 1,
    }
    rows = list(services.report_csv_rows(report))
    assert ["suspensions", "accounts_suspended", 1] in rows
