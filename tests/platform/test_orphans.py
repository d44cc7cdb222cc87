"""A stored file whose submission never committed (its process was killed in between) is removed by the hourly
sweep once it is older than the grace period; files rows name, and young ones, stay."""

from __future__ import annotations

import io
import os
import time

from odr.evidence import storage
from odr.ops.orphans import sweep_stored_files
from odr.queue import PERIODIC_JOBS
from tests.conftest import notice_data

PNG = b"\x89PNG\r\n\x1a\n" + b"evidence"


def _age(path, hours: float) -> None:
    then = time.time() - hours * 3600
    os.utime(path, (then, then))


def test_orphans_older_than_the_grace_period_are_swept_and_nothing_owned_or_young_is(app, world, api):
    filed = api(world.holder).upload("/cases", notice_data(), [("proof.png", PNG)])
    assert filed.status_code == 201
    store = storage.blob_store()
    owned = set(store.names("evidence"))  # the evidence and the files the Chinese notice's elements require
    # What a web process killed between storing the files and committing the notice leaves behind:
    orphan = storage.store(io.BytesIO(b"orphaned bytes"), "lost.png", "evidence", 1 << 20).stored_name
    young = storage.store(io.BytesIO(b"still committing"), "new.png", "evidence", 1 << 20).stored_name
    staged = store.staging_dir("evidence") / ".upload-killed"
    staged.write_bytes(b"half an upload")
    for name in (*owned, orphan):
        _age(store.path("evidence", name), 2)
    _age(staged, 2)

    assert sweep_stored_files() == 2  # the orphan and the half-written upload
    assert set(store.names("evidence")) == owned | {young}
    assert not staged.exists()
    # Once the young one is past the grace period too, it goes as well; the owned file never does.
    assert sweep_stored_files(now=time.time() + 3601) == 1
    assert set(store.names("evidence")) == owned


def test_the_sweep_runs_hourly_on_the_worker():
    job = PERIODIC_JOBS["stored_file_sweep"]
    assert job.minute == "17" and job.run is sweep_stored_files
