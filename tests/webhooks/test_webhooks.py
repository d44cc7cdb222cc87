"""Webhooks to platform clients, against a real HTTP receiver (a server thread on a local port): the
signature verifies, a 500 and a timeout are retried with the same delivery ID, a receiver that never
accepts leaves the delivery failed with its last error after 24 hours, and replaying sends it again."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func, select

from odr.extensions import db
from odr.models_base import utcnow
from odr.webhooks import services
from odr.webhooks.models import WebhookDelivery, WebhookStatus
from tests.conftest import notice_data

pytestmark = pytest.mark.postgres  # the rows hold the retries: on PostgreSQL too when it is configured

SECRET = "whsec_test_0123456789abcdef"


class Receiver:
    """A local HTTP server that records every POST and answers from a script of (status, delay) pairs
    (then 200 for ever)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, float]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, delay = receiver.script.pop(0) if receiver.script else (200, 0.0)
                receiver.requests.append({"headers": dict(self.headers), "body": body, "status": status})
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok" if status < 300 else b"receiver broke")
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(app):
    app.config["ODR"]["WEBHOOK_ALLOW_PRIVATE"] = True  # the receiver listens on the loopback address
    app.config["ODR"]["WEBHOOK_TIMEOUT_SECONDS"] = 1
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def hooked(api, platform, receiver):
    """The platform client's API with the receiver registered as its endpoint."""
    client = api(platform)
    response = client.post("/webhooks/endpoints", {"url": receiver.url, "secret": SECRET})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["secret"] == SECRET
    return client


def file_cn_notice(api, world) -> int:
    """A CN notice: the procedure takes down both listings at once (two measure.ordered events)."""
    response = api(world.holder).post("/cases", notice_data(jurisdiction="CN"))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def verified(request: dict) -> dict:
    header = request["headers"]["ODR-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert services.verify(SECRET, header, request["body"], now=timestamp)
    assert not services.verify("whsec_another_secret_value", header, request["body"], now=timestamp)
    assert not services.verify(SECRET, header, request["body"] + b" ", now=timestamp)
    body = json.loads(request["body"])
    assert request["headers"]["ODR-Delivery-Id"] == body["id"]
    assert request["headers"]["ODR-Event"] == body["type"]
    return body


def rows() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_measures_ordered_are_posted_signed_and_verify(world, api, hooked, receiver):
    case_id = file_cn_notice(api, world)
    assert receiver.requests == []  # the filing did not wait for the receiver
    assert services.send_due() == 2
    bodies = [verified(request) for request in receiver.requests]
    assert {(b["type"], b["data"]["kind"], b["data"]["listing"], b["data"]["case_id"]) for b in bodies} == {
        ("measure.ordered", "take_down", "https://shop.example/item/1", case_id),
        ("measure.ordered", "take_down", "item-2", case_id),
    }
    assert len({b["id"] for b in bodies}) == 2
    # HMAC-SHA256 over "<t>.<body>", hex, as docs/webhooks.md tells a receiver to compute it.
    import hashlib
    import hmac

    request = receiver.requests[0]
    t, v1 = (part.split("=", 1)[1] for part in request["headers"]["ODR-Signature"].split(","))
    assert v1 == hmac.new(SECRET.encode(), f"{t}.".encode() + request["body"], hashlib.sha256).hexdigest()
    listed = hooked.get("/webhooks/deliveries").get_json()["deliveries"]
    assert {d["status"] for d in listed} == {"delivered"} and all(d["attempts"] == 1 for d in listed)
    assert services.send_due() == 0  # nothing is sent twice


def test_a_500_is_retried_with_the_same_delivery_id_then_delivered(world, api, hooked, receiver):
    file_cn_notice(api, world)
    receiver.script = [(500, 0.0), (500, 0.0)]
    now = utcnow()
    assert services.send_due(now) == 0
    first = rows()
    assert [r.status for r in first] == ["pending", "pending"]
    assert all(r.last_error.startswith("HTTP 500") and r.last_status_code == 500 for r in first)
    assert all(r.next_attempt_at - now == timedelta(minutes=1) for r in first)
    assert services.send_due(now + timedelta(seconds=30)) == 0 and len(receiver.requests) == 2  # not yet due
    assert services.send_due(now + timedelta(minutes=1)) == 2
    assert [r.status for r in rows()] == ["delivered", "delivered"]
    assert all(r.attempts == 2 and r.last_error is None for r in rows())
    ids = [verified(request)["id"] for request in receiver.requests]
    assert len(ids) == 4 and {ids.count(i) for i in ids} == {2}  # each ID twice: the retry is a duplicate
    bodies = [request["body"] for request in receiver.requests]
    assert {bodies.count(body) for body in bodies} == {2}  # the same body on the retry


def test_a_timeout_is_retried_with_the_same_delivery_id(world, api, hooked, receiver):
    file_cn_notice(api, world)
    receiver.script = [(200, 2.0)]  # the first answer comes after the sender's 1-second timeout
    now = utcnow()
    assert services.send_due(now) == 1
    timed_out = [r for r in rows() if r.status == WebhookStatus.PENDING]
    assert len(timed_out) == 1 and timed_out[0].last_error == "timed out after 1 s"
    assert services.send_due(now + timedelta(minutes=1)) == 1
    assert all(r.status == WebhookStatus.DELIVERED for r in rows())
    retried = [verified(r)["id"] for r in receiver.requests if verified(r)["id"] == timed_out[0].delivery_id]
    assert len(retried) == 2


def test_after_24_hours_of_refusals_the_delivery_fails_with_the_last_error_and_can_be_replayed(
    world, api, hooked, receiver, browser, platform
):
    file_cn_notice(api, world)
    receiver.script = [(503, 0.0)] * 1000
    start = utcnow()
    now, sent = start, 0
    while now <= start + timedelta(hours=25):
        services.send_due(now)
        due = db.session.scalar(
            select(func.min(WebhookDelivery.next_attempt_at)).where(WebhookDelivery.status == WebhookStatus.PENDING)
        )
        if due is None:
            break
        now, sent = due, sent + 1
    failed = rows()
    assert [r.status for r in failed] == ["failed", "failed"]
    # Exponential backoff: 1, 2, 4 ... minutes, capped at 4 hours, the last attempt at the end of the window.
    assert all(r.failed_at == r.retry_until == r.created_at + timedelta(hours=24) for r in failed)
    assert 10 <= failed[0].attempts <= 16
    assert all(r.last_error == "HTTP 503: receiver broke" for r in failed)
    per_id = {}
    for request in receiver.requests:
        per_id.setdefault(verified(request)["id"], []).append(request)
    assert sorted(per_id) == sorted(r.delivery_id for r in failed)
    assert all(len(requests) == failed[0].attempts for requests in per_id.values())

    listed = hooked.get("/webhooks/deliveries?status=failed").get_json()["deliveries"]
    assert {d["last_error"] for d in listed} == {"HTTP 503: receiver broke"} and len(listed) == 2
    page = browser(platform).get("/webhooks?status=failed").get_data(as_text=True)
    assert "HTTP 503: receiver broke" in page and failed[0].delivery_id in page

    receiver.script = []
    replayed = hooked.post(f"/webhooks/deliveries/{failed[0].delivery_id}/replay")
    assert replayed.status_code == 200 and replayed.get_json()["status"] == "pending"
    assert services.send_due() == 1
    assert verified(receiver.requests[-1])["id"] == failed[0].delivery_id  # the same ID: a duplicate to drop
    assert [r.status for r in rows()] == ["delivered", "failed"]


def test_lifted_measures_and_the_case_outcome_are_posted(world, api, hooked, receiver):
    case_id = file_cn_notice(api, world)
    withdrawn = api(world.holder).post(f"/cases/{case_id}/actions/withdraw")
    assert withdrawn.status_code in (200, 201), withdrawn.get_json()
    services.send_due()
    events = [(b["type"], b["data"].get("kind") or b["data"].get("outcome")) for b in map(verified, receiver.requests)]
    assert sorted(events) == sorted(
        [
            ("measure.ordered", "take_down"),
            ("measure.ordered", "take_down"),
            ("measure.lifted", "restore"),
            ("measure.lifted", "restore"),
            ("case.outcome", "withdrawn"),
        ]
    )


def test_an_unreachable_receiver_never_fails_the_request_that_caused_it(world, api, platform, receiver):
    closed = Receiver()
    url = closed.url
    closed.close()  # nothing listens there any more
    assert api(platform).post("/webhooks/endpoints", {"url": url}).status_code == 201
    file_cn_notice(api, world)
    assert services.send_due() == 0
    assert all(r.status == WebhookStatus.PENDING and "ConnectionError" in r.last_error for r in rows())


HOSTILE = [
    "file:///etc/passwd",
    "gopher://example.com/_SET",
    "javascript:alert(1)",
    "ftp://example.com/hook",
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.7/hook",
    "http://192.168.1.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://metadata.google.internal/",
    "http://user:password@example.com/hook",
    "https:///no-host",
    "http://example.com:0/hook",
    "https://example.com/a b",
    "",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_endpoint_urls_are_refused(api, platform, url):
    response = api(platform).post("/webhooks/endpoints", {"url": url})
    assert response.status_code == 422, (url, response.get_json())
    assert "url" in response.get_json()["error"]["fields"]
    assert services.endpoints(platform) == []


def test_a_name_that_resolves_to_a_private_address_is_not_contacted(world, api, platform, monkeypatch):
    client = api(platform)
    assert client.post("/webhooks/endpoints", {"url": "https://hooks.example.com/odr"}).status_code == 201
    file_cn_notice(api, world)
    monkeypatch.setattr(services.socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("10.1.2.3", 443))])
    called = []
    monkeypatch.setattr(services.requests, "post", lambda *a, **k: called.append(a))
    assert services.send_due() == 0
    assert called == []
    assert all("non-public address 10.1.2.3" in r.last_error for r in rows())


def test_only_platform_clients_have_webhooks_and_each_sees_only_its_own(
    world, api, hooked, receiver, other_platform, browser
):
    assert api(world.holder).post("/webhooks/endpoints", {"url": "https://example.com/h"}).status_code == 403
    assert api(world.seller).get("/webhooks/deliveries").status_code == 403
    assert browser(world.holder).get("/webhooks").status_code == 403
    file_cn_notice(api, world)
    other = api(other_platform)
    assert other.get("/webhooks/deliveries").get_json()["deliveries"] == []
    mine = hooked.get("/webhooks/deliveries").get_json()["deliveries"]
    assert len(mine) == 2
    assert other.post(f"/webhooks/deliveries/{mine[0]['delivery_id']}/replay").status_code == 404
    endpoint_id = hooked.get("/webhooks/endpoints").get_json()["endpoints"][0]["id"]
    assert other.client.delete(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=other.headers).status_code == 404
    assert hooked.client.delete(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=hooked.headers).status_code == 200
    file_cn_notice(api, world)
    assert len(hooked.get("/webhooks/deliveries").get_json()["deliveries"]) == 2  # none for the removed endpoint


def test_the_page_registers_an_endpoint_and_keeps_a_refused_url(app, browser, platform, receiver):
    app.config["ODR"]["WEBHOOK_ALLOW_PRIVATE"] = False
    page = browser(platform)
    refused = page.post("/webhooks/endpoints", {"url": "file:///etc/passwd", "secret": ""}, form_page="/webhooks")
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Only http and https URLs can receive webhooks." in html and 'value="file:///etc/passwd"' in html
    done = page.post("/webhooks/endpoints", {"url": "https://hooks.example.com/odr"}, form_page="/webhooks")
    assert done.status_code == 302
    html = page.get("/webhooks").get_data(as_text=True)
    assert "https://hooks.example.com/odr" in html and "whsec_" in html  # the secret made for it, shown once
    assert services.endpoints(platform)[0].secret.startswith("whsec_")
