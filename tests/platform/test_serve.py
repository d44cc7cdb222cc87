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
from pathlib import Path

import pytest

from tests.platform.test_reliability import _free_port


def _children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *_descendants(child)]
    return found


def _cmdline(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


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
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.05)
    raise AssertionError("the server did not answer")


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
        processes = _descendants(server.pid)
        workers = [pid for pid in processes if "odr.cli worker" in _cmdline(pid)]
        assert len(workers) == 1 and _alive(workers[0])
        assert len(processes) == (1 if dev else 3)  # the worker, and gunicorn's two web processes
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
