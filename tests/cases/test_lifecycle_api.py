"""The whole lifecycle through the JSON API, acting as each role."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import event

from odr.cases.models import Case
from odr.extensions import db
from odr.models_base import utcnow
from odr.procedure.services import sweep_deadlines
from tests.conftest import notice_data

pytestmark = pytest.mark.e2e

EVIDENCE = b"%PDF-1.4\nregistration certificate No. 123\n"


def test_notice_to_settlement(world, api):
    holder, seller = api(world.holder), api(world.seller)

    filed = holder.upload("/cases?full=1", notice_data(), [("registro.pdf", EVIDENCE)])
    assert filed.status_code == 201, filed.get_json()
    case = filed.get_json()
    assert case["state"] == "awaiting_response"
    assert case["evidence"][0]["sha256"] == hashlib.sha256(EVIDENCE).hexdigest()
    assert case["evidence"][0]["media_type"] == "application/pdf"
    assert [d["timer"] for d in case["deadlines"]] == ["response_period"]
    case_id = case["id"]

    answered = seller.post(
        f"/cases/{case_id}/filings", {"kind": "response", "language": "zh", "text": "我们从授权经销商处购买。"}
    )
    assert answered.status_code == 201
    assert seller.get(f"/cases/{case_id}").get_json()["state"] == "negotiation"

    offer = holder.post(
        f"/cases/{case_id}/filings",
        {
            "kind": "offer",
            "language": "es",
            "text": "Paguen 500 EUR.",
            "terms": {"amount": "500", "currency": "eur", "listing_measure": "remove"},
        },
    )
    assert offer.status_code == 201
    assert offer.get_json()["terms"] == {"amount": "500.00", "currency": "EUR", "listing_measure": "remove"}

    proposal = seller.post(
        f"/cases/{case_id}/filings",
        {
            "kind": "settlement",
            "language": "zh",
            "text": "支付300欧元并删除商品。",
            "terms": {"amount": "300", "currency": "EUR", "listing_measure": "remove"},
        },
    ).get_json()
    digest = seller.get(f"/cases/{case_id}").get_json()["settlement"]["text_sha256"]

    first = seller.post(f"/cases/{case_id}/settlements/{proposal['id']}/accept", {"text_sha256": digest})
    assert first.status_code == 200 and first.get_json()["state"] == "negotiation"
    second = holder.post(f"/cases/{case_id}/settlements/{proposal['id']}/accept", {"text_sha256": digest})
    assert second.status_code == 200
    assert second.get_json()["state"] == "settled"
    assert second.get_json()["deadlines"] == []

    events = [e["kind"] for e in holder.get(f"/cases/{case_id}/events").get_json()["events"]]
    # The last change of state and its service on the parties; then the takedown the settlement agreed, ordered
    # from the platform (Platform Rule 9) and served on the parties.
    assert events[0] == "notice_filed" and "settlement_accepted" in events
    assert events[-4:] == ["state_changed", "act_served", "measures_ordered", "act_served"], events[-6:]

    # A settled case takes no more settlements or answers.
    again = holder.post(f"/cases/{case_id}/settlements/{proposal['id']}/accept", {"text_sha256": digest})
    assert again.status_code == 409


def test_notice_through_silence_facilitation_and_escalation_to_the_court(world, api):
    holder, mediator, court, admin = api(world.holder), api(world.mediator), api(world.court), api(world.admin)
    case_id = holder.upload("/cases", notice_data(), [("foto.png", b"\x89PNG\r\n\x1a\nfake")]).get_json()["id"]

    # The seller stays silent past the 7-day response period.
    assert sweep_deadlines(utcnow() + timedelta(days=8, hours=1)) == 1
    case = holder.get(f"/cases/{case_id}").get_json()
    assert case["state"] == "facilitated_settlement"

    # The mediator cannot see the case until assigned.
    assert mediator.get(f"/cases/{case_id}").status_code == 404
    assigned = admin.post(f"/cases/{case_id}/mediator", {"mediator_id": world.mediator.id})
    assert assigned.status_code == 200, assigned.get_json()
    # Until the mediator declares independence and accepts, the file stays closed to them.
    assert mediator.get(f"/cases/{case_id}").status_code == 404
    offered = mediator.get("/mediation/appointments").get_json()["appointments"]
    accepted = mediator.post(f"/mediation/appointments/{offered[0]['appointment_id']}/accept", {"declaration": True})
    assert accepted.status_code == 200, accepted.get_json()
    assert mediator.get(f"/cases/{case_id}").status_code == 200
    assert (
        mediator.post(
            f"/cases/{case_id}/filings", {"kind": "message", "language": "de", "text": "Bitte um Vorschläge."}
        ).status_code
        == 201
    )

    # The court sees nothing before escalation.
    assert court.get(f"/cases/{case_id}/export").status_code == 404
    # A party refers the case (Platform Rule 8); the mediator does not seize a court for the parties.
    escalated = holder.post(f"/cases/{case_id}/actions/escalate")
    assert escalated.status_code == 200 and escalated.get_json()["state"] == "escalated"

    download = court.get(f"/cases/{case_id}/export")
    body = download.get_data()
    download.close()
    assert download.status_code == 200
    assert download.headers["X-Content-SHA256"] == hashlib.sha256(body).hexdigest()
    # The bundle itself is checked in tests/export; here: it is the case as escalated, with its evidence.
    bundle = zipfile.ZipFile(io.BytesIO(body))
    root = bundle.namelist()[0].split("/")[0]
    manifest = json.loads(bundle.read(f"{root}/data/case.json"))
    assert manifest["case_id"] == case_id and manifest["state"] == "escalated"
    assert [f["kind"] for f in manifest["documents"]] == ["notice", "message"]
    for item in manifest["evidence"]:
        assert hashlib.sha256(bundle.read(f"{root}/{item['path']}")).hexdigest() == item["sha256"]
    statement = json.loads(bundle.read(f"{root}/statement.json"))
    assert bundle.read(f"{root}/data/events.jsonl").decode().count("\n") == statement["events"]["count"]

    # The court records its decision (with the signed document), which closes the case.
    assert (
        court.post(f"/cases/{case_id}/filings", {"kind": "decision", "language": "zh", "text": "驳回。"}).status_code
        == 409
    )
    decided = court.client.post(
        f"/api/v1/cases/{case_id}/decision",
        headers=court.headers,
        data={
            "data": json.dumps(
                {"outcome": "dismissed", "listing_measure": "restore", "language": "zh", "text": "驳回。"}
            ),
            "document": (io.BytesIO(b"%PDF-1.7 signed"), "decision.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert decided.status_code == 201
    assert court.get(f"/cases/{case_id}").get_json()["state"] == "decided"
    # Another court never sees it.
    assert api(world.other_court).get(f"/cases/{case_id}").status_code == 404


def test_seller_invited_by_a_notice_claims_its_party(world, api, client):
    from odr.extensions import db
    from odr.notifications.models import Notification

    holder = api(world.holder)
    data = notice_data(
        seller_email="new-shop@example.vn",
        respondent={"email": "new-shop@example.vn", "name": "Cửa hàng", "country": "VN", "language": "vi"},
    )
    case_id = holder.post("/cases", data).get_json()["id"]
    invitation = db.session.scalar(db.select(Notification).where(Notification.recipient == "new-shop@example.vn"))
    assert invitation.locale == "vi" and invitation.data["case_id"] == case_id

    signup = {
        "email": "new-shop@example.vn",
        "password": "long-enough-pass",
        "display_name": "Nguyễn",
        "organisation": "ignored",
        "role": "seller",
        "country": "VN",
        "language": "vi",
        "time_zone": "Asia/Ho_Chi_Minh",
    }
    wrong = client.post("/api/v1/accounts", json=signup | {"invitation_code": "guess"})
    assert wrong.status_code == 422 and "invitation_code" in wrong.get_json()["error"]["fields"]
    right = client.post("/api/v1/accounts", json=signup | {"invitation_code": invitation.data["invitation_code"]})
    assert right.status_code == 201
    token = client.post("/api/v1/tokens", json={"email": "new-shop@example.vn", "password": "long-enough-pass"})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    case = client.get(f"/api/v1/cases/{case_id}", headers=headers).get_json()
    assert case["your_roles"] == ["respondent"]


def test_filing_a_notice_answers_a_receipt_and_the_full_document_on_request(world, api, sql_statements):
    holder = api(world.holder)
    with sql_statements() as compact_sent:
        compact = holder.post("/cases", notice_data())
    receipt = compact.get_json()
    assert compact.status_code == 201
    assert receipt["reference"].startswith("ODR-") and receipt["links"]["self"] == f"/api/v1/cases/{receipt['id']}"
    assert (
        "filings" not in receipt
        and holder.get(receipt["links"]["self"].removeprefix("/api/v1")).get_json()["id"] == receipt["id"]
    )
    with sql_statements() as full_sent:
        full = holder.post("/cases?full=1", notice_data(title="Second"))
    assert full.status_code == 201 and full.get_json()["filings"][0]["kind"] == "notice"
    preferred = holder.post("/cases", notice_data(title="Third"), headers={"Prefer": "return=representation"})
    assert "deadlines" in preferred.get_json()
    # The receipt reads nothing after the commit; the document reads the case back.
    assert len(compact_sent) < len(full_sent)


def test_a_notice_is_answered_from_the_case_as_written_with_nothing_read_after_its_commit(world, api):
    """The receipt and the after-request audit check read the new case and the filer's account as the request
    wrote and read them: once the notice is committed nothing more is sent to the database (before: both read
    again)."""
    holder = api(world.holder)
    committed: list[bool] = []
    after_commit: list[str] = []

    def on_commit(_connection):
        committed.append(True)

    def on_statement(_connection, _cursor, statement, *_args):
        if committed:
            after_commit.append(statement)

    event.listen(db.engine, "commit", on_commit)
    event.listen(db.engine, "before_cursor_execute", on_statement)
    try:
        response = holder.post("/cases", notice_data())
    finally:
        event.remove(db.engine, "commit", on_commit)
        event.remove(db.engine, "before_cursor_execute", on_statement)
    assert response.status_code == 201 and committed == [True]
    assert after_commit == []
    receipt = response.get_json()
    case = db.session.get(Case, receipt["id"])
    assert (receipt["reference"], receipt["state"], receipt["filed_at"]) == (
        case.reference,
        case.state,
        case.created_at.isoformat(),
    )
