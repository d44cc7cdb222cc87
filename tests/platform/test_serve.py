"""`odr serve` runs the web server and the queue worker together, and stops them together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.platform.test_reliability import _free_port


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_sigterm_stops_the_worker_with_the_server(tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "ODR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ODR_INSTANCE_PATH": str(tmp_path),
        "ODR_SECRET_KEY": "k" * 40,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "odr.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1).close()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        [worker] = _children(server.pid)
        assert _alive(worker)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)
        assert not _alive(worker)
    finally:
        if server.poll() is None:
            server.kill()
        if worker is not None and _alive(worker):  # never leave it behind, even when the test fails
            os.kill(worker, signal.SIGKILL)
