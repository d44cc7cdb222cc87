"""Issue 12 item 10 (Platform Rules 2, 7, 8): no timer seizes a court.

When facilitated settlement runs out, the case waits in the final stage's first step: both parties are
told which body would receive the case and what it does; the case is referred only at a party's request.
Item 6: which court receives a Chinese case depends on the right type and the date, as data.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from odr.cases import services
from odr.cases.models import Case, Event
from odr.errors import NotAllowed
from odr.extensions import db
from odr.notifications.models import Delivery
from odr.procedure import jurisdictions
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import sweep_deadlines
from odr.vocabulary import EventKind
from tests.conftest import notice_data

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def events(case, kind):
    return db.session.scalars(db.select(Event).where(Event.case_id == case.id, Event.kind == kind)).all()


def into_facilitation(world, jurisdiction="GB", right_type="trademark"):
    case = services.file_notice(world.holder, notice_data(jurisdiction=jurisdiction, right_type=right_type), at=T0).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "en", "text": "We disagree."}, at=T0)
    services.take_action(world.holder, case.id, "request_mediation", at=T0 + timedelta(hours=1))
    return case


def test_the_end_of_facilitated_settlement_refers_nothing_and_tells_both_parties_where_it_would_go(world):
    case = into_facilitation(world)
    deadline = db.session.scalar(
        db.select(Deadline).where(Deadline.case_id == case.id, Deadline.status == DeadlineStatus.PENDING)
    )
    assert deadline.timer == "facilitation_period" and deadline.consequence == "final_stage_open"
    assert sweep_deadlines(deadline.due_at) == 0
    assert sweep_deadlines(deadline.due_at + timedelta(microseconds=1)) == 1
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "final_stage_open"
    assert events(case, EventKind.EXPORTED_TO_COURT) == [] and events(case, EventKind.EXPORT_WAITING_FOR_COURT) == []
    changed = events(case, EventKind.STATE_CHANGED)[-1]
    assert changed.payload["to"] == "final_stage_open"
    assert changed.payload["referral"]["body"].startswith("The Intellectual Property Enterprise Court")
    assert changed.payload["referral"]["kind"] == "court"
    served = db.session.scalars(
        db.select(Delivery.role).where(
            Delivery.case_id == case.id, Delivery.act == "state_changed", Delivery.made_available_at > T0
        )
    ).all()
    assert {"claimant", "respondent"} <= set(served)
    # Nothing else happens by itself: no further timer runs in the waiting step.
    assert sweep_deadlines(deadline.due_at + timedelta(days=365)) == 0

    # The mediator does not seize a court for the parties; a party does.
    case.mediator_id = world.mediator.id
    db.session.commit()
    with pytest.raises(NotAllowed) as refusal:
        services.take_action(world.mediator, case.id, "escalate", at=deadline.due_at + timedelta(days=2))
    assert refusal.value.code == "wrong_role"
    services.take_action(world.seller, case.id, "escalate", at=deadline.due_at + timedelta(days=3))
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert case.state == "escalated"
    assert (
        events(case, EventKind.STATE_CHANGED)[-1]
        .payload["referral"]["body"]
        .startswith("The Intellectual Property Enterprise Court")
    )


def test_parties_may_still_settle_or_withdraw_in_the_waiting_step(world):
    case = into_facilitation(world)
    deadline = db.session.scalar(db.select(Deadline).where(Deadline.case_id == case.id))
    sweep_deadlines(deadline.due_at + timedelta(seconds=1))
    services.take_action(world.holder, case.id, "withdraw", at=deadline.due_at + timedelta(days=1))
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "withdrawn"


def test_the_case_page_says_which_body_receives_the_case_and_what_it_does(world, browser):
    case = into_facilitation(world)
    page = browser(world.holder).get(f"/cases/{case.id}").get_data(as_text=True)
    assert "The Intellectual Property Enterprise Court" in page
    assert "decides the dispute" in page


@pytest.mark.parametrize(
    ("right_type", "day", "court"),
    [
        ("copyright", date(2025, 10, 31), "Hangzhou Internet Court"),
        ("copyright", date(2025, 11, 1), "The people's court with jurisdiction over copyright cases"),
        ("copyright", date(2026, 3, 2), "The people's court with jurisdiction over copyright cases"),
        ("trademark", date(2025, 10, 31), "The people's court designated for intellectual property civil cases"),
        ("trademark", date(2026, 3, 2), "The people's court designated for intellectual property civil cases"),
        ("design", date(2026, 3, 2), "The people's court designated for intellectual property civil cases"),
        ("patent", date(2026, 3, 2), "An intellectual property court or an intermediate people's court"),
    ],
)
def test_the_chinese_court_depends_on_the_right_type_and_the_date(app, right_type, day, court):
    route = jurisdictions.get("CN").escalation_for(right_type, day)
    assert route.body.startswith(court)
    assert route.citation is not None and route.citation.confidence in {"secondary", "unverified"}
    assert "Hangzhou" not in route.body or right_type == "copyright"
