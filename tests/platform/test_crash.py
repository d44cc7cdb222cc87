"""Crashes lose nothing acknowledged and leave nothing behind.

`odr serve` (gunicorn with two web processes, and the queue worker) runs as the README's set-up does, on
PostgreSQL when the test run has one (ODR_TEST_POSTGRES_URL), else SQLite. Clients file notices with evidence
under idempotency keys and retry like a real client; the web processes and the worker are SIGKILLed at random
moments, more than twenty times, and started again. Afterwards every acknowledged filing is there once with
its files byte for byte, and after the orphan sweep no stored file lacks its row and no row its file.
"""

from __future__ import annotations

import base64
import os
import random
import threading
import time

import pytest
from sqlalchemy import func, select

from odr import create_app
from odr.accounts.models import Role
from odr.cases.models import Case, EvidenceFile
from odr.deposits.models import Deposit
from odr.evidence import storage
from odr.extensions import db
from odr.ops.orphans import sweep_stored_files
from odr.testing.crash import Filer, Served, drill, sha256
from tests.conftest import (
    NOTICE_ELEMENTS,
    PASSWORD,
    POSTGRES_URL,
    make_account,
    notice_data,
    postgres_schema_url,
)
from tests.platform.test_reliability import _free_port

CN_TRADEMARK_ELEMENT_FILES = [
    (NOTICE_ELEMENTS[name]["filename"], sha256(base64.b64decode(NOTICE_ELEMENTS[name]["content_base64"])))
    for name in ("right_certificate", "prima_facie_evidence_file")
]

ROUNDS = 22
SECRET = "crash-test-secret-key-0123456789-abcdefghij"


@pytest.fixture
def crash_database_url(request, tmp_path, worker_id):
    """PostgreSQL where the run has it (one pass, not one per engine: the drill is the slow part), else SQLite."""
    if POSTGRES_URL:
        return postgres_schema_url(request, worker_id, "crash")
    return f"sqlite:///{tmp_path / 'odr.sqlite3'}"


def _settings(tmp_path, database_url) -> dict:
    return {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": SECRET,
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "EXPORT_DIR": str(tmp_path / "exports"),
        # The drill files far faster than a person: the abuse limits would refuse it.
        "RATE_LIMITS": '{"filing": ["100000 per minute", "100000 per minute"], "token": ["1000 per minute", '
        '"1000 per minute"]}',
    }


def test_sigkills_during_filings_lose_no_acknowledged_filing_and_leave_no_orphan(tmp_path, crash_database_url):
    settings = _settings(tmp_path, crash_database_url)
    app = create_app({**settings, "FLASK": {"TESTING": True}})
    holders = [f"holder{n}@example.es" for n in range(3)]
    with app.app_context():
        db.create_all()
        for email in holders:
            make_account(Role.RIGHT_HOLDER, email)
        make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
        db.session.commit()
    env = {**os.environ, **{f"ODR_{key}": value for key, value in settings.items()}}
    seed = random.randrange(2**32)
    print(f"crash drill seed {seed}")
    rng = random.Random(seed)
    stop, give_up = threading.Event(), threading.Event()
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 (open for the whole drill)
    served = Served(env, _free_port(), log)
    filers = [
        Filer(served.port, email, PASSWORD, notice_data(), random.Random(rng.random()), stop, give_up)
        for email in holders
        for _ in range(2)
    ]
    threads = [threading.Thread(target=f.run) for f in filers]
    try:
        served.start()
        for thread in threads:
            thread.start()
        result = drill(served, filers, ROUNDS, rng, full_crash_every=12)
        stop.set()  # each client finishes the submission it is retrying, against the restarted server
        for thread in threads:
            thread.join(timeout=120)
    finally:
        give_up.set()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        served.stop()
        log.close()
    assert result.web_kills >= 20 and result.worker_kills >= 20, result

    done = [sub for f in filers for sub in f.done]
    assert not [sub for f in filers for sub in f.pending], "a submission was never acknowledged"
    assert not [r for f in filers for r in f.refused], [r for f in filers for r in f.refused][:3]
    retried = sum(sub.attempts > 1 for sub in done)
    print(
        f"{len(done)} filings acknowledged, {retried} after a retry, {result.web_kills} web and "
        f"{result.worker_kills} worker kills ({result.full_crashes} of every process) in {result.seconds:.0f} s"
    )
    with app.app_context():
        blobs = storage.blob_store()
        for sub in done:
            # Acknowledged once, found once: the retries with its key made no second case.
            cases = db.session.scalars(select(Case).where(Case.title == sub.title)).all()
            assert [c.id for c in cases] == [sub.case_id], sub.title
            evidence = db.session.scalars(select(EvidenceFile).where(EvidenceFile.case_id == sub.case_id)).all()
            # The uploads, and the files a Chinese trademark notice must carry (jurisdictions/CN.yaml).
            assert sorted((e.original_name, e.sha256) for e in evidence) == sorted(
                [(name, sha256(data)) for name, data in sub.files] + CN_TRADEMARK_ELEMENT_FILES
            )
            for item in evidence:
                with blobs.open("evidence", item.stored_name) as stored:
                    assert sha256(stored.read()) == item.sha256
        assert db.session.scalar(select(func.count()).select_from(Case)) == len(done)
        # Files stored by requests killed before their commit are swept (here at once: nothing is in flight).
        swept = sweep_stored_files(now=time.time() + app.config["ODR"]["ORPHAN_GRACE_MINUTES"] * 60 + 1)
        print(f"{swept} orphaned or staged file(s) swept")
        rows = set(db.session.scalars(select(EvidenceFile.stored_name))) | set(
            db.session.scalars(select(Deposit.stored_name))
        )
        assert set(blobs.names("evidence")) == rows
        assert not [p for p in blobs.staging_dir("evidence").iterdir() if p.name.startswith(".")]
        db.session.remove()
        if not crash_database_url.startswith("sqlite"):
            db.drop_all()
        db.engine.dispose()
