"""Done when: the escalated demo case exports, verifies offline, is decided in the court portal, carried out."""

from __future__ import annotations

import io
import json

from odr.cases.models import Case
from odr.demo import PASSWORD, load_demo
from odr.extensions import db
from odr.integrity.keys import platform_key
from tests.conftest import second_factor_code
from tests.export.test_standalone_verifier import run_alone


def test_the_escalated_demo_case_goes_to_the_court_and_back(app, client, tmp_path):
    load_demo()
    case = db.session.query(Case).filter_by(state="escalated").one()
    clerk = "clerk@internet-court.example.cn"
    code = second_factor_code(app, clerk)  # a court's account signs in with two steps
    token = client.post("/api/v1/tokens", json={"email": clerk, "password": PASSWORD, "totp_code": code})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}

    (row,) = client.get("/api/v1/court/exports", headers=headers).get_json()["exports"]
    assert row["case_id"] == case.id
    download = client.get(f"/api/v1/cases/{case.id}/export", headers=headers)
    (tmp_path / "bundle.zip").write_bytes(download.get_data())
    download.close()
    checked = run_alone(tmp_path, "bundle", str(tmp_path / "bundle.zip"), "--key-id", platform_key().key_id)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        client.post(
            f"/api/v1/cases/{case.id}/export/acknowledge", headers=headers, json={"sha256": row["sha256"]}
        ).status_code
        == 200
    )

    decision = {
        "outcome": "upheld",
        "listing_measure": "take_down",
        "language": "zh",
        "text": "被告侵权，下架。",
        "amounts": [{"payer": "respondent", "amount": "3000", "currency": "CNY", "reason": "damages"}],
    }
    decided = client.post(
        f"/api/v1/cases/{case.id}/decision",
        headers=headers,
        content_type="multipart/form-data",
        data={"data": json.dumps(decision), "document": (io.BytesIO(b"%PDF-1.7 signed"), "判决.pdf")},
    )
    assert decided.status_code == 201, decided.get_json()
    db.session.expire_all()
    assert db.session.get(Case, case.id).state == "decided"
    kinds = [e.kind for e in db.session.get(Case, case.id).events]
    assert {"export_acknowledged", "decision_filed", "decision_carried_out"} <= set(kinds)
