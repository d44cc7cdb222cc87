"""The EU procedure as the Digital Services Act asks (issue 13): a reasoned decision on every notice (Art. 16),
full statements of reasons (Art. 17), six months of internal complaints for the seller and the notifier
(Art. 20), certified out-of-court bodies (Art. 21) and transparency database records (Art. 24(5))."""

from datetime import datetime, timedelta

import pytest

from odr.accounts.models import Account
from odr.cases import services as cases
from odr.cases.models import Case, Event
from odr.domain_events import commit
from odr.dsa import services as dsa
from odr.dsa import transparency
from odr.dsa.models import Complaint, ComplaintStatus, NoticeReview, StatementOfReasons
from odr.errors import NotAllowed, ValidationFailed
from odr.extensions import db
from odr.mediation.measures import platform_measures
from odr.mediation.models import Measure
from odr.notifications.deliveries import open_delivery
from odr.notifications.models import Delivery
from odr.procedure.services import pending_deadlines, sweep_deadlines
from tests.conftest import notice_data

T0 = datetime.fromisoformat("2026-01-15T10:00:00+01:00")
DECISION = {
    "outcome": "restrict",
    "ground": "illegal_content",
    "legal_ground": "Art. 9(2)(a) Regulation (EU) 2017/1001: use of a sign identical to the EU trade mark",
    "explanation": "The listing shows bags bearing the FLAMENCO mark that the right holder did not make or sell.",
    "facts": "Test purchase of 2026-02-20 and registration EUTM 018123456 provided with the notice.",
}


def file_eu(world, at=T0, market="DE", **overrides) -> Case:
    data = notice_data(jurisdiction="EU", target_market=market, **overrides)
    case = cases.file_notice(world.holder, data, at=at).obj
    return db.session.get(Case, case.id)


def open_all(case: Case, account: Account, at: datetime) -> None:
    """The account opens what was served on it (it is informed then)."""
    for row in db.session.scalars(
        db.select(Delivery).where(
            Delivery.case_id == case.id, Delivery.account_id == account.id, Delivery.channel == "inbox"
        )
    ).all():
        open_delivery(account, row.id, at)
    commit()


def decided(world, case, at=T0 + timedelta(hours=2), **changes) -> Case:
    dsa.decide_notice(world.admin, case.id, dict(DECISION, **changes), at=at)
    db.session.expire_all()
    return db.session.get(Case, case.id)


def kinds(case) -> list[str]:
    return [e.kind for e in db.session.scalars(db.select(Event).where(Event.case_id == case.id).order_by(Event.seq))]


# -- Art. 16: a decision on every notice ------------------------------------------------------------------------


def test_a_notice_waits_for_a_reviewers_reasoned_decision(world):
    case = file_eu(world, text="x")
    assert case.state == "notice_review"
    assert db.session.scalar(db.select(db.func.count()).select_from(Measure)) == 0, "no automatic takedown"
    review = dsa.review_of(case)
    assert review.triage["flags"] == ["explanation_too_short"]
    assert review.triage["suggested_outcome"] == "no_action"
    assert pending_deadlines(case) == [], "no timer decides the notice"
    # Not a button: a decision without reasons is refused, and so is a mediator or a party.
    with pytest.raises(ValidationFailed) as refusal:
        dsa.decide_notice(world.admin, case.id, {"outcome": "restrict", "explanation": "x"}, at=T0)
    assert {"legal_ground", "explanation", "facts"} <= set(refusal.value.fields)
    for account, status in ((world.mediator, 404), (world.holder, 403), (world.seller, 403)):
        with pytest.raises(Exception) as forbidden:
            dsa.decide_notice(account, case.id, DECISION, at=T0)
        assert getattr(forbidden.value, "status", None) == status  # an unassigned mediator does not see the case
    with pytest.raises(NotAllowed) as direct:
        cases.take_action(world.admin, case.id, "restrict", at=T0)
    assert direct.value.code == "needs_decision"


def test_the_decision_restricts_and_the_notifier_is_told_the_decision_and_redress(world):
    case = decided(world, file_eu(world))
    assert case.state == "awaiting_response"
    assert {m.kind.value for m in db.session.scalars(db.select(Measure).where(Measure.case_id == case.id))} == {
        "take_down"
    }
    served = db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == "notice_decision")
    ).all()
    assert {d.role for d in served} == {"claimant", "respondent"}
    to_notifier = next(d for d in served if d.role == "claimant")
    assert to_notifier.data["outcome"] == "restrict"
    assert to_notifier.data["redress"] == ["internal_complaint", "out_of_court_bodies", "court"]
    assert "notice_decided" in kinds(case) and "statement_of_reasons" in kinds(case)


def test_a_trusted_flaggers_notice_is_decided_first(world):
    first = file_eu(world, at=T0)
    second = file_eu(world, at=T0 + timedelta(hours=1))
    third = file_eu(world, at=T0 + timedelta(hours=2))
    dsa.mark_trusted_flagger(third, "DE-TF-2024-007 (Bundesnetzagentur)", T0 + timedelta(hours=2))
    commit()
    queue = dsa.review_queue(world.admin, now=T0 + timedelta(days=3))
    assert [row.review.case_id for row in queue] == [third.id, first.id, second.id]
    assert queue[0].review.priority and queue[1].age_days == 3
    sor = decided(world, third)
    statement = dsa.latest_statement(sor)
    assert statement.content["facts"]["source"] == "trusted_flagger"
    assert transparency.record(statement)["source_type"] == "SOURCE_TRUSTED_FLAGGER"


# -- Art. 17: the statement of reasons ----------------------------------------------------------------------------


def test_the_statement_has_every_art_17_element_and_the_markets_scope(world):
    # A Chinese platform selling into Germany: its home law stays the case's jurisdiction, the DSA governs the
    # notice, and the restriction concerns the German market (not "CN").
    data = notice_data(jurisdiction="CN", target_market="DE")
    case = db.session.get(Case, cases.file_notice(world.holder, data, at=T0).obj.id)
    assert case.jurisdiction == "CN" and case.procedure_code == "eu-dsa"
    case = decided(world, case, used_suggestion=True)
    content = dsa.latest_statement(case).content
    assert content["measure"] == ["take_down"] and content["listings"] == ["https://shop.example/item/1", "item-2"]
    assert content["territorial_scope"] == ["DE"] and content["home_jurisdiction"] == "CN"
    assert content["duration"]["ended_at"] is None and "withdrawal" in content["duration"]["ends_on"]
    assert content["facts"]["triggered_by_art_16_notice"] and content["facts"]["reviewer_facts"]
    assert content["automated_means"] == {
        "detection": False,
        "used_for": ["notice_completeness_check", "triage_suggestion"],
        "queue_ordered_by": [],
        "decision": "partially",
        "suggestion_followed": True,
    }
    assert content["ground"]["legal_ground"].startswith("Art. 9(2)(a)")
    assert "FLAMENCO" in content["ground"]["explanation"]
    assert content["redress"] == ["internal_complaint", "out_of_court_bodies", "court"]
    event = db.session.scalar(db.select(Event).where(Event.case_id == case.id, Event.kind == "statement_of_reasons"))
    assert event.payload["puid"] == dsa.latest_statement(case).puid  # on the event chain


def test_a_withdrawn_notice_lifts_the_measure_and_updates_the_statement(world):
    case = decided(world, file_eu(world))
    withdrawn_at = T0 + timedelta(days=3)
    cases.take_action(world.holder, case.id, "withdraw", at=withdrawn_at)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "withdrawn"
    restore = db.session.scalars(
        db.select(Measure).where(Measure.case_id == case.id, Measure.ordered_at == withdrawn_at)
    )
    assert {m.kind.value for m in restore} == {"restore"}
    statement = dsa.latest_statement(case)
    assert statement.content["duration"]["ended_by"] == "withdrawal"
    assert statement.content["duration"]["ended_at"] == withdrawn_at.isoformat()
    assert statement.version >= 2 and "statement_of_reasons_updated" in kinds(case)
    assert transparency.record(statement)["end_date_visibility_restriction"] == "2026-01-18"


# -- Art. 20: internal complaints ---------------------------------------------------------------------------------


def informed_seller(world) -> Case:
    case = decided(world, file_eu(world))
    open_all(case, world.seller, T0 + timedelta(hours=3))  # the seller opens the statement: informed
    return case


def test_a_complaint_five_months_after_escalation_is_accepted(world):
    case = informed_seller(world)
    cases.take_action(world.holder, case.id, "escalate", at=T0 + timedelta(days=20))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "escalated"
    complaint = dsa.file_complaint(
        world.seller, case.id, {"text": "The bags are genuine; invoice attached."}, at=T0 + timedelta(days=152)
    )
    assert complaint.status == ComplaintStatus.OPEN and complaint.role == "respondent"
    assert complaint.informed_at == T0 + timedelta(hours=3)
    # Six months from being informed: to the end of 15 July 2026 in Berlin (a Wednesday).
    assert complaint.window_ends_at == datetime.fromisoformat("2026-07-15T23:59:59.999999+02:00")


def test_a_complaint_six_months_and_one_day_later_is_refused_with_the_reason(world):
    case = informed_seller(world)
    last = datetime.fromisoformat("2026-07-15T23:59:59.999999+02:00")
    with pytest.raises(NotAllowed) as refusal:
        dsa.file_complaint(world.seller, case.id, {"text": "Too late?"}, at=last + timedelta(days=1))
    assert refusal.value.code == "complaint_period_over"
    assert "2026-07-15" in refusal.value.message and "Art. 20" in refusal.value.message
    assert db.session.scalar(db.select(db.func.count()).select_from(Complaint)) == 0
    # The last instant is still inside.
    assert dsa.file_complaint(world.seller, case.id, {"text": "Just in time."}, at=last).status == ComplaintStatus.OPEN


def test_the_window_runs_from_when_the_seller_is_informed_not_from_the_decision(world):
    case = decided(world, file_eu(world))
    # Never opened and no mail accepted: not informed yet, so the window has not started.
    complaint = dsa.file_complaint(world.seller, case.id, {"text": "Late but never told."}, at=T0 + timedelta(days=300))
    assert complaint.informed_at is None and complaint.window_ends_at is None


def test_no_timer_decides_a_complaint(world):
    case = informed_seller(world)
    complaint = dsa.file_complaint(world.seller, case.id, {"text": "Genuine goods."}, at=T0 + timedelta(days=1))
    assert sweep_deadlines(T0 + timedelta(days=400)) >= 0
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).status == ComplaintStatus.OPEN
    rows = dsa.open_complaints(world.admin, now=T0 + timedelta(days=31))
    assert [(r.complaint.id, r.age_days) for r in rows] == [(complaint.id, 30)]
    # The mediator is not the platform's qualified staff.
    with pytest.raises(Exception) as forbidden:
        dsa.decide_complaint(world.mediator, complaint.id, {"outcome": "upheld", "reasons": "x" * 30})
    assert getattr(forbidden.value, "status", None) == 403
    with pytest.raises(ValidationFailed):
        dsa.decide_complaint(world.admin, complaint.id, {"outcome": "upheld", "reasons": ""})


def test_an_upheld_complaint_lifts_the_measure_at_once_and_the_platform_receives_it(world, platform):
    case = informed_seller(world)
    complaint = dsa.file_complaint(world.seller, case.id, {"text": "Genuine goods."}, at=T0 + timedelta(days=1))
    at = T0 + timedelta(days=2)
    dsa.decide_complaint(
        world.admin,
        complaint.id,
        {"outcome": "upheld", "reasons": "The invoice from the authorised distributor shows the goods are genuine."},
        at=at,
    )
    restore = [m for m in platform_measures(platform) if m.case_id == case.id and m.kind.value == "restore"]
    assert restore and all(m.ordered_at == at for m in restore)
    statement = dsa.latest_statement(db.session.get(Case, case.id))
    assert statement.content["duration"]["ended_by"] == "complaint_upheld"
    served = db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == "complaint_decision")
    ).all()
    assert {d.role for d in served} == {"claimant", "respondent"}
    assert served[0].data["out_of_court_bodies"], "certified bodies are offered after the decision"


def test_the_notifiers_complaint_against_no_action(world):
    case = decided(world, file_eu(world), outcome="no_action")
    assert case.state == "no_action" and not db.session.scalars(db.select(Measure)).all()
    open_all(case, world.holder, T0 + timedelta(hours=4))
    with pytest.raises(NotAllowed) as seller:
        dsa.file_complaint(world.seller, case.id, {"text": "Nothing happened to me."}, at=T0 + timedelta(days=1))
    assert seller.value.code == "no_decision"
    complaint = dsa.file_complaint(
        world.holder, case.id, {"text": "The listing copies our registered mark."}, at=T0 + timedelta(days=30)
    )
    assert complaint.role == "claimant" and complaint.informed_at == T0 + timedelta(hours=4)
    dsa.decide_complaint(
        world.admin,
        complaint.id,
        {"outcome": "upheld", "reasons": "On review the sign is identical to the registered mark for the same goods."},
        at=T0 + timedelta(days=31),
    )
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "awaiting_response"
    statement = dsa.latest_statement(case)
    assert statement.content["ground"]["explanation"].startswith("On review")


def test_out_of_court_bodies_carry_source_and_confidence(app):
    bodies = dsa.out_of_court_bodies()
    assert bodies and {b["confidence"] for b in bodies} <= {"verified", "secondary", "unverified"}
    for body in bodies:
        assert body["member_state"] and body["source"].startswith("https://") and body["name"]


# -- Art. 24(5): the transparency database ------------------------------------------------------------------------


GOLDEN = {
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    "account_type": "ACCOUNT_TYPE_BUSINESS",
    "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
    "category_specification": ["KEYWORD_TRADEMARK_INFRINGEMENT"],
    "content_type": ["CONTENT_TYPE_PRODUCT"],
    "territorial_scope": ["DE"],
    "application_date": "2026-01-15",
    "source_type": "SOURCE_ARTICLE_16",
    "automated_detection": "No",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": DECISION["legal_ground"],
    "illegal_content_explanation": DECISION["explanation"],
}


def test_golden_statement_record_validates_against_the_schema(world):
    case = decided(world, file_eu(world))
    statement = dsa.latest_statement(case)
    record = transparency.record(statement)
    assert {k: record[k] for k in GOLDEN} == GOLDEN
    assert record["puid"] == statement.puid and "end_date_visibility_restriction" not in record
    assert "Flamenco" not in record["decision_facts"] and world.seller.email not in str(record)  # no personal data
    transparency.validate(record)
    for broken in ({"automated_detection": "maybe"}, {"territorial_scope": ["CN"]}, {"decision_ground": None}):
        with pytest.raises(transparency.InvalidRecord):
            transparency.validate(dict(record, **broken))
    without_explanation = {k: v for k, v in record.items() if k != "illegal_content_explanation"}
    with pytest.raises(transparency.InvalidRecord):
        transparency.validate(without_explanation)


def test_the_batch_command_writes_the_records_since_a_date(world, app, tmp_path):
    decided(world, file_eu(world))
    out = tmp_path / "sor.json"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["transparency", "sor", "--since", "2026-01-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    import json

    batch = json.loads(out.read_text("utf-8"))["statements"]
    assert len(batch) == 1 and batch[0]["category"] == GOLDEN["category"]
    later = runner.invoke(args=["transparency", "sor", "--since", "2027-01-01"])
    assert json.loads(later.output)["statements"] == []
    refused = runner.invoke(args=["transparency", "sor", "--since", "2026-01-01", "--submit", "--out", str(out)])
    assert refused.exit_code != 0 and "submission is off" in refused.output
    bad = runner.invoke(args=["transparency", "sor", "--since", "yesterday"])
    assert bad.exit_code != 0 and "not a date" in bad.output
    assert db.session.scalar(db.select(db.func.count()).select_from(StatementOfReasons)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(NoticeReview)) == 1
