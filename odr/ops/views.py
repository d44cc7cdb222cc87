"""/healthz (the process answers), /readyz (it can serve: database, queue and store reachable) and /metrics
(Prometheus text; with ODR_METRICS_TOKEN set it asks for that bearer token, without it only loopback reads it)."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from odr.evidence.storage import blob_store
from odr.extensions import db
from odr.ops.metrics import scrape_registry

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


def _checks() -> dict[str, str]:
    from odr.queue import huey

    results: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        results["database"] = "ok"
    except Exception as exc:  # a probe reports, it never raises
        db.session.rollback()
        results["database"] = f"error: {type(exc).__name__}"
    try:
        huey.pending_count()
        results["queue"] = "ok"
    except Exception as exc:
        results["queue"] = f"error: {type(exc).__name__}"
    try:
        blob_store().exists("evidence", "readinessprobe")
        results["store"] = "ok"
    except Exception as exc:
        results["store"] = f"error: {type(exc).__name__}"
    return results


@bp.get("/readyz")
def readyz():
    checks = _checks()
    ready = all(value == "ok" for value in checks.values())
    return jsonify({"status": "ready" if ready else "not ready", "checks": checks}), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    token = current_app.config["ODR"].get("METRICS_TOKEN")
    if token:
        scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip(), token):
            return Response("metrics need the bearer token ODR_METRICS_TOKEN\n", 401, mimetype="text/plain")
    elif request.remote_addr not in {"127.0.0.1", "::1"}:
        return Response("metrics are read from this machine, or with ODR_METRICS_TOKEN\n", 403, mimetype="text/plain")
    return Response(generate_latest(scrape_registry()), mimetype=CONTENT_TYPE_LATEST)
