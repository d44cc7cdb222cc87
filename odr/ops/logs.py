"""Structured logs: one JSON object a line (``ODR_LOG_JSON=1``) or text, from the web processes and the worker,
each web line with the request's id (the caller's ``X-Request-ID`` when it is a sane one, else a new one; sent
back in the answer)."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid

from flask import Flask, g, has_request_context, request

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else getattr(record, "request_id", "-")
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "process": record.process,
        }
        for key in ("method", "path", "status", "duration_ms", "endpoint"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


def configure(json_lines: bool | None = None, level: int = logging.INFO) -> None:
    """One handler on the root logger (stderr), JSON or text; every record carries a request id."""
    if json_lines is None:
        json_lines = os.environ.get("ODR_LOG_JSON", "").strip().lower() in {"1", "true", "yes", "on"}
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "odr", False)]:
        root.removeHandler(old)
    handler.odr = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


log = logging.getLogger("odr.requests")


def init_app(app: Flask) -> None:
    if app.config["ODR"].get("LOG_JSON"):
        configure(True)

    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        g.odr_log_started = time.perf_counter()

    @app.after_request
    def _log(response):
        request_id = g.get("request_id")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        started = g.get("odr_log_started")
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "endpoint": request.url_rule.endpoint if request.url_rule is not None else None,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            },
        )
        return response
