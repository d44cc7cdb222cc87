"""`odr serve` runs gunicorn (Flask's development server only with --dev) and the queue worker together, and
SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from odr.testing.crash import alive as _alive
from odr.testing.crash import cmdline as _cmdline
from odr.testing.crash import descendants as _descendants
from tests.platform.test_reliability import _free_port


def _env(tmp_path, **extra):
    return {
        **os.environ,
        "ODR_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ODR_INSTANCE_PATH": str(tmp_path),
        "ODR_SECRET_KEY": "k" * 40,
        **extra,
    }


def _serve(env, port, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "odr.cli", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(port: int):
    for _ in range(600):
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=1)
        except OSError:  # refused, reset or timed out (URLError is one too): not up yet
            time.sleep(0.05)
    raise AssertionError("the server did not answer")


def _queue_worker(server) -> int | None:
    found = [
        pid
        for pid in _descendants(server.pid)
        if _cmdline(pid).endswith("odr.cli worker ") and "supervise" not in _cmdline(pid) and _alive(pid)
    ]
    return found[0] if found else None


def _wait_for_worker(server, other_than: int | None = None) -> int:
    for _ in range(1200):
        pid = _queue_worker(server)
        if pid is not None and pid != other_than:
            return pid
        time.sleep(0.05)
    raise AssertionError("no queue worker is running")


@pytest.mark.parametrize("dev", [False, True], ids=["gunicorn", "dev"])
def test_sigterm_stops_the_worker_with_the_server(tmp_path, dev):
    port = _free_port()
    server = _serve(_env(tmp_path), port, *(["--dev"] if dev else ["--workers", "2"]))
    processes: list[int] = []
    try:
        with _wait(port) as response:
            software = response.headers.get("Server", "")
        # Production by default; the development server only when asked for.
        assert software.startswith("Werkzeug") if dev else software.startswith("gunicorn"), software
        _wait_for_worker(server)
        processes = _descendants(server.pid)
        supervisors = [pid for pid in processes if "odr.ops.supervise" in _cmdline(pid)]
        assert len(supervisors) == 1
        # The worker and its supervisor, and gunicorn's two web processes.
        assert len(processes) == (2 if dev else 4)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert not [pid for pid in processes if _alive(pid)]
    finally:
        if server.poll() is None:
            server.kill()
        for pid in processes:  # never leave one behind, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_several_web_processes_need_a_secret_key(tmp_path):
    env = _env(tmp_path)
    del env["ODR_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "-m", "odr.cli", "serve", "--workers", "2", "--port", str(_free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "ODR_SECRET_KEY" in result.stderr


def test_a_killed_queue_worker_is_started_again(tmp_path):
    port = _free_port()
    server = _serve(_env(tmp_path), port, "--dev")
    processes: list[int] = []
    try:
        _wait(port).close()
        first = _wait_for_worker(server)
        os.kill(first, signal.SIGKILL)  # as an out-of-memory kill would
        _wait_for_worker(server, other_than=first)
        processes = _descendants(server.pid)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        assert not [pid for pid in processes if _alive(pid)]
    finally:
        if server.poll() is None:
            server.kill()
        for pid in processes or _descendants(server.pid):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
