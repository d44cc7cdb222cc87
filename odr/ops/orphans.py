"""Stored files that no row names, removed once they are old enough.

A file is stored before the transaction that records it commits (its digest is computed while it is
written, and the row carries it), so a process killed between the two, or a node that loses its database
connection there, leaves a file nobody can reach: an orphan. Writing first and committing second is the
order that never gives a row without its file; this sweep takes away what the other order's failures leave.
A file younger than ``ORPHAN_GRACE_MINUTES`` is never touched: its request may still be committing (the
grace is far longer than gunicorn's worker timeout, which bounds every request).
"""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import select

from odr.cases.models import EvidenceFile, PendingUpload, RightsDocument
from odr.deposits.models import Deposit
from odr.evidence import storage
from odr.export.models import CaseExport
from odr.extensions import db
from odr.queue import periodic_job

# The columns naming each area's files. Agreement PDFs are a cache named by their text's digest: no row
# owns them, and one left behind is the same PDF the next request would render.
OWNERS = {
    "evidence": (EvidenceFile.stored_name, Deposit.stored_name, PendingUpload.stored_name, RightsDocument.stored_name),
    "exports": (CaseExport.stored_name,),
}
BATCH = 500


def _unowned(area: str, names: list[str]) -> set[str]:
    owned: set[str] = set()
    for column in OWNERS[area]:
        owned.update(db.session.scalars(select(column).where(column.in_(names))))
    return set(names) - owned


@periodic_job(
    "stored_file_sweep",
    "stored files no row names and files left in staging, older than the grace period",
    minute="17",
)
def sweep_stored_files(now: float | None = None) -> int:
    """Remove orphaned stored files and staging leftovers written before ``now`` minus the grace period;
    how many were removed. Each removal is logged (an orphan means a submission died before it committed)."""
    before = (time.time() if now is None else now) - current_app.config["ODR"]["ORPHAN_GRACE_MINUTES"] * 60
    blobs = storage.blob_store()
    removed = 0
    for area in storage.AREAS:
        removed += blobs.remove_staged(area, before)
        if area not in OWNERS:
            continue
        old = [name for name, written in blobs.written(area) if written < before]
        for start in range(0, len(old), BATCH):
            for name in sorted(_unowned(area, old[start : start + BATCH])):
                current_app.logger.warning("removing orphaned stored file %s/%s", area, name)
                blobs.delete(area, name)
                removed += 1
    db.session.rollback()  # read only: end the transaction the queries opened
    return removed
