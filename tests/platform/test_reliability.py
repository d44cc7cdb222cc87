"""Reliability: acknowledged filings survive kill -9; two workers never apply one deadline twice."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest

from odr.cases import services
from odr.cases.models import Case, Event
from odr.extensions import db
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import sweep_deadlines
from tests.conftest import notice_data

pytestmark = pytest.mark.postgres

SERVER = """
import sys
from werkzeug.serving import run_simple
from odr import create_app
from odr.extensions import db
app = create_app()
with app.app_context():
    db.create_all()
run_simple("127.0.0.1", int(sys.argv[1]), app, threaded=True)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    for _ in range(1200):  # up to a minute: a busy machine starts a Python process slowly
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).close()
            return server
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    server.kill()
    server.wait()
    raise RuntimeError("the server did not start")


def _post(port: int, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1{path}",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_no_acknowledged_notice_is_lost_when_the_server_is_killed(app, world, database_url, tmp_path):
    env = {
        **os.environ,
        "ODR_DATABASE_URL": database_url,
        "ODR_INSTANCE_PATH": str(tmp_path / "killed"),
        "ODR_SECRET_KEY": "k" * 40,
        "ODR_EVIDENCE_DIR": str(tmp_path / "ev"),
    }
    port = _free_port()
    server = _start(env, port)
    token = _post(port, "/tokens", {"email": world.holder.email, "password": "correct-horse-battery"})[1]["token"]
    acknowledged: list[int] = []
    stop = threading.Event()

    def file_notices():
        n = 0
        while not stop.is_set():
            n += 1
            try:
                status, body = _post(port, "/cases", notice_data(title=f"notice {n}"), token)
            except (urllib.error.URLError, ConnectionError, OSError):
                return  # the server is gone: this one was never acknowledged
            if status == 201:
                acknowledged.append(body["id"])

    sender = threading.Thread(target=file_notices)
    sender.start()
    while len(acknowledged) < 5:
        time.sleep(0.02)
    server.send_signal(signal.SIGKILL)  # mid-stream, no shutdown of any kind
    server.wait()
    stop.set()
    sender.join()

    db.session.expire_all()
    stored = set(db.session.scalars(db.select(Case.id)))
    assert set(acknowledged) <= stored
    for case_id in acknowledged:  # each acknowledged notice is whole: its filing, its events, its deadline
        case = db.session.get(Case, case_id)
        assert case.filings and case.events
        assert db.session.scalar(db.select(db.func.count()).select_from(Deadline).where(Deadline.case_id == case_id))


def test_two_workers_sweeping_at_once_apply_each_deadline_once(app, world):
    filed = datetime(2026, 3, 2, 10, 30, tzinfo=timezone.utc)
    cases = [services.file_notice(world.holder, notice_data(title=f"case {n}"), at=filed).obj.id for n in range(12)]
    due = db.session.scalar(
        db.select(db.func.count()).select_from(Deadline).where(Deadline.status == DeadlineStatus.PENDING)
    )
    later = filed + timedelta(days=60)
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker():
        try:
            with app.app_context():
                start.wait()
                results.append(sweep_deadlines(later))
                db.session.remove()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    expired = db.session.scalars(db.select(Event).where(Event.kind == "deadline_expired")).all()
    claimed = [(e.case_id, e.payload["timer"]) for e in expired]
    assert len(claimed) == len(set(claimed)), "a deadline was applied twice"
    assert sum(results) == len(expired) >= due
    assert {c for c, _t in claimed} == set(cases)
