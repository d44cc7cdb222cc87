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
        except OSError:  # refused, reset, or no answer yet from a process still starting
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
        # The worker and its supervisor, and gunicorn's two web processes (the second may still be forking
        # when the first answers, on a loaded machine).
        expected = 2 if dev else 4
        deadline = time.monotonic() + 30
        while len(processes := _descendants(server.pid)) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
        supervisors = [pid for pid in processes if "odr.ops.supervise" in _cmdline(pid)]
        assert len(supervisors) == 1
        assert len(processes) == expected
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


def _metric(text: str, name: str, **labels) -> float:
    total = 0.0
    for line in text.splitlines():
        series, _sep, value = line.rpartition(" ")
        if series.split("{")[0] == name and all(f'{k}="{v}"' in series for k, v in labels.items()):
            total += float(value)
    return total


def test_metrics_add_up_every_web_process(tmp_path):
    """Two gunicorn web processes: whichever answers /metrics counts the requests both of them answered."""
    from odr import create_app
    from odr.extensions import db

    env = _env(tmp_path)
    app = create_app({"DATABASE_URL": env["ODR_DATABASE_URL"], "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 40})
    with app.app_context():
        db.create_all()  # the deployment's gauges read the database
        db.engine.dispose()
    port = _free_port()
    stale = tmp_path / "metrics"
    stale.mkdir()
    (stale / "counter_1.db").write_bytes(b"left from an earlier run")
    server = _serve(env, port, "--workers", "2", "--threads", "2")
    processes: list[int] = []
    try:
        _wait(port).close()
        deadline = time.monotonic() + 30  # the second web process may still be forking when the first answers
        while True:
            processes = _descendants(server.pid)
            web = {pid for pid in processes if "odr.cli worker" not in _cmdline(pid)}
            if len(web) >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert len(web) == 2
        answered = 0

        def health():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                assert response.status == 200

        # Requests at once on separate connections until both web processes have answered some.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(8) as pool:
            for _round in range(50):
                list(pool.map(lambda _n: health(), range(16)))
                answered += 16
                counted_by = {int(f.stem.rsplit("_", 1)[1]) for f in stale.glob("counter_*.db")}
                if web <= counted_by:
                    break
        assert web <= counted_by, f"only {counted_by} of {web} answered"
        assert not (stale / "counter_1.db").exists()  # the folder was emptied at start
        # Every scrape, whichever process answers it, reports all of them (none was answered in between).
        for _scrape in range(6):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
                text = response.read().decode()
            assert _metric(text, "odr_http_requests_total", endpoint="ops.healthz", status="200") == answered
            assert _metric(text, "odr_http_request_seconds_count", endpoint="ops.healthz") == answered
            assert _metric(text, "odr_http_requests_in_progress") == 1  # this scrape
            assert "odr_deadlines_due 0.0" in text  # the deployment's gauges still read at the scrape
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
        for pid in processes:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


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
