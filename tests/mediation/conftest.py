"""A case in facilitated settlement with the world's mediator on it, and helpers to read every route."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from odr.cases import services
from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments
from odr.models_base import utcnow
from odr.procedure.services import sweep_deadlines
from tests.conftest import notice_data, sign


def open_case(world, **overrides) -> int:
    """A notice by the Spanish right holder against the Chinese seller, answered: in negotiation."""
    case = services.file_notice(world.holder, notice_data(**overrides)).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "我们有授权。"})
    return case.id


def mediated_case(world) -> int:
    """A case whose seller stayed silent, now in facilitated settlement with an accepted mediator."""
    case = services.file_notice(world.holder, notice_data()).obj
    sweep_deadlines(utcnow() + timedelta(days=8))
    assign_mediator(world.admin, case.id, world.mediator.id)
    accept_appointment(world.mediator, pending_appointments(world.mediator)[0].id, declared=True)
    return case.id


@pytest.fixture
def case_id(world) -> int:
    return mediated_case(world)


def export_text(api_client, case_id: int) -> str:
    """Everything in the court export, decompressed, as one text."""
    response = api_client.get(f"/cases/{case_id}/export")
    body = response.get_data()
    response.close()
    assert response.status_code == 200, body[:300]
    if not zipfile.is_zipfile(io.BytesIO(body)):
        return body.decode("utf-8", "replace")
    bundle = zipfile.ZipFile(io.BytesIO(body))
    return "\n".join(bundle.read(name).decode("utf-8", "replace") for name in bundle.namelist())


def every_route_text(world, api, browser, account, case_id: int) -> str:
    """What an account can read about a case through the API and the pages, as one text."""
    client = api(account)
    parts = [
        client.get(path).get_data(as_text=True)
        for path in (
            f"/cases/{case_id}",
            f"/cases/{case_id}/events",
            f"/cases/{case_id}/timeline",
            f"/cases/{case_id}/bidding",
            "/cases",
        )
    ]
    session = browser(account)
    parts += [
        session.get(path).get_data(as_text=True)
        for path in (f"/cases/{case_id}", f"/cases/{case_id}/timeline", f"/cases/{case_id}/timeline?print=1", "/")
    ]
    return "\n".join(parts)


def settle_as_drafted(world, api, case_id: int, measures: list[dict]) -> dict:
    """The mediator drafts an agreement naming ``measures`` listing by listing; both parties sign it."""
    drafted = api(world.mediator).post(
        f"/cases/{case_id}/agreement",
        {
            "authoritative_language": "es",
            "texts": {"es": "Medidas acordadas.", "zh": "商定的措施。"},
            "measures": measures,
        },
    )
    assert drafted.status_code == 201, drafted.get_json()
    agreement = drafted.get_json()
    for party in (world.holder, world.seller):
        assert sign(api(party), case_id, agreement).status_code == 200
    return agreement
