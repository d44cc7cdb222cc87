"""The audit log: who of the mediators, courts and administrators read which case, and what administrators did."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select

from odr.audit.models import AuditEntry
from odr.extensions import db
from odr.mediation import services as mediation
from tests.mediation.conftest import open_case


def _entries(**where):
    query = select(AuditEntry).order_by(AuditEntry.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEntry, name) == value)
    return db.session.scalars(query).all()


def _mediated_case(world, api):
    case_id = open_case(world)
    api(world.holder).post(f"/cases/{case_id}/actions/request_mediation")
    mediation.assign_mediator(world.admin, case_id, world.mediator.id)
    mediation.accept_appointment(world.mediator, mediation.pending_appointments(world.mediator)[0].id, True)
    return case_id


def test_a_mediators_reads_of_a_case_are_recorded_and_a_partys_are_not(world, api, browser):
    case_id = _mediated_case(world, api)
    assert browser(world.mediator).get(f"/cases/{case_id}").status_code == 200
    assert api(world.mediator).get(f"/cases/{case_id}").status_code == 200
    assert api(world.holder).get(f"/cases/{case_id}").status_code == 200  # the party's own case
    assert api(world.other_mediator).get(f"/cases/{case_id}").status_code == 404  # not a read: nothing seen
    reads = _entries(action="case_read")
    assert [(e.account_id, e.case_id, e.method, e.status) for e in reads] == [
        (world.mediator.id, case_id, "GET", 200),
        (world.mediator.id, case_id, "GET", 200),
    ]
    assert {e.path for e in reads} == {f"/cases/{case_id}", f"/api/v1/cases/{case_id}"}
    assert all(e.role == "mediator" for e in reads)


def test_an_administrators_actions_are_recorded_even_when_refused_and_a_refused_act_leaves_nothing(world, api):
    case_id = open_case(world)
    api(world.holder).post(f"/cases/{case_id}/actions/request_mediation")
    refused = api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.holder.id})
    assert refused.status_code in (404, 409, 422)
    done = api(world.admin).post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    assert done.status_code == 200, done.get_json()
    actions = _entries(action="admin_action")
    assert [(e.account_id, e.method, e.path, e.status) for e in actions] == [
        (world.admin.id, "POST", f"/api/v1/cases/{case_id}/mediator", refused.status_code),
        (world.admin.id, "POST", f"/api/v1/cases/{case_id}/mediator", 200),
    ]
    assert actions[0].case_id is None and actions[1].case_id == case_id
    # a mediator's and a party's acts are on the case's timeline, not in the audit log
    api(world.holder).post(f"/cases/{case_id}/filings", {"kind": "message", "language": "es", "text": "Hola."})
    assert len(_entries(action="admin_action")) == 2


def test_administrators_read_filter_and_export_the_log(world, api, browser):
    case_id = _mediated_case(world, api)
    other = open_case(world)
    api(world.mediator).get(f"/cases/{case_id}")
    api(world.admin).get(f"/cases/{other}")
    admin = browser(world.admin)
    page = admin.get(f"/admin/audit?case={case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"/api/v1/cases/{case_id}" in html and f"/api/v1/cases/{other}<" not in html
    assert admin.get("/admin/audit?since=yesterday").status_code == 422  # a clear field error, not a 500

    exported = admin.get(f"/admin/audit.csv?account={world.mediator.email}")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert exported.headers["Content-Disposition"].startswith("attachment")
    expected = {(world.mediator.email, "case_read", str(case_id))}
    assert {(r["account"], r["action"], r["case_id"]) for r in rows} == expected
    as_json = json.loads(admin.get("/admin/audit.json?action=case_read").get_data())
    assert {e["case_id"] for e in as_json["entries"]} >= {case_id, other}

    first = api(world.admin).get("/audit?limit=1")
    assert first.status_code == 200
    body = first.get_json()
    assert len(body["entries"]) == 1 and body["next_cursor"]
    following = api(world.admin).get(f"/audit?limit=1&cursor={body['next_cursor']}").get_json()
    assert following["entries"][0]["at"] <= body["entries"][0]["at"]


def test_only_administrators_read_the_log(world, api, browser):
    for account in (world.holder, world.mediator, world.court):
        assert api(account).get("/audit").status_code == 403
        assert browser(account).get("/admin/audit").status_code == 403
        assert browser(account).get("/admin/audit.csv").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0  # refused reads audit nothing
