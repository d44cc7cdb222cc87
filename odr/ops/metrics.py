"""Prometheus metrics: requests and latencies counted per web process; queue depth, deadlines due, deliveries
failed and translations pending read from the queue and the database at each scrape (so they are the
deployment's, whichever node answers)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from odr.extensions import db
from odr.models_base import utcnow

REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("odr_http_requests", "HTTP requests answered", ["method", "endpoint", "status"], registry=REGISTRY)
LATENCY = Histogram(
    "odr_http_request_seconds",
    "Time to answer an HTTP request",
    ["method", "endpoint"],
    registry=REGISTRY,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


class DeploymentCollector(Collector):
    """What the deployment has to do, read at each scrape."""

    def describe(self) -> list:
        return []  # nothing read at registration: the families come from the database at each scrape

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from odr.notifications.models import Delivery, Notification
        from odr.procedure.models import Deadline, DeadlineStatus
        from odr.queue import huey
        from odr.translation.models import Translation, TranslationStatus

        now = utcnow()
        count = lambda query: int(db.session.scalar(query) or 0)  # noqa: E731
        yield _gauge("odr_queue_depth", "Jobs waiting in the queue", int(huey.pending_count()))
        yield _gauge(
            "odr_deadlines_due",
            "Deadlines whose period has run out and that the sweep has not applied yet",
            count(
                select(func.count())
                .select_from(Deadline)
                .where(Deadline.status == DeadlineStatus.PENDING, Deadline.due_at <= now)
            ),
        )
        yield _gauge(
            "odr_deliveries_failed",
            "Deliveries and e-mails the mail server refused for good",
            count(select(func.count()).select_from(Delivery).where(Delivery.failed_at.is_not(None)))
            + count(select(func.count()).select_from(Notification).where(Notification.failed_at.is_not(None))),
        )
        yield _gauge(
            "odr_translations_pending",
            "Machine translations waiting to be made",
            count(select(func.count()).select_from(Translation).where(Translation.status == TranslationStatus.PENDING)),
        )


def _gauge(name: str, documentation: str, value: int) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


REGISTRY.register(DeploymentCollector())


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.odr_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.pop("odr_started", None)
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
        return response
