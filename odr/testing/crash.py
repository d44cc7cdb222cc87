"""A crash drill against a live `odr serve`: clients file notices with evidence under idempotency keys and
retry as a real client does, while the web processes and the queue worker are SIGKILLed at random moments.

Used by tests/platform/test_crash.py and by tools/adversarial.py; it speaks HTTP only, so what it proves is
what a client sees. Linux only (it finds the server's processes in /proc).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

PNG_HEAD = b"\x89PNG\r\n\x1a\n"


def request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None, timeout: float = 15
) -> tuple[int, dict, bytes]:
    """One HTTP request to 127.0.0.1:port; (status, headers, body). Connection errors are raised."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body of ``fields`` and ``files`` (field name, file name, bytes)."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# -- the server's processes ---------------------------------------------------------------------------


# A process that ends while its /proc entry is read: gone before the open (FileNotFoundError) or during the read
# (ProcessLookupError, ESRCH), which the crash drill met when a worker it had just killed was being reaped.
GONE = (FileNotFoundError, ProcessLookupError)


def _children(pid: int) -> list[int]:
    """The children of every thread of ``pid``."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except GONE:
            continue
    return found


def descendants(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        found += [child, *descendants(child)]
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except GONE:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except GONE:
        return False
    return state != "Z"


class Served:
    """`odr serve` (gunicorn's master and web processes, and the queue worker) on 127.0.0.1:port."""

    def __init__(self, env: dict, port: int, log: IO[bytes], workers: int = 2, threads: int = 4):
        self.env, self.port, self.log = env, port, log
        self.args = ["--workers", str(workers), "--threads", str(threads)]
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "odr.cli", "serve", "--port", str(self.port), *self.args],
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"odr serve exited with {self.process.returncode}")
            try:
                if request(self.port, "GET", "/healthz", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("odr serve did not answer")

    def _tree(self) -> list[int]:
        return descendants(self.process.pid) if self.process else []

    def web_processes(self) -> list[int]:
        return [pid for pid in self._tree() if "odr.cli serve " in cmdline(pid) and alive(pid)]

    def queue_worker(self) -> int | None:
        found = [
            pid
            for pid in self._tree()
            if "odr.cli worker" in cmdline(pid) and "supervise" not in cmdline(pid) and alive(pid)
        ]
        return found[0] if found else None

    def kill_all(self) -> None:
        """SIGKILL every process at once, as a machine or container crash would."""
        assert self.process is not None
        pids = [self.process.pid, *self._tree()]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for pid in pids:  # the children are not ours to reap: wait until each is gone
            while alive(pid):
                time.sleep(0.01)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        tree = self._tree()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for pid in tree:  # never leave one behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


# -- clients ------------------------------------------------------------------------------------------


@dataclass
class Submission:
    key: str
    title: str
    files: list[tuple[str, bytes]]
    case_id: int | None = None
    attempts: int = 0


@dataclass
class Filer:
    """Files notices with evidence as one account: each under its own Idempotency-Key, sent again with the
    same key and body after a lost connection or a 5xx until it is acknowledged (or ``give_up`` is set)."""

    port: int
    email: str
    password: str
    notice: dict
    rng: random.Random
    stop: threading.Event
    give_up: threading.Event
    done: list[Submission] = field(default_factory=list)
    pending: list[Submission] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    refused: list[tuple[int, bytes]] = field(default_factory=list)
    token: str = ""

    def _send(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, dict] | None:
        try:
            status, _headers, raw = request(self.port, method, path, body, headers)
        except (OSError, http.client.HTTPException):
            self.statuses["connection lost"] += 1
            return None
        self.statuses[status] += 1
        if status >= 500:
            self.refused.append((status, raw[:500]))
            return None
        return status, (json.loads(raw) if raw else {})

    def _until_answered(self, method: str, path: str, body: bytes, headers: dict) -> tuple[int, dict] | None:
        while not self.give_up.is_set():
            answer = self._send(method, path, body, headers)
            if answer is not None:
                return answer
            time.sleep(self.rng.uniform(0.05, 0.3))
        return None

    def sign_in(self) -> None:
        body = json.dumps({"email": self.email, "password": self.password}).encode()
        answer = self._until_answered("POST", "/api/v1/tokens", body, {"Content-Type": "application/json"})
        assert answer is not None and answer[0] == 201, answer
        self.token = answer[1]["token"]

    def file_one(self, n: int) -> None:
        title = f"{self.email} notice {n} {uuid.uuid4().hex[:8]}"
        files = [
            (f"proof-{k}.png", PNG_HEAD + self.rng.randbytes(self.rng.randint(1, 48 * 1024)))
            for k in range(self.rng.randint(1, 2))
        ]
        sub = Submission(key=uuid.uuid4().hex, title=title, files=files)
        self.pending.append(sub)
        body, content_type = multipart(
            {"data": json.dumps({**self.notice, "title": title})}, [("evidence", name, data) for name, data in files]
        )
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": sub.key, "Content-Type": content_type}
        while not self.give_up.is_set():
            sub.attempts += 1
            answer = self._send("POST", "/api/v1/cases", body, headers)
            if answer is None:
                time.sleep(self.rng.uniform(0.05, 0.3))
                continue
            status, payload = answer
            if status in (200, 201):
                sub.case_id = payload["id"]
                self.pending.remove(sub)
                self.done.append(sub)
            else:
                self.refused.append((status, json.dumps(payload).encode()[:500]))
                self.pending.remove(sub)
            return

    def run(self) -> None:
        self.sign_in()
        n = 0
        while not self.stop.is_set():
            n += 1
            self.file_one(n)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class DrillResult:
    web_kills: int = 0
    worker_kills: int = 0
    full_crashes: int = 0
    seconds: float = 0.0


def drill(
    served: Served,
    filers: list[Filer],
    rounds: int,
    rng: random.Random,
    full_crash_every: int = 10,
    progress_timeout: float = 60,
) -> DrillResult:
    """Kill the server's processes ``rounds`` times while ``filers`` file: each round waits for a new
    acknowledgement (so every kill lands during filings), then after a random pause SIGKILLs one web process
    and the queue worker (gunicorn and `odr serve` start them again); every ``full_crash_every``-th round
    kills every process at once and starts `odr serve` again."""
    result = DrillResult()
    started = time.monotonic()
    last_worker = None
    for number in range(1, rounds + 1):
        acknowledged = sum(len(f.done) for f in filers)
        deadline = time.monotonic() + progress_timeout
        while sum(len(f.done) for f in filers) == acknowledged:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no filing acknowledged for {progress_timeout} s in round {number}")
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.6))
        if full_crash_every and number % full_crash_every == 0:
            served.kill_all()
            result.full_crashes += 1
            result.web_kills += 1
            result.worker_kills += 1
            served.start()
            continue
        web = served.web_processes()
        if web:
            os.kill(rng.choice(web), signal.SIGKILL)
            result.web_kills += 1
        deadline = time.monotonic() + 30
        worker = served.queue_worker()
        while (worker is None or worker == last_worker) and time.monotonic() < deadline:
            time.sleep(0.05)
            worker = served.queue_worker()
        if worker is not None and worker != last_worker:
            os.kill(worker, signal.SIGKILL)
            last_worker = worker
            result.worker_kills += 1
    result.seconds = time.monotonic() - started
    return result
