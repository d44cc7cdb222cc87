"""Rule cases as data: every YAML file in this folder lists cases (start instant, jurisdiction,
events, expected deadline instants) run through the services, as a case would run.

Each expected deadline is also checked at its boundary: the sweep leaves the case alone a day
before and at the last instant of the period, and applies the consequence just after it.
"""

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from odr.accounts.models import Account
from odr.cases import services
from odr.cases.models import Case, Event
from odr.cases.reports import file_report
from odr.cases.services import Upload
from odr.domain_events import commit
from odr.errors import NotAllowed, ValidationFailed
from odr.extensions import db
from odr.mediation.models import Measure
from odr.notifications.deliveries import open_delivery
from odr.notifications.models import Delivery
from odr.procedure.models import CaseProcedure, Deadline, DeadlineStatus, PauseRequest
from odr.procedure.pauses import decide_pause, request_pause
from odr.procedure.services import order_extension, pending_deadlines, sweep_deadlines
from tests.conftest import COUNTER_NOTICE_ELEMENTS, NOTICE_ELEMENTS, PDF, decide_eu_notice, notice_data

HERE = Path(__file__).parent
CASES = [case for path in sorted(HERE.glob("*.yaml")) for case in yaml.safe_load(path.read_text("utf-8"))]


def instant(text) -> datetime:
    value = datetime.fromisoformat(str(text))
    assert value.tzinfo is not None, f"{text}: rule cases use instants with their offset"
    return value


def accounts(world) -> dict:
    return {"claimant": world.holder, "respondent": world.seller, "mediator": world.mediator, "reviewer": world.admin}


def file(world, spec) -> Case | ValidationFailed:
    elements = {k: v for k, v in NOTICE_ELEMENTS.items() if k not in spec.get("without", [])}
    elements.update(spec.get("elements") or {})  # what the filer wrote instead ("x")
    data = notice_data(jurisdiction=spec["jurisdiction"], right_type=spec["right_type"], elements=elements)
    if "listings" in spec:
        data["listings"] = spec["listings"]
    if spec.get("market"):
        data["target_market"] = spec["market"]
    for key in ("territories", "measure"):  # where the right is held, the proportionate measure asked for
        if key in spec:
            data[key] = spec[key]
    try:
        return services.file_notice(world.holder, data, at=instant(spec["filed_at"])).obj
    except ValidationFailed as refusal:
        return refusal


def received_at_once(case: Case, at: datetime) -> None:
    """Every addressee opens what was served at the instant it was served: these cases count periods from the
    act; when receipt comes later is tested in tests/notifications/test_deliveries.py."""
    for row in db.session.scalars(
        db.select(Delivery).where(
            Delivery.case_id == case.id, Delivery.channel == "inbox", Delivery.opened_at.is_(None)
        )
    ).all():
        open_delivery(db.session.get(Account, row.account_id), row.id, at)
    commit()


def run_event(world, case: Case, event: dict) -> None:
    account, at = accounts(world)[event["by"]], instant(event["at"])
    if event["by"] == "mediator" and case.mediator_id is None:
        case.mediator_id = world.mediator.id  # assigned (the mediation flow is tested elsewhere)
        db.session.commit()
    if "filing" in event:
        filing = {
            "kind": event["filing"],
            "language": "en",
            "text": "As filed.",
        }
        if event["filing"] == "counter_notice":  # elements belong to a counter-notice only (refused elsewhere)
            filing["elements"] = {k: v for k, v in COUNTER_NOTICE_ELEMENTS.items() if k not in event.get("without", [])}
        act = lambda: services.add_filing(account, case.id, filing, at=at)  # noqa: E731
    elif "decide" in event:  # a platform reviewer's reasoned decision on the notice (DSA Art. 16)
        outcome = {"restrict": "restrict", "no_action": "no_action"}[event["decide"]]
        act = lambda: decide_eu_notice(account, case.id, at=at, outcome=outcome)  # noqa: E731
    elif "report" in event:  # a report of a complaint or suit, or of its end (CN Art. 43(2)), with its document
        report = {
            "step": event["report"],
            "body": event.get("body", "杭州市市场监督管理局"),
            "case_number": event.get("case_number", "杭市监案〔2026〕118号"),
            "outcome": event.get("outcome", ""),
            "language": "zh",
        }
        document = None if event.get("document") is False else Upload(io.BytesIO(PDF), "受理通知书.pdf")
        act = lambda: file_report(account, case.id, report, document, at=at)  # noqa: E731
    elif "request_pause" in event:  # the right holder asks, with proof (CN: SPC Reply Art. 3)
        deadline = _pending(case, event["request_pause"])
        proof = None if event.get("proof") is False else Upload(io.BytesIO(PDF), "公证延迟证明.pdf")
        reason = event.get("reason", "公证处因春节假期延迟出具公证书，有公证处的书面说明为证。")

        def act():
            return request_pause(
                account, case.id, deadline.id, {"count": event["count"], "reason": reason}, proof, at=at
            )

    elif "decide_pause" in event:  # the platform (or the mediator) decides, with reasons
        request = db.session.scalars(
            db.select(PauseRequest).where(PauseRequest.case_id == case.id).order_by(PauseRequest.id.desc())
        ).first()
        decision = {"decision": event["decide_pause"], "reasons": "公证书的出具日期与说明相符，延迟非权利人所能控制。"}
        if "count" in event:
            decision["count"] = event["count"]
        act = lambda: decide_pause(account, case.id, request.id, decision, at=at)  # noqa: E731
    elif "action" in event:
        act = lambda: services.take_action(account, case.id, event["action"], at=at)  # noqa: E731
    else:
        deadline = _pending(case, event["extend"])

        def act():
            return order_extension(
                account, case.id, deadline.id, {"count": event["count"], "reason": "Notarization of evidence"}, at=at
            )

    if "refused" in event:
        with pytest.raises((ValidationFailed, NotAllowed)) as refusal:
            act()
        assert event["refused"] in (refusal.value.fields or {}) or refusal.value.code == event["refused"]
    else:
        act()
        received_at_once(case, at)


def _pending(case: Case, timer: str) -> Deadline:
    return db.session.scalar(
        db.select(Deadline).where(
            Deadline.case_id == case.id, Deadline.timer == timer, Deadline.status == DeadlineStatus.PENDING
        )
    )


def check_boundaries(case: Case, due: datetime, consequence: str) -> None:
    state = case.state
    assert sweep_deadlines(due - timedelta(days=1)) == 0
    assert sweep_deadlines(due) == 0, "the last instant of the period is still inside it"
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == state
    assert sweep_deadlines(due + timedelta(microseconds=1)) >= 1
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == consequence


@pytest.mark.parametrize("spec", CASES, ids=[c["id"] for c in CASES])
def test_rule_case(world, spec):
    outcome = file(world, spec)
    if "refused" in spec or "refused_fields" in spec:
        assert isinstance(outcome, ValidationFailed), "a defective notice must be refused"
        if "refused" in spec:
            assert sorted(k for k in outcome.fields if k.startswith("elements.")) == sorted(spec["refused"])
            for key in spec["refused"] + spec.get("refused_also", []):
                assert "Required by" in outcome.fields[key], outcome.fields
            for key, words in (spec.get("messages") or {}).items():
                assert words in outcome.fields[key], outcome.fields[key]
        else:
            assert sorted(outcome.fields) == sorted(spec["refused_fields"]), outcome.fields
        assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Deadline)) == 0
        return
    assert not isinstance(outcome, ValidationFailed), outcome.fields
    case = outcome
    received_at_once(case, instant(spec["filed_at"]))
    choice = db.session.scalar(db.select(CaseProcedure).where(CaseProcedure.case_id == case.id))
    if "procedure" in spec:
        assert case.procedure_code == spec["procedure"]
    if "time_zone" in spec:
        assert choice.time_zone == spec["time_zone"]
    if "reasons" in spec:
        keys = [r["key"] for r in choice.reasons]
        assert all(k in keys for k in spec["reasons"]), keys
    for event in spec.get("events", []):
        run_event(world, case, event)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    if "state" in spec:
        assert case.state == spec["state"]
    running = {d.timer: d for d in pending_deadlines(case)}
    if "no_deadline" in spec:
        assert spec["no_deadline"] not in running
    if "measures" in spec:
        ordered = check_measures(case, spec["measures"])
        for key, value in (spec.get("measure_details") or {}).items():  # what the platform is told to do
            assert ordered[0].details[key] == value, ordered[0].details
    check_told(case, spec.get("told") or {})
    if "event" in spec:
        assert spec["event"] in {e.kind for e in db.session.scalars(db.select(Event).where(Event.case_id == case.id))}
    if "no_event" in spec:
        assert spec["no_event"] not in {
            e.kind for e in db.session.scalars(db.select(Event).where(Event.case_id == case.id))
        }
    for timer, expected in (spec.get("deadlines") or {}).items():
        assert timer in running, f"{timer} is not running; running: {sorted(running)}"
        deadline, why = running[timer], running[timer].computation
        due = instant(expected["due"])
        assert deadline.due_at == due, f"due {deadline.due_at.astimezone(due.tzinfo)}, expected {due}"
        assert why["due_local"] == due.isoformat()
        if "latest" in expected:
            assert why["latest_local"] == instant(expected["latest"]).isoformat()
        if "skipped" in expected:
            skipped = [s["date"] for s in why["skipped"]]
            assert all(day in skipped for day in expected["skipped"]), skipped
        if "rolled_from" in expected:
            assert (why["rolled_forward"] or {}).get("from") == expected["rolled_from"]
        if "adjusted_working_days" in expected:
            assert why["adjusted_working_days"] == expected["adjusted_working_days"]
        if "unverified_years" in expected:
            assert why["unverified_years"] == expected["unverified_years"]
        if "calendar" in expected:
            assert why["calendar"] == expected["calendar"]
        if "citation" in expected:
            assert expected["citation"] in deadline.citation
        if "consequence" in expected:
            assert deadline.consequence == expected["consequence"]
            check_boundaries(case, deadline.due_at, expected["consequence"])
    if "after_the_period" in spec:  # what stands once the sweep has applied the period's consequence
        after = spec["after_the_period"]
        pauses = db.session.scalars(
            db.select(PauseRequest).where(PauseRequest.case_id == case.id).order_by(PauseRequest.id)
        ).all()
        assert [p.status.value for p in pauses] == after.get("pauses", [p.status.value for p in pauses])
        if "measures" in after:
            check_measures(case, after["measures"])
        check_told(case, after.get("told") or {})


def check_measures(case: Case, expected: list[str]) -> list[Measure]:
    """The measures ordered from the platform on the case's first listing, in order: what stands at the end."""
    first = case.listings[0].locator
    ordered = db.session.scalars(
        db.select(Measure).where(Measure.case_id == case.id, Measure.listing == first).order_by(Measure.id)
    ).all()
    assert [m.kind.value for m in ordered] == expected
    return list(ordered)


def check_told(case: Case, told: dict) -> None:
    """Who was served each act (the platform receives measures on its channel: ``measures`` above)."""
    for act, roles in told.items():
        served = set(
            db.session.scalars(db.select(Delivery.role).where(Delivery.case_id == case.id, Delivery.act == act))
        )
        assert served == set(roles), f"{act} served on {sorted(served)}"
