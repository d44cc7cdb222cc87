"""Operations: health and readiness probes, Prometheus metrics, request ids and JSON logs."""

from __future__ import annotations

import json
from datetime import timedelta

from odr import create_app
from odr.cases import services
from odr.extensions import db
from odr.models_base import utcnow
from odr.ops import logs
from tests.conftest import notice_data


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "queue": "ok", "store": "ok"}


def test_readyz_says_what_is_not_reachable(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'folder' / 'odr.sqlite3'}",
            "SECRET_KEY": "s" * 40,
        }
    )
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready" and body["checks"]["database"].startswith("error")
    assert app.test_client().get("/healthz").status_code == 200  # alive, though not ready


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name} in the metrics")


def test_metrics_count_requests_and_what_the_deployment_has_to_do(app, world, client):
    filed = utcnow() - timedelta(days=60)  # its answer period has run out, and no sweep has applied it
    services.file_notice(world.holder, notice_data(), at=filed)
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert _metric(text, "odr_deadlines_due") >= 1
    assert _metric(text, "odr_queue_depth") >= 0
    assert _metric(text, "odr_deliveries_failed") == 0
    assert _metric(text, "odr_translations_pending") >= 0
    assert _metric(text, "odr_notices_received_waiting") == 0
    assert _metric(text, "odr_notices_received_oldest_seconds") == 0
    assert 'odr_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}' in text
    assert "odr_http_request_seconds_bucket" in text


def test_metrics_are_private(app, client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 403
    app.config["ODR"]["METRICS_TOKEN"] = "scrape-token-0123456789"
    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
    assert ok.status_code == 200 and "odr_queue_depth" in ok.get_data(as_text=True)


def test_every_answer_carries_a_request_id_and_logs_a_json_line_with_it(app, client, capfd):
    logs.configure(json_lines=True)
    try:
        given = client.get("/healthz", headers={"X-Request-ID": "probe-42"})
        made = client.get("/healthz", headers={"X-Request-ID": "not a sane id"})
    finally:
        logs.configure(json_lines=False)
    assert given.headers["X-Request-ID"] == "probe-42"
    assert len(made.headers["X-Request-ID"]) == 32 and made.headers["X-Request-ID"] != "not a sane id"
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "probe-42"]
    assert mine and mine[0]["status"] == 200 and mine[0]["path"] == "/healthz" and mine[0]["level"] == "info"


def test_metrics_show_received_notices_waiting_to_be_opened_and_for_how_long(app, world, client, monkeypatch):
    from odr.cases import received
    from odr.cases.models import ReceivedNotice

    monkeypatch.setattr(received, "enqueue", lambda: None)  # no worker runs
    with client.application.test_request_context():
        received.receive_notice(world.holder, notice_data(), key=None, remote_addr="", locale="en")
    # Received an hour ago, and no worker has opened it since (a stopped worker, or a notice that keeps failing).
    ReceivedNotice.query.one().received_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    text = client.get("/metrics").get_data(as_text=True)
    assert _metric(text, "odr_notices_received_waiting") == 1
    assert 3600 <= _metric(text, "odr_notices_received_oldest_seconds") < 3700
    received.open_received()
    text = client.get("/metrics").get_data(as_text=True)
    assert _metric(text, "odr_notices_received_waiting") == 0
    assert _metric(text, "odr_notices_received_oldest_seconds") == 0
