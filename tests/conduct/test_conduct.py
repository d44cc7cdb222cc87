"""Records from outcomes, wrongful-notice findings, repeat-infringer strikes and account measures."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from odr.accounts.models import Role
from odr.cases import services as cases
from odr.conduct import services
from odr.conduct.models import AccountMeasure, NoticeRefusal
from odr.conduct.policy import policy
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, ValidationFailed
from odr.export import ecf as export_ecf
from odr.extensions import db
from odr.mediation.measures import platform_measures
from odr.mediation.models import Measure
from odr.models_base import utcnow
from odr.notifications.deliveries import open_delivery
from odr.notifications.models import Delivery
from odr.procedure.services import sweep_deadlines
from tests.conftest import COUNTER_NOTICE_ELEMENTS, make_account, notice_data
from tests.mediation.conftest import mediated_case


def silent_notices(world, n, jurisdiction="CN", at=None, **overrides):
    """``n`` notices the seller leaves unanswered: each becomes an uncontested strike when the sweep runs."""
    at = at or utcnow()
    ids = [
        cases.file_notice(world.holder, notice_data(jurisdiction=jurisdiction, **overrides), at=at).obj.id
        for _ in range(n)
    ]
    sweep_deadlines(at + timedelta(days=8))
    return ids


def account_orders(kind: str) -> list[Measure]:
    return [m for m in db.session.scalars(db.select(Measure)) if m.kind.value == kind]


# --- records from outcomes ------------------------------------------------------------------------


def test_notifier_record_counts_outcomes_not_accusations(world):
    holder = world.holder
    filed = cases.file_notice(holder, notice_data()).obj
    withdrawn = cases.file_notice(holder, notice_data()).obj
    cases.take_action(holder, withdrawn.id, "withdraw")
    with pytest.raises(ValidationFailed):
        cases.file_notice(holder, notice_data(listings=[]))
    record = services.record_of(holder.party)
    assert record.as_notifier["filed"] == 2
    assert record.as_notifier["withdrawn"] == 1
    assert record.as_notifier["refused_incomplete"] == 1
    assert record.as_notifier["found_erroneous"] == record.as_notifier["found_malicious"] == 0
    # The seller was only accused: nothing counts against it yet.
    seller = services.record_of(world.seller.party)
    assert seller.as_seller["received"] == 2
    assert seller.as_seller["upheld_by_court"] == seller.as_seller["upheld_by_settlement"] == 0
    assert seller.active_strikes == []
    assert filed.state == "awaiting_response"


def test_a_language_question_is_not_a_refusal(world):
    data = notice_data(text="The seller offers counterfeit bags bearing our registered trademark.", language="zh")
    with pytest.raises(ValidationFailed) as refused:
        cases.file_notice(world.holder, data)
    assert set(refused.value.fields) <= cases.LANGUAGE_QUESTIONS
    assert db.session.scalar(db.select(NoticeRefusal)) is None


def test_record_is_shown_to_the_person_to_mediators_and_through_the_api(world, api, browser):
    case_id = mediated_case(world)
    own = api(world.seller).get("/conduct/record")
    assert own.status_code == 200 and own.get_json()["as_seller"]["uncontested"] == 1
    on_case = api(world.mediator).get(f"/cases/{case_id}/conduct").get_json()
    assert on_case["records"]["respondent"]["active_strikes"] == 1
    assert on_case["records"]["claimant"]["as_notifier"]["filed"] == 1
    # A party reads its own record, not the other side's.
    assert api(world.holder).get(f"/conduct/parties/{world.seller.party_id}/record").status_code == 404
    assert api(world.holder).get(f"/cases/{case_id}/conduct").get_json()["records"] == {}
    page = browser(world.mediator).get(f"/cases/{case_id}/conduct").get_data(as_text=True)
    assert "Left unanswered" in page and world.seller.party.name in page


# --- wrongful notices -------------------------------------------------------------------------------


def claim(world, case_id, **overrides):
    data = {"grounds": "我们是授权经销商，通知是错误的。", "language": "zh", "loss_amount": "12000", "currency": "CNY"}
    data.update(overrides)
    return services.do_claim_wrongful_notice(world.seller, case_id, data)


def test_only_the_seller_claims_and_bad_input_changes_nothing(world):
    case_id = mediated_case(world)
    with pytest.raises(Forbidden):
        services.do_claim_wrongful_notice(world.holder, case_id, {})
    with pytest.raises(ValidationFailed) as refused:
        claim(world, case_id, loss_amount="lots", currency="yuan")
    assert set(refused.value.fields) == {"loss_amount", "currency"}
    assert services.claims_of_case(db.session.get(cases.Case, case_id)) == []
    claim(world, case_id)
    with pytest.raises(NotAllowed):
        claim(world, case_id)


@pytest.mark.postgres
def test_malicious_notice_in_china_names_double_compensation_and_enters_the_record_bundle_and_ecf(world, api):
    case_id = mediated_case(world)
    filed = claim(world, case_id)
    with pytest.raises(Forbidden):
        services.do_decide_wrongful_notice(world.holder, filed.id, {"finding": "malicious"})
    decided = services.do_decide_wrongful_notice(
        world.mediator,
        filed.id,
        {"finding": "malicious", "reasons": "Die Mitteilung war wissentlich falsch.", "language": "de"},
    )
    assert decided.decider_role == "mediator"
    assert decided.consequence["multiplier"] == 2
    assert decided.consequence["compensation_named"] == "24000.00"
    assert "Art. 42(3)" in decided.consequence["citation"]["article"]
    assert "法释〔2020〕9号" in decided.consequence["malicious_declaration_citation"]["instrument"]
    record = services.record_of(world.holder.party)
    assert record.as_notifier["found_malicious"] == 1
    assert [c.id for c in record.findings_against] == [filed.id]
    # The uncontested strike this notice gave the seller no longer counts.
    (strike,) = services.record_of(world.seller.party).strikes
    assert strike.removed == "wrongful_notice"

    # Escalated, the court receives the finding in case.json and as an ECF filing of its own.
    assert api(world.holder).post(f"/cases/{case_id}/actions/escalate").status_code in (200, 201)
    response = api(world.court).get(f"/cases/{case_id}/export")
    bundle = zipfile.ZipFile(io.BytesIO(response.get_data()))
    response.close()
    names = bundle.namelist()
    case_json = json.loads(next(bundle.read(n) for n in names if n.endswith("data/case.json")))
    (entry,) = case_json["wrongful_notice"]
    assert entry["status"] == "malicious" and entry["consequence"]["multiplier"] == 2
    assert {r["part"] for r in entry["renditions"]} == {"grounds", "finding"}
    ecf = next(bundle.read(n).decode() for n in names if n.endswith(f"data/ecf/wrongful-notice-{filed.id:06d}.xml"))
    assert "wrongful_notice_finding" in ecf and entry["renditions"][1]["sha256"] in ecf
    assert (
        export_ecf.validate(ecf.encode(), export_ecf.schema(Path(export_ecf.__file__).parent / "ecf-5.0" / "schema"))
        == []
    )


def test_us_erroneous_notice_carries_nothing_under_512f_but_is_recorded(world):
    case_id = mediated_case(world)
    db.session.get(cases.Case, case_id).jurisdiction = "US"
    commit()
    filed = claim(world, case_id, currency="USD")
    decided = services.do_decide_wrongful_notice(
        world.admin, filed.id, {"finding": "erroneous", "reasons": "An honest mistake.", "language": "en"}
    )
    assert decided.decider_role == "admin" and decided.consequence["multiplier"] == 0
    assert "512(f)" in decided.consequence["citation"]["instrument"]
    assert services.record_of(world.holder.party).as_notifier["found_erroneous"] == 1


def test_dismissed_claim_leaves_the_notifier_record_clean(world, api):
    case_id = mediated_case(world)
    filed = claim(world, case_id)
    response = api(world.mediator).post(
        f"/conduct/claims/{filed.id}/finding", {"finding": "dismissed", "reasons": "Nicht belegt.", "language": "de"}
    )
    assert response.status_code == 200 and response.get_json()["consequence"] is None
    assert services.record_of(world.holder.party).findings_against == []


# --- repeat infringers --------------------------------------------------------------------------------


@pytest.mark.parametrize("jurisdiction", ["US", "CN", "default"])
def test_each_threshold_at_its_edges(app, jurisdiction):
    rules = policy().repeat[jurisdiction]
    below, at, above = rules.threshold - 1, rules.threshold, rules.threshold + 1
    assert rules.due(below) in (None, "warning")
    assert rules.due(at) == rules.measure and rules.due(above) == rules.measure
    if rules.warning_at is not None:
        assert rules.due(rules.warning_at - 1) is None and rules.due(rules.warning_at) == "warning"


@pytest.mark.postgres
def test_strikes_reach_the_cn_threshold_and_the_platform_receives_a_suspension(world, platform):
    silent_notices(world, 2)
    assert services.record_of(world.seller.party).thresholds[0]["active_strikes"] == 2
    assert db.session.scalar(db.select(AccountMeasure)) is None, "one below the threshold: no measure"
    silent_notices(world, 1)
    (measure,) = db.session.scalars(db.select(AccountMeasure)).all()
    assert (measure.kind, measure.jurisdiction, measure.reasons["active_strikes"]) == ("suspend_account", "CN", 3)
    assert measure.ends_at - measure.starts_at == timedelta(days=policy().repeat["CN"].suspension_days)
    (order,) = [m for m in platform_measures(platform) if m.kind.value == "suspend_account"]
    assert order.details["scope"] == "account" and order.details["conduct_measure_id"] == measure.id
    # One above: no second suspension while one is in force.
    silent_notices(world, 1)
    assert len(db.session.scalars(db.select(AccountMeasure)).all()) == 1


def test_us_threshold_terminates_and_the_default_policy_warns_first(world):
    silent_notices(world, 3, jurisdiction="US")
    (measure,) = db.session.scalars(db.select(AccountMeasure)).all()
    assert measure.kind == "terminate_account" and measure.ends_at is None
    other = world.stranger_seller
    for _ in range(2):
        cases.file_notice(world.holder, notice_data(seller_email=other.email, jurisdiction="GB"))
    sweep_deadlines(utcnow() + timedelta(days=8))
    warning = db.session.scalar(db.select(AccountMeasure).where(AccountMeasure.party_id == other.party_id))
    assert warning.kind == "warning" and warning.jurisdiction == "default"
    assert not [m for m in account_orders("suspend_account") if m.details["party_id"] == other.party_id]


def counter_notice_that_holds(world, case_id, at):
    response = cases.add_filing(
        world.seller,
        case_id,
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
        at=at,
    )
    assert response.obj.kind.value == "counter_notice"
    row = db.session.scalar(
        db.select(Delivery).where(
            Delivery.case_id == case_id,
            Delivery.act == "counter_notice",
            Delivery.account_id == world.holder.id,
            Delivery.channel == "inbox",
        )
    )
    open_delivery(world.holder, row.id, at)
    commit()
    sweep_deadlines(at + timedelta(days=20))


@pytest.mark.postgres
def test_a_counter_notice_that_held_removes_the_strike_and_strikes_expire(world):
    start = utcnow()
    first, second = silent_notices(world, 2, at=start)
    record = services.record_of(world.seller.party)
    assert len(record.active_strikes) == 2
    counter_notice_that_holds(world, first, start + timedelta(days=9))
    record = services.record_of(world.seller.party)
    assert record.as_seller["counter_notices_held"] == 1
    assert record.as_notifier["filed"] == 0
    assert services.record_of(world.holder.party).as_notifier["restored_after_counter_notice"] == 1
    removed = next(s for s in record.strikes if s.case.id == first)
    assert removed.removed == "counter_notice_held" and len(record.active_strikes) == 1
    kept = next(s for s in record.strikes if s.case.id == second)
    days = policy().repeat["CN"].strike_expiry_days
    assert kept.active(kept.at + timedelta(days=days) - timedelta(seconds=1))
    assert not kept.active(kept.at + timedelta(days=days))
    assert services.record_of(world.seller.party, now=kept.at + timedelta(days=days)).active_strikes == []


# --- appeal and expiry of an account measure ---------------------------------------------------------


@pytest.mark.postgres
def test_suspension_appeal_lifted_by_an_administrator_reinstates_the_account(world, api):
    silent_notices(world, 3)
    measure = db.session.scalar(db.select(AccountMeasure))
    seller = api(world.seller)
    assert seller.post(f"/conduct/measures/{measure.id}/appeal", {"text": ""}).status_code == 422
    assert seller.post(f"/conduct/measures/{measure.id}/appeal", {"text": "两个通知已撤回。"}).status_code == 200
    assert seller.post(f"/conduct/measures/{measure.id}/appeal", {"text": "again"}).status_code == 409
    admin = api(world.admin)
    assert [a["id"] for a in admin.get("/conduct/appeals").get_json()["appeals"]] == [measure.id]
    assert api(world.mediator).get("/conduct/appeals").status_code == 403
    decided = admin.post(
        f"/conduct/measures/{measure.id}/appeal-decision", {"lift": True, "reasons": "Two notices were withdrawn."}
    ).get_json()
    assert decided["status"] == "lifted_on_appeal" and decided["appeal"]["decision"] == "lifted"
    assert len(account_orders("reinstate_account")) == 1


@pytest.mark.postgres
def test_suspension_expires_and_the_account_is_reinstated_once(world):
    silent_notices(world, 3)
    measure = db.session.scalar(db.select(AccountMeasure))
    assert services.sweep_expired(measure.ends_at - timedelta(seconds=1)) == 0
    assert services.sweep_expired(measure.ends_at + timedelta(seconds=1)) == 1
    assert services.sweep_expired(measure.ends_at + timedelta(days=1)) == 0
    db.session.refresh(measure)
    assert measure.status == "expired" and len(account_orders("reinstate_account")) == 1


def test_account_kinds_cannot_be_agreed_in_a_settlement(world):
    from odr.mediation.measures import parse_measures

    case = db.session.get(cases.Case, mediated_case(world))
    fields: dict = {}
    parse_measures([{"kind": "terminate_account", "listing": case.listings[0].locator}], case, fields)
    assert "measures.0.kind" in fields


def test_records_need_an_organisation(world):
    loner = make_account(Role.ADMIN, "admin2@example.org")
    assert services.record_for(loner, world.seller.party_id).party.id == world.seller.party_id
