"""One rule on every endpoint that takes an Idempotency-Key: the same key and body answer the first result
(200, nothing new written); the same key with another body is refused (422 idempotency_key_reused)."""

import io
import json

import pytest

from odr.api.openapi import document
from tests.conftest import COUNTER_NOTICE_ELEMENTS, notice_data
from tests.export.conftest import escalate

PDF = b"%PDF-1.4 signed decision"


def _multipart(client, path, data, file_field, name, content, key):
    form = {"data": json.dumps(data), file_field: (io.BytesIO(content), name)}
    return client.client.post(
        f"/api/v1{path}",
        data=form,
        headers={**client.headers, "Idempotency-Key": key},
        content_type="multipart/form-data",
    )


def _notice(world, api, variant, key):
    return api(world.holder).post("/cases", notice_data(title=f"Notice {variant}"), headers={"Idempotency-Key": key})


def _filing(world, api, variant, key):
    holder = api(world.holder)
    if not hasattr(world, "open_case_id"):
        world.open_case_id = holder.post("/cases", notice_data()).get_json()["id"]
    return holder.post(
        f"/cases/{world.open_case_id}/filings",
        {"kind": "message", "language": "en", "text": f"Message {variant}"},
        headers={"Idempotency-Key": key},
    )


def _decision(world, api, variant, key):
    if not hasattr(world, "escalated_case"):
        world.escalated_case = escalate(world)
    data = {"outcome": "upheld", "listing_measure": "take_down", "language": "en", "text": f"Decision {variant}"}
    return _multipart(
        api(world.court), f"/cases/{world.escalated_case.id}/decision", data, "document", "decision.pdf", PDF, key
    )


def _report(world, api, variant, key):
    if not hasattr(world, "counter_noticed_case_id"):
        holder = api(world.holder)
        world.counter_noticed_case_id = holder.post("/cases", notice_data()).get_json()["id"]
        api(world.seller).post(
            f"/cases/{world.counter_noticed_case_id}/filings",
            {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
        )
    data = {"step": "report_complaint", "body": "杭州市市场监督管理局", "case_number": f"杭市监案〔2026〕{variant}号"}
    return _multipart(
        api(world.holder), f"/cases/{world.counter_noticed_case_id}/reports", data, "document", "受理.pdf", PDF, key
    )


def _security(world, api, variant, key):
    if not hasattr(world, "taken_down_case_id"):  # a Chinese notice takes the listings down at once
        world.taken_down_case_id = api(world.holder).post("/cases", notice_data()).get_json()["id"]
    data = {"amount": f"5000{variant}", "currency": "CNY", "document_kind": "bank_guarantee", "language": "zh"}
    return _multipart(
        api(world.seller), f"/cases/{world.taken_down_case_id}/security", data, "document", "保函.pdf", PDF, key
    )


def _deposit(world, api, variant, key):
    return _multipart(
        api(world.seller), "/deposits", {"title": f"Work {variant}"}, "work", "work.pdf", b"%PDF-1.4 work", key
    )


SENDERS = {
    ("post", "/cases"): _notice,
    ("post", "/cases/{case_id}/filings"): _filing,
    ("post", "/cases/{case_id}/decision"): _decision,
    ("post", "/cases/{case_id}/reports"): _report,
    ("post", "/cases/{case_id}/security"): _security,
    ("post", "/deposits"): _deposit,
}


def test_every_endpoint_that_takes_the_header_is_checked_here(app):
    with app.test_request_context():
        paths = document()["paths"]
    idempotent = {
        (method, path)
        for path, ops in paths.items()
        for method, op in ops.items()
        if isinstance(op, dict) and any(p.get("name") == "Idempotency-Key" for p in op.get("parameters", []))
    }
    # A batch answers each item (200), its key replaying or refusing item by item: tests/cases/test_bulk_intake.py.
    assert idempotent == set(SENDERS) | {("post", "/notices:batch")}


@pytest.mark.parametrize("endpoint", sorted(SENDERS), ids=lambda e: f"{e[0]} {e[1]}")
def test_same_key_same_body_is_the_first_result_and_another_body_is_refused(world, api, endpoint):
    send = SENDERS[endpoint]
    first = send(world, api, 1, "key-1")
    assert first.status_code == 201, first.get_json()
    again = send(world, api, 1, "key-1")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    other = send(world, api, 2, "key-1")
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    once = {"/cases/{case_id}/decision", "/cases/{case_id}/reports", "/cases/{case_id}/security"}
    if endpoint[1] not in once:
        # a case is decided once, a complaint reported once, and one security offered at a time
        assert send(world, api, 2, "key-2").status_code == 201
