"""The queue (Huey: SQLite storage by default, Redis storage when ODR_REDIS_URL is set) and the one
registry of periodic jobs.

A domain declares a periodic job by decorating the service function that does the work with
``@periodic_job``; the worker (``odr.tasks``) runs every registered job each minute and
``odr sweep`` runs them all once, so the two can never list different jobs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, has_app_context
from huey import Huey, RedisHuey, SqliteHuey

from odr.config import instance_path


def _make_huey() -> Huey:
    redis_url = os.environ.get("ODR_REDIS_URL")
    if redis_url:
        return RedisHuey("odr", url=redis_url)
    path = os.environ.get("ODR_QUEUE_PATH") or str(Path(instance_path()) / "queue.sqlite3")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("odr", filename=path)


huey = _make_huey()

# The app a consumer process runs its jobs in: set by odr.tasks (the consumer's entry point).
_app: Flask | None = None
_app_factory: Callable[[], Flask] | None = None


def set_app_factory(factory: Callable[[], Flask]) -> None:
    global _app_factory
    _app_factory = factory


def use_app(app: Flask | None) -> None:
    """Run the jobs of this process in ``app`` (the consumer's app, or a test's)."""
    global _app
    _app = app


@contextmanager
def job_context() -> Iterator[None]:
    """Inline (huey.immediate, tests, the CLI) a job runs in the caller's app; on a worker, in the worker's."""
    global _app
    if has_app_context():
        yield
        return
    if _app is None:
        if _app_factory is None:
            raise RuntimeError("no app for queue jobs: import odr.tasks (the consumer's entry point) first")
        _app = _app_factory()
    with _app.app_context():
        yield


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    run: Callable[[], int]
    description: str
    minute: str = "*"  # crontab's minute field: "*" every minute, "17" once an hour


PERIODIC_JOBS: dict[str, PeriodicJob] = {}


def periodic_job(name: str, description: str, minute: str = "*") -> Callable[[Callable[[], int]], Callable[[], int]]:
    """Register a service function (returning how much it did) to run on the worker every minute, or at
    the minutes given (crontab's minute field)."""

    def register(run: Callable[[], int]) -> Callable[[], int]:
        PERIODIC_JOBS[name] = PeriodicJob(name, run, description, minute)
        return run

    return register


def run_periodic_jobs() -> dict[str, int]:
    """Run every registered periodic job once, in the current app context (``odr sweep``)."""
    return {job.name: job.run() for job in PERIODIC_JOBS.values()}
