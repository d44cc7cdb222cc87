"""What to do next: each reader's pending obligations, most urgent first, read from the services (no HTTP).

Each test checks who is asked to act, what they may do (choices, any one of which is enough), by when, and
what the rules do if nobody acts; and that nobody else is asked.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from odr.cases import services
from odr.cases.access import case_roles, get_case
from odr.mediation.services import assign_mediator, pending_appointments
from odr.models_base import utcnow
from odr.procedure.engine import ProcedureError, parse
from odr.procedure.services import pending_deadlines, sweep_deadlines
from odr.todo.services import case_obligations, obligations
from tests.conftest import COUNTER_NOTICE_ELEMENTS, notice_data
from tests.export.conftest import escalate
from tests.mediation.conftest import open_case


def choices(obligation) -> list[tuple[str, str]]:
    return [(c.kind, c.name) for c in obligation.choices]


def test_after_a_notice_the_seller_must_answer_by_the_deadline_and_the_right_holder_waits(world):
    case = services.file_notice(world.holder, notice_data()).obj  # CN: the listings come down at once
    (due,) = obligations(world.seller).items
    deadline = pending_deadlines(case)[0]
    assert (due.case_id, due.kind, due.role, due.due_at) == (case.id, "procedure", "respondent", deadline.due_at)
    # Alternatives, never a list to do all of: answer, or file a counter-notice.
    assert choices(due) == [("filing", "response"), ("filing", "counter_notice")]
    assert due.choice_labels == "Answer the notice or File a counter-notice"
    assert due.consequence_state == "facilitated_settlement"
    assert due.if_nobody_acts == "If nobody acts by then: the case moves to “Facilitated settlement”."
    # The right holder has nothing due; the case page tells them whose move it is and what then.
    assert obligations(world.holder).items == []
    holder_view = case_obligations(
        world.holder, case, case_roles(world.holder, case), pending_deadlines(case), utcnow()
    )
    assert holder_view.mine == [] and [w.roles for w in holder_view.others] == [("respondent",)]
    assert holder_view.others[0].if_nobody_acts == due.if_nobody_acts
    for outsider in (world.stranger_seller, world.stranger_holder, world.mediator, world.court, world.admin):
        assert obligations(outsider).items == []


def test_the_most_urgent_obligation_comes_first(world):
    older = services.file_notice(world.holder, notice_data(), at=utcnow() - timedelta(days=3)).obj
    newer = services.file_notice(world.holder, notice_data(title="Second notice")).obj
    assert [o.case_id for o in obligations(world.seller).items] == [older.id, newer.id]


def test_a_settlement_proposal_is_one_of_the_other_partys_choices_until_it_accepts(world):
    case_id = open_case(world)
    proposal = services.add_filing(
        world.holder,
        case_id,
        {"kind": "settlement", "language": "es", "text": "Retiran el anuncio.", "terms": {"listing_measure": "remove"}},
    ).obj
    (seller,) = obligations(world.seller).items
    assert choices(seller)[0] == ("accept_settlement", "")
    assert ("filing", "offer") in choices(seller) and ("step", "escalate") in choices(seller)
    services.accept_settlement(world.seller, case_id, proposal.id, services.text_sha256(proposal))
    assert ("accept_settlement", "") not in choices(obligations(world.seller).items[0])
    (holder,) = obligations(world.holder).items
    assert choices(holder)[0] == ("accept_settlement", "")
    services.accept_settlement(world.holder, case_id, proposal.id, services.text_sha256(proposal))
    # Settled: a closed case asks nothing of anybody.
    assert obligations(world.holder).items == [] and obligations(world.seller).items == []


def test_after_a_us_counter_notice_the_right_holder_reports_a_suit_or_the_listings_come_back(world):
    case = services.file_notice(world.holder, notice_data(jurisdiction="US", right_type="copyright")).obj
    services.add_filing(
        world.seller,
        case.id,
        {"kind": "counter_notice", "language": "en", "text": "Mistaken.", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    assert obligations(world.seller).items == []
    (reply,) = obligations(world.holder).items
    assert reply.role == "claimant" and ("step", "report_suit") in choices(reply)
    assert "lift_measures" in reply.consequence_actions
    assert "the listings are put back online" in reply.if_nobody_acts


def test_the_mediator_answers_an_appointment_and_the_court_decides_an_escalated_case(world):
    case = services.file_notice(world.holder, notice_data()).obj
    sweep_deadlines(utcnow() + timedelta(days=8))
    assign_mediator(world.admin, case.id, world.mediator.id)
    (appointment,) = obligations(world.mediator).items
    appointment_id = pending_appointments(world.mediator)[0].id
    assert appointment.kind == "appointment" and choices(appointment) == [
        ("accept_appointment", str(appointment_id)),
        ("decline_appointment", str(appointment_id)),
    ]
    assert appointment.due_at == pending_deadlines(case)[0].due_at  # the facilitation period runs meanwhile
    assert obligations(world.other_mediator).items == []

    escalated = escalate(world)
    (decision,) = obligations(world.court).items
    assert (decision.case_id, decision.kind, decision.due_at) == (escalated.id, "court_decision", None)
    assert "stays in the stage" in decision.if_nobody_acts
    assert obligations(world.other_court).items == []


def test_the_platform_confirms_the_measures_it_was_ordered(world, platform):
    case = services.file_notice(world.holder, notice_data()).obj  # CN: takedown of both listings
    (measures,) = obligations(platform).items
    assert measures.kind == "measures" and measures.case_id == case.id and len(measures.choices) == 2
    assert measures.due_at is not None and "late" in measures.if_nobody_acts


def test_the_case_page_names_the_readers_own_obligation_first(world):
    from odr.cases import pages

    case = services.file_notice(world.holder, notice_data()).obj
    seller_page = pages.case_page(world.seller, case.id)
    assert [o.kind for o in seller_page.next.mine] == ["procedure"]
    assert pages.case_page(world.seller, case.id, kind="counter_notice").default_kind == "counter_notice"
    assert pages.case_page(world.seller, case.id, kind="decision").default_kind == ""  # not open to the seller
    # The notice's elements are shown to the parties, not only stored.
    labels = dict(seller_page.notice_elements)
    assert any("Flamenco S.L." in str(v) for v in labels.values())
    assert get_case(world.seller, case.id).id == case.id


CITE = {"instrument": "Test rules", "article": "1", "confidence": "secondary", "note": "a test rule"}
BASE = {
    "code": "t",
    "version": "1",
    "citation": CITE,
    "initial": "open",
    "states": {"open": {"filings": ["message"], "citation": CITE}, "closed": {"final": True, "citation": CITE}},
    "transitions": [{"name": "close", "from": "open", "to": "closed", "roles": ["claimant"], "citation": CITE}],
    "serve": {"notice": [], "message": [], "state_changed": []},
}


@pytest.mark.parametrize(
    "awaits, problem",
    [(["nobody"], "'awaits' must list case roles"), (["respondent"], "awaits 'respondent', who can take no step")],
)
def test_a_timer_may_only_await_someone_who_can_act(awaits, problem):
    timer = {
        "name": "p",
        "state": "open",
        "to": "closed",
        "period": {"count": 1, "unit": "calendar_days"},
        "citation": CITE,
    }
    with pytest.raises(ProcedureError, match=problem):
        parse({**BASE, "timers": [{**timer, "awaits": awaits}]})
    assert parse({**BASE, "timers": [{**timer, "awaits": ["claimant"]}]}).timer("p").awaits == {"claimant"}
