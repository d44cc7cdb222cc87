"""The court's portal: inbox, download, receipt, decision carried out, case closed; others get 404."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from sqlalchemy import select

from odr.cases.models import Case
from odr.export import verifier
from odr.export.models import CourtDecision
from odr.extensions import db
from odr.integrity.keys import platform_key
from odr.notifications.models import Delivery, Notification
from tests.export.conftest import escalate, stored_bundle

PDF = b"%PDF-1.7\n% signed decision\n" + b"0" * 200


def _decide(api_client, case_id, data, document=PDF, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    form = {"data": json.dumps(data)}
    if document is not None:
        form["document"] = (io.BytesIO(document), "decision.pdf")
    return api_client.client.post(
        f"/api/v1/cases/{case_id}/decision",
        data=form,
        headers={**api_client.headers, **headers},
        content_type="multipart/form-data",
    )


DECISION = {
    "outcome": "upheld",
    "listing_measure": "take_down",
    "language": "zh",
    "text": "判决：下架并赔偿。",
    "court_reference": "(2026)浙0192民初1号",
    "amounts": [{"payer": "respondent", "amount": "1500", "currency": "CNY", "reason": "damages"}],
}


@pytest.mark.e2e
def test_the_court_decides_and_the_platform_carries_it_out(app, world, api):
    case = escalate(world)
    court, other = api(world.court), api(world.other_court)
    inbox = court.get("/court/exports").get_json()["exports"]
    assert [e["case_id"] for e in inbox] == [case.id]
    assert other.get("/court/exports").get_json()["exports"] == []

    download = court.get(f"/cases/{case.id}/export")
    body = download.get_data()
    download.close()
    assert download.headers["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    wrong = court.post(f"/cases/{case.id}/export/acknowledge", {"sha256": "0" * 64})
    assert wrong.status_code == 409 and wrong.get_json()["error"]["code"] == "hash_mismatch"
    ack = court.post(f"/cases/{case.id}/export/acknowledge", {"sha256": hashlib.sha256(body).hexdigest()})
    assert ack.status_code == 200

    incomplete = _decide(court, case.id, {"outcome": "maybe", "text": "", "language": "zh"}, document=None)
    assert incomplete.status_code == 422
    assert set(incomplete.get_json()["error"]["fields"]) >= {"outcome", "text", "document"}
    assert _decide(other, case.id, DECISION).status_code == 404
    assert _decide(api(world.holder), case.id, DECISION).status_code == 409

    decided = _decide(court, case.id, DECISION, key="decision-1")
    assert decided.status_code == 201, decided.get_json()
    assert decided.get_json()["state"] == "decided"
    assert _decide(court, case.id, DECISION, key="decision-1").status_code == 200  # a retry, answered once

    decision = db.session.query(CourtDecision).filter_by(case_id=case.id).one()
    assert decision.carried_out_at is not None and decision.listing_measure == "take_down"
    assert decision.amounts[0] == {
        "payer": "respondent",
        "payee": "claimant",
        "amount": "1500.00",
        "currency": "CNY",
        "reason": "damages",
    }
    # Each party is served the decision once, its delivery saying what the decision requires of that party.
    assert not db.session.query(Notification).filter_by(kind="court_decision").all()
    served = db.session.query(Delivery).filter_by(filing_id=decision.filing_id, channel="email").all()
    by_role = {d.role: d for d in served}
    assert set(by_role) >= {"claimant", "respondent"}
    assert all(db.session.get(Notification, d.notification_id).kind == "delivery" for d in served)
    assert len({d.notification_id for d in served}) == len(served)
    assert "1500.00 CNY" in by_role["respondent"].statement["text"]
    assert "1500.00 CNY" in by_role["claimant"].statement["text"]
    assert by_role["respondent"].statement["text"] != by_role["claimant"].statement["text"]  # pay / receive

    kinds = [e["kind"] for e in api(world.holder).get(f"/cases/{case.id}/events").get_json()["events"]]
    assert (
        kinds[-6:-1]
        == ["decision_filed", "evidence_added", "state_changed", "decision_carried_out", "exported_to_court"]
        or "decision_carried_out" in kinds
    )

    # The closing bundle carries the decision and its signed document, and extends the first one.
    export, path = stored_bundle(app, case.id)
    assert export.export_seq == 2
    out = io.StringIO()
    assert verifier.verify_bundle(str(path), platform_key().key_id, out=out) == 0, out.getvalue()
    statement = json.loads(__import__("zipfile").ZipFile(path).read(f"{export.bundle_name}/statement.json"))
    assert statement["previous_export"]["event_count"] < statement["events"]["count"]
    assert _decide(court, case.id, DECISION).status_code == 409  # decided cases take no second decision


def test_the_court_pages_are_its_own(app, world, browser):
    case = escalate(world)
    clerk = browser(world.court)
    page = clerk.get("/court").get_data(as_text=True)
    assert case.reference in page
    assert browser(world.other_court).get(f"/cases/{case.id}/export").status_code == 404
    assert browser(world.holder).get("/court").status_code == 404
    shown = clerk.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f'action="/cases/{case.id}/decision"' in shown and f'action="/cases/{case.id}/export/acknowledge"' in shown
    # CSRF is on: a form post without the token is refused.
    assert clerk.client.post(f"/cases/{case.id}/export/acknowledge").status_code == 400
    assert clerk.post(f"/cases/{case.id}/export/acknowledge", form_page=f"/cases/{case.id}").status_code == 302
    response = clerk.post(
        f"/cases/{case.id}/decision",
        {
            "outcome": "dismissed",
            "listing_measure": "restore",
            "language": "zh",
            "text": "驳回。",
            "document": (io.BytesIO(PDF), "decision.pdf"),
            "submission_key": "k1",
            "confirmed": "1",  # as from the confirmation page (tests/export/test_confirm_decision.py)
        },
        form_page=f"/cases/{case.id}",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.query(CourtDecision).filter_by(case_id=case.id).one().outcome == "dismissed"


def test_every_download_by_an_administrator_is_an_event(app, world, api):
    case = escalate(world)
    admin = api(world.admin)
    for _ in range(2):
        response = admin.get(f"/cases/{case.id}/export")
        assert response.status_code == 200
        response.close()
    events = api(world.holder).get(f"/cases/{case.id}/events").get_json()["events"]
    downloads = [e for e in events if e["kind"] == "export_downloaded"]
    assert len(downloads) == 2 and all(e["actor_role"] == "admin" for e in downloads)


@pytest.mark.e2e
@pytest.mark.parametrize("document", [b"upheld :-)", b"<html><p>Judgment</p></html>", b"PK\x03\x04fake.docx"])
def test_a_judgment_that_is_not_a_pdf_by_its_bytes_is_refused_and_nothing_changes(app, world, api, document):
    case = escalate(world)
    court = api(world.court)
    refused = _decide(court, case.id, DECISION, document=document)  # named decision.pdf all the same
    assert refused.status_code == 422
    assert "PDF" in refused.get_json()["error"]["fields"]["document"]
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "escalated"
    assert db.session.scalars(select(CourtDecision)).all() == []
    assert _decide(court, case.id, DECISION).status_code in (200, 201)
