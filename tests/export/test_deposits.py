"""Deposit certificates: signed before any dispute, verifiable offline, carried into the bundle."""

from __future__ import annotations

import io
import json

from odr.deposits import services
from odr.errors import ValidationFailed
from odr.export import verifier
from odr.integrity.keys import platform_key
from tests.export.conftest import PNG, escalate, stored_bundle


def test_a_deposit_certificate_verifies_offline_and_follows_the_work_into_the_bundle(app, world, tmp_path):
    deposit, new = services.deposit_work(world.holder, "Logo FLAMENCO", io.BytesIO(PNG), "logo.png", key="d1")
    again, again_new = services.deposit_work(world.holder, "Logo FLAMENCO", io.BytesIO(PNG), "logo.png", key="d1")
    assert new and not again_new and again.id == deposit.id
    (tmp_path / "cert.json").write_text(deposit.certificate)
    (tmp_path / "work.png").write_bytes(PNG)
    key_id = platform_key().key_id
    out = io.StringIO()
    assert verifier.verify_certificate(str(tmp_path / "cert.json"), str(tmp_path / "work.png"), key_id, out=out) == 0
    assert "the work matches the deposited SHA-256" in out.getvalue()

    (tmp_path / "other.png").write_bytes(PNG + b"x")
    out = io.StringIO()
    assert verifier.verify_certificate(str(tmp_path / "cert.json"), str(tmp_path / "other.png"), key_id, out=out) == 2
    forged = json.loads(deposit.certificate)
    forged["certificate"]["deposited_at"] = "2020-01-01T00:00:00Z"
    (tmp_path / "forged.json").write_text(json.dumps(forged))
    out = io.StringIO()
    assert verifier.verify_certificate(str(tmp_path / "forged.json"), None, key_id, out=out) == 2
    assert "signature does not verify" in out.getvalue()

    case = escalate(world)  # the same PNG is the case's evidence
    _export, path = stored_bundle(app, case.id)
    out = io.StringIO()
    assert verifier.verify_bundle(str(path), key_id, out=out) == 0, out.getvalue()
    assert "deposit-certificate.json: the work matches the deposited SHA-256" in out.getvalue()


def test_deposits_are_private_and_validated(app, world, api):
    deposit, _new = services.deposit_work(world.holder, "Logo", io.BytesIO(PNG), "logo.png")
    assert api(world.stranger_holder).get(f"/deposits/{deposit.id}/certificate").status_code == 404
    assert api(world.holder).get(f"/deposits/{deposit.id}/certificate").status_code == 200
    try:
        with app.test_request_context():
            services.deposit_work(world.holder, "", None, None)
    except ValidationFailed as exc:
        assert set(exc.fields) == {"title", "work"}
    else:
        raise AssertionError("an empty deposit was accepted")
    response = api(world.seller).client.post(
        "/api/v1/deposits",
        data={"data": json.dumps({"title": "设计图"}), "work": (io.BytesIO(b"%PDF-1.4 design"), "设计.pdf")},
        headers=api(world.seller).headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201 and response.get_json()["media_type"] == "application/pdf"
    assert api(world.court).post("/deposits", {}).status_code in (403, 422)


def test_the_openapi_document_keeps_work_deposits_and_evaluation_deposits_apart(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/deposits"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schemas[body.rsplit("/", 1)[1]]["required"] == ["title"]
    evaluation = doc["paths"]["/cases/{case_id}/evaluation/deposits"]["post"]["requestBody"]["content"][
        "application/json"
    ]["schema"]["$ref"]
    assert schemas[evaluation.rsplit("/", 1)[1]]["required"] == ["side"]
