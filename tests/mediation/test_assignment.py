"""Assignment: a mediator reads a party's language, has no conflict of interest, has room in the workload,
and sees the file only after declaring independence and accepting."""

import html
import re

import pytest

from odr.accounts.models import Role
from odr.cases import services
from odr.mediation import services as mediation
from odr.mediation.models import AppointmentStatus
from tests.conftest import make_account, notice_data
from tests.mediation.conftest import open_case

pytestmark = pytest.mark.e2e


def _problems(world, mediator, case_id):
    case = services.get_case(world.admin, case_id)
    return mediation.fitness(mediator, case).problems


def test_the_mediator_must_read_a_party_language(world):
    case_id = open_case(world)  # parties write Spanish and Chinese
    italian_only = world.other_mediator
    assert any("language" in p for p in _problems(world, italian_only, case_id))
    assert _problems(world, world.mediator, case_id) == []  # reads Spanish
    chinese = make_account(Role.MEDIATOR, "zh-mediator@example.org", country="SG", language="zh")
    assert _problems(world, chinese, case_id) == []


def test_a_declared_affiliation_with_a_party_is_a_conflict(world, api):
    case_id = open_case(world)
    declared = api(world.mediator).post("/mediation/affiliations", {"organisation": "org of holder@example.es"})
    assert declared.status_code == 201
    assert any("affiliation" in p for p in _problems(world, world.mediator, case_id))
    refused = api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "mediator_not_qualified"


def test_an_earlier_case_with_either_party_is_a_conflict(world, api):
    first = open_case(world)
    api(world.holder).post(f"/cases/{first}/actions/request_mediation")
    mediation.assign_mediator(world.admin, first, world.mediator.id)
    mediation.accept_appointment(world.mediator, mediation.pending_appointments(world.mediator)[0].id, True)
    # A new case by the same right holder against another seller: the mediator has met the right holder.
    second = services.file_notice(world.holder, notice_data(seller_email="other-seller@example.jp")).obj
    assert any("earlier case" in p for p in _problems(world, world.mediator, second.id))
    # A case between two other parties is fine.
    third = services.file_notice(
        world.stranger_holder,
        notice_data(
            seller_email="fresh@example.es",
            respondent={"email": "fresh@example.es", "name": "Fresh", "country": "ES", "language": "es"},
        ),
    ).obj
    assert _problems(world, world.mediator, third.id) == []


def test_a_mediator_of_a_party_organisation_is_a_conflict(world):
    case_id = open_case(world)
    insider = make_account(Role.MEDIATOR, "insider@example.es", party=world.holder.party)
    assert any("organisation" in p for p in _problems(world, insider, case_id))


def test_automatic_assignment_picks_the_least_loaded_qualified_mediator(world, api):
    busy = make_account(Role.MEDIATOR, "busy@example.es", language="es")
    idle = make_account(Role.MEDIATOR, "idle@example.es", language="es")
    # busy already has a case awaiting acceptance (between other parties).
    other = services.file_notice(
        world.stranger_holder,
        notice_data(
            seller_email="x@example.es",
            respondent={"email": "x@example.es", "name": "X", "country": "ES", "language": "es"},
        ),
    ).obj
    mediation.assign_mediator(world.admin, other.id, busy.id)
    world.mediator.active = False  # leave the world's mediator out of this roster
    case_id = open_case(world)
    response = api(world.admin).post(f"/cases/{case_id}/mediator", {"automatic": True})
    assert response.status_code == 200, response.get_json()
    assert mediation.pending_appointments(idle)[0].case_id == case_id
    assert mediation.open_case_load()[idle.id] == 1


def test_no_qualified_mediator_is_a_clear_refusal(world, api):
    world.mediator.active = False
    case_id = open_case(world)
    refused = api(world.admin).post(f"/cases/{case_id}/mediator", {"automatic": True})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "no_qualified_mediator"


def test_a_full_workload_is_refused(world, monkeypatch):
    monkeypatch.setattr(mediation, "MAX_OPEN_CASES", 1)
    first, second = (
        open_case(world),
        services.file_notice(
            world.stranger_holder,
            notice_data(
                seller_email="y@example.es",
                respondent={"email": "y@example.es", "name": "Y", "country": "ES", "language": "es"},
            ),
        ).obj.id,
    )
    mediation.assign_mediator(world.admin, first, world.mediator.id)
    assert any("open cases" in p for p in _problems(world, world.mediator, second))


def test_before_accepting_the_mediator_sees_only_a_summary(world, api):
    case_id = open_case(world)
    services.add_filing(world.holder, case_id, {"kind": "message", "language": "es", "text": "Detalle secreto"})
    api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    mediator = api(world.mediator)
    assert mediator.get(f"/cases/{case_id}").status_code == 404
    assert mediator.get(f"/cases/{case_id}/timeline").status_code == 404
    offered = mediator.get("/mediation/appointments").get_json()
    summary = offered["appointments"][0]
    assert summary["parties"]["claimant"]["language"] == "es"
    assert "Detalle secreto" not in str(offered) and "title" not in summary and "FLAMENCO" not in str(offered)
    assert "independent" in offered["declaration"]
    # Accepting needs the declaration.
    refused = mediator.post(f"/mediation/appointments/{summary['appointment_id']}/accept", {})
    assert refused.status_code == 422 and "declaration" in refused.get_json()["error"]["fields"]
    accepted = mediator.post(
        f"/mediation/appointments/{summary['appointment_id']}/accept", {"declaration": True, "disclosures": "Ninguna"}
    )
    assert accepted.status_code == 200
    assert "Detalle secreto" in mediator.get(f"/cases/{case_id}").get_data(as_text=True)
    events = api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]
    acceptance = next(e for e in events if e["kind"] == "mediator_accepted")
    assert acceptance["payload"]["declaration_sha256"] == mediation.declaration_sha256()


def test_another_mediator_cannot_answer_the_appointment(world, api):
    case_id = open_case(world)
    api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    appointment = mediation.pending_appointments(world.mediator)[0]
    response = api(world.other_mediator).post(f"/mediation/appointments/{appointment.id}/accept", {"declaration": True})
    assert response.status_code == 404


def test_declining_frees_the_case_and_bars_the_same_mediator(world, api):
    case_id = open_case(world)
    api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    appointment = mediation.pending_appointments(world.mediator)[0]
    declined = api(world.mediator).post(f"/mediation/appointments/{appointment.id}/decline", {"reason": "busy"})
    assert declined.get_json()["status"] == AppointmentStatus.DECLINED.value
    assert mediation.open_case_load().get(world.mediator.id, 0) == 0
    again = api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    assert again.status_code == 422


def test_replacing_a_mediator_closes_the_file_to_the_old_one(world, api):
    case_id = open_case(world)
    api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    mediation.accept_appointment(world.mediator, mediation.pending_appointments(world.mediator)[0].id, True)
    spanish = make_account(Role.MEDIATOR, "es-mediator@example.es", language="es")
    assert api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": spanish.id}).status_code == 200
    assert api(world.mediator).get(f"/cases/{case_id}").status_code == 404
    assert api(spanish).get(f"/cases/{case_id}").status_code == 404  # until accepting


def test_only_administrators_assign(world, api):
    case_id = open_case(world)
    response = api(world.holder).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    assert response.status_code == 403


def test_cases_reaching_facilitated_settlement_get_a_mediator_proposed(world, api):
    from datetime import timedelta

    from odr.models_base import utcnow
    from odr.procedure.services import sweep_deadlines

    case = services.file_notice(world.holder, notice_data()).obj
    assert mediation.appoint_waiting() == 0  # still waiting for the seller's response
    sweep_deadlines(utcnow() + timedelta(days=8))
    assert services.get_case(world.admin, case.id).state == "facilitated_settlement"
    assert mediation.appoint_waiting() == 1 and mediation.appoint_waiting() == 0  # once only
    offered = mediation.pending_appointments(world.mediator)
    assert [a.case_id for a in offered] == [case.id] and offered[0].assigned_by_id is None
    # The mediator declines: the next run offers the case to the next qualified mediator.
    spanish = make_account(Role.MEDIATOR, "second@example.es", language="es")
    mediation.decline_appointment(world.mediator, offered[0].id, "holiday")
    assert mediation.appoint_waiting() == 1
    assert [a.case_id for a in mediation.pending_appointments(spanish)] == [case.id]


@pytest.mark.parametrize(("language", "words"), [("zh_Hans", "公正"), ("ar", "محايد"), ("de", "unabhängig")])
def test_the_mediator_reads_the_declaration_in_their_language_and_the_record_keeps_the_english_text(
    world, api, browser, language, words
):
    case_id = open_case(world)
    api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    desk = browser(world.mediator)
    desk.get(f"/?lang={language}")
    page = desk.get("/mediation").get_data(as_text=True)
    declaration = page.split('class="inline-label"', 1)[1].split("</label>", 1)[0]
    assert words in declaration and "I declare" not in declaration
    # What is ticked is shown beside the text the record keeps, whose digest the acceptance records.
    assert html.escape(mediation.independence_declaration(), quote=True) in page
    appointment_id = re.search(r"/mediation/appointments/(\d+)/accept", page).group(1)
    desk.post(f"/mediation/appointments/{appointment_id}/accept", {"declaration": "on"}, form_page="/mediation")
    events = api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]
    acceptance = next(e for e in events if e["kind"] == "mediator_accepted")
    assert acceptance["payload"]["declaration_sha256"] == mediation.declaration_sha256()
