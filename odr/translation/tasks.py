"""Background jobs on Huey: translate new filings now, and sweep what is due (retries, lost jobs)."""
from __future__ import annotations

from contextlib import nullcontext

from flask import has_app_context
from huey import crontab

from odr.tasks import app, huey


def _context():
    # Inline (huey.immediate, tests) the job runs in the caller's app; on a worker, in the worker's app.
    return nullcontext() if has_app_context() else app().app_context()


@huey.task()
def translate_task(ids: list[int]):
    from odr.translation.services import process_job
    with _context():
        retries = process_job(ids)
    for delay, translation_id in retries:
        translate_task.schedule(([translation_id],), delay=delay)


@huey.periodic_task(crontab(minute="*"))
def translation_sweep_task():
    from odr.translation.services import process_due, request_missing
    with _context():
        request_missing()
        return process_due()
