"""Bad input changes nothing and gets a clear answer: {"error": {"code", "message", "fields"}} with a 4xx."""

from pathlib import Path

import pytest

from odr.cases.models import Case, Event, EvidenceFile, Filing
from odr.extensions import db
from tests.conftest import notice_data


def counts():
    db.session.expire_all()
    models = (Case, Filing, Event, EvidenceFile)
    return tuple(db.session.scalar(db.select(db.func.count()).select_from(m)) for m in models)


@pytest.fixture
def holder(world, api):
    return api(world.holder)


def error_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["message"]
    return body["error"]


def test_malformed_json(holder):
    before = counts()
    response = holder.client.post(
        "/api/v1/cases", data="{not json", headers={**holder.headers, "Content-Type": "application/json"}
    )
    assert error_of(response, 422)["code"] == "malformed_json"
    response = holder.client.post(
        "/api/v1/cases", data="[1, 2]", headers={**holder.headers, "Content-Type": "application/json"}
    )
    assert error_of(response, 422)["code"] == "malformed_json"
    response = holder.client.post("/api/v1/cases", data="a=b", headers=holder.headers)
    assert error_of(response, 422)["code"] == "malformed_json"
    assert counts() == before


def test_missing_fields_are_each_named(holder):
    before = counts()
    error = error_of(holder.post("/cases", {"jurisdiction": "CN"}), 422)
    assert {"right_type", "title", "text", "language", "listings", "respondent"} <= set(error["fields"])
    assert counts() == before


def test_unknown_jurisdiction_and_language(holder):
    error = error_of(holder.post("/cases", notice_data(jurisdiction="XX", language="tlh")), 422)
    assert "jurisdiction" in error["fields"] and "CN" in error["fields"]["jurisdiction"]
    assert "language" in error["fields"] and "tlh" in error["fields"]["language"]


def test_wrong_types_do_not_crash(holder):
    before = counts()
    for bad in (
        {"title": 12},
        {"listings": "  "},
        {"listings": [1, 2]},
        {"respondent": "x"},
        {"respondent": {"email": "not-an-email"}},
        {"jurisdiction": ["CN"]},
        {"text": None},
    ):
        response = holder.post("/cases", notice_data(**bad))
        error_of(response, 422)
    assert counts() == before


def test_upload_over_the_limit(app, world, api):
    app.config["ODR"]["MAX_UPLOAD_MB"] = 1
    holder = api(world.holder)
    before = counts()
    response = holder.upload("/cases", notice_data(), [("big.bin", b"x" * (1024 * 1024 + 1))])
    assert error_of(response, 422)["code"] == "too_large"
    assert counts() == before
    evidence_dir = Path(app.config["ODR"]["EVIDENCE_DIR"])
    assert not evidence_dir.exists() or list(evidence_dir.iterdir()) == []


def test_request_over_the_server_limit_gets_413_json(app, world, api):
    holder = api(world.holder)
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = holder.client.post(
        "/api/v1/cases", data=b"x" * (limit + 1), headers=holder.headers, content_type="multipart/form-data; boundary=b"
    )
    assert error_of(response, 413)["code"] == "too_large"


def test_empty_file(holder):
    before = counts()
    response = holder.upload("/cases", notice_data(), [("empty.pdf", b"")])
    assert error_of(response, 422)["code"] == "empty_file"
    assert counts() == before


def test_answering_twice_and_settling_a_closed_case(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case_id = holder.post("/cases", notice_data()).get_json()["id"]
    answer = {"kind": "response", "language": "zh", "text": "答复"}
    assert seller.post(f"/cases/{case_id}/filings", answer).status_code == 201
    before = counts()
    assert error_of(seller.post(f"/cases/{case_id}/filings", answer), 409)["code"] == "wrong_state"
    assert counts() == before

    assert holder.post(f"/cases/{case_id}/actions/withdraw").get_json()["state"] == "withdrawn"
    before = counts()
    error = error_of(
        seller.post(f"/cases/{case_id}/filings", {"kind": "settlement", "language": "zh", "text": "和解"}), 409
    )
    assert error["code"] == "wrong_state"
    assert error_of(holder.post(f"/cases/{case_id}/actions/escalate"), 409)["code"] == "wrong_state"
    assert counts() == before


def test_roles_and_automatic_steps_are_enforced(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case_id = holder.post("/cases", notice_data()).get_json()["id"]
    # The right holder cannot answer its own notice, nor force a settlement.
    assert (
        error_of(holder.post(f"/cases/{case_id}/filings", {"kind": "response", "language": "es", "text": "x"}), 409)[
            "code"
        ]
        == "wrong_role"
    )
    seller.post(f"/cases/{case_id}/filings", {"kind": "response", "language": "zh", "text": "答复"})
    assert error_of(holder.post(f"/cases/{case_id}/actions/settle"), 409)["code"] == "automatic_step"
    assert error_of(holder.post(f"/cases/{case_id}/actions/teleport"), 409)["code"] == "unknown_action"
    error = error_of(
        holder.post(
            f"/cases/{case_id}/filings",
            {"kind": "offer", "language": "es", "text": "x", "terms": {"amount": "-5", "currency": "EURO"}},
        ),
        422,
    )
    assert {"terms.amount", "terms.currency"} <= set(error["fields"])


def test_a_changed_settlement_text_voids_the_acceptance_attempt(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case_id = holder.post("/cases", notice_data()).get_json()["id"]
    seller.post(f"/cases/{case_id}/filings", {"kind": "response", "language": "zh", "text": "答复"})
    first = holder.post(f"/cases/{case_id}/filings", {"kind": "settlement", "language": "es", "text": "A"}).get_json()
    old_digest = holder.get(f"/cases/{case_id}").get_json()["settlement"]["text_sha256"]
    holder.post(f"/cases/{case_id}/settlements/{first['id']}/accept", {"text_sha256": old_digest})
    second = holder.post(f"/cases/{case_id}/filings", {"kind": "settlement", "language": "es", "text": "B"}).get_json()
    # Accepting the old proposal, or the new one with the old text's digest, is refused.
    assert error_of(seller.post(f"/cases/{case_id}/settlements/{first['id']}/accept", {}), 409)["code"] == "superseded"
    assert (
        error_of(seller.post(f"/cases/{case_id}/settlements/{second['id']}/accept", {"text_sha256": old_digest}), 409)[
            "code"
        ]
        == "text_changed"
    )
    # The right holder's acceptance of A does not count for B: B needs both parties again.
    new_digest = seller.get(f"/cases/{case_id}").get_json()["settlement"]["text_sha256"]
    assert (
        seller.post(f"/cases/{case_id}/settlements/{second['id']}/accept", {"text_sha256": new_digest}).get_json()[
            "state"
        ]
        == "negotiation"
    )


def test_unauthenticated_api_calls(client):
    error = error_of(client.get("/api/v1/cases"), 401)
    assert error["code"] == "unauthorized"
    error = error_of(client.get("/api/v1/cases", headers={"Authorization": "Bearer nope"}), 401)
    assert (
        error_of(client.post("/api/v1/tokens", json={"email": "x@y.z", "password": "p"}), 401)["code"]
        == "invalid_credentials"
    )


def test_errors_come_in_the_readers_language(holder):
    response = holder.client.post(
        "/api/v1/cases", json={"jurisdiction": "XX"}, headers={**holder.headers, "Accept-Language": "de"}
    )
    assert response.status_code == 422
    # Until the German catalog exists the message falls back to English; the language selection
    # itself is exercised here so that catalogs plug in without code changes.
    assert response.get_json()["error"]["message"]


def test_unknown_routes_answer_json_404_under_the_api(client):
    assert error_of(client.get("/api/v1/nothing-here"), 404)["code"] == "not_found"
