"""Prometheus metrics: requests, latencies and requests in progress counted by the web processes; queue depth,
deadlines due, deliveries failed and translations pending read from the queue and the database at each scrape (so
they are the deployment's, whichever node answers).

Under gunicorn with several web processes each process keeps its counts in files of ``PROMETHEUS_MULTIPROC_DIR``
(prometheus_client's multiprocess mode, which `odr serve` sets up before any process starts), and whichever
process answers /metrics adds up every process's files: the node's counts, not one process's share."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess
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
# Summed over the processes alive now: a process that died mid-request no longer counts as busy.
IN_PROGRESS = Gauge(
    "odr_http_requests_in_progress", "HTTP requests being answered", registry=REGISTRY, multiprocess_mode="livesum"
)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class DeploymentCollector(Collector):
    """What the deployment has to do, read at each scrape."""

    def describe(self) -> list:
        return []  # nothing read at registration: the families come from the database at each scrape

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from odr.cases.models import ReceiptStatus, ReceivedNotice
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
        # Notices accepted with respond-async and not opened yet: a receipt that fails keeps being retried, so an
        # age that grows is what says a notice is stuck (or that no worker runs).
        waiting = db.session.execute(
            select(func.count(), func.min(ReceivedNotice.received_at)).where(
                ReceivedNotice.status == ReceiptStatus.QUEUED
            )
        ).one()
        yield _gauge(
            "odr_notices_received_waiting", "Notices received (respond-async) whose case is not opened yet", waiting[0]
        )
        oldest = 0 if waiting[1] is None else max(0, int((now - waiting[1]).total_seconds()))
        yield _gauge(
            "odr_notices_received_oldest_seconds",
            "Age of the oldest received notice whose case is not opened yet",
            oldest,
        )


def _gauge(name: str, documentation: str, value: int) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


DEPLOYMENT = DeploymentCollector()
REGISTRY.register(DEPLOYMENT)


def scrape_registry() -> CollectorRegistry:
    """What /metrics shows: in multiprocess mode every process's counts added up, else this process's."""
    if not os.environ.get(MULTIPROCESS_DIR):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(DEPLOYMENT)
    return registry


def fresh_multiprocess_dir(path: Path) -> Path:
    """An empty folder for the processes' metric files: counts of an earlier run would otherwise be added in."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, mode=0o700)
    return path


def process_ended(pid: int) -> None:
    """A web process ended: its share of the live gauges goes (its counters stay in the sums)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(pid)


def init_app(app: Flask) -> None:
    @app.before_request
    def _start_clock():
        g.odr_started = time.perf_counter()
        g.odr_in_progress = True
        IN_PROGRESS.inc()

    @app.teardown_request
    def _done(_exc):
        if g.pop("odr_in_progress", False):
            IN_PROGRESS.dec()

    @app.after_request
    def _count(response):
        started = g.pop("odr_started", None)
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(request.method, endpoint).observe(time.perf_counter() - started)
        return response
