"""Slow uploads cannot stall a node: a body that drips is cut off with a clear error, and while slow bodies
arrive the other threads keep serving (odr/ops/uploads.py)."""

from __future__ import annotations

import json
import os
import socket
import threading
import time

from flask.testing import EnvironBuilder
from werkzeug.test import run_wsgi_app

from odr import create_app
from odr.accounts.models import Role
from odr.extensions import db
from odr.testing.crash import Served, multipart, request
from tests.conftest import PASSWORD, make_account
from tests.platform.test_reliability import _free_port

DEADLINE = {"UPLOAD_SECONDS": 1, "UPLOAD_MIN_RATE": 1000}


class Drip:
    """A body that sends one byte every 0.2 s, for ever."""

    def __init__(self):
        self.sent = 0

    def read(self, size=-1):
        time.sleep(0.2)
        self.sent += 1
        return b"-"


def _sign_in(client, email) -> dict:
    response = client.post("/api/v1/tokens", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_an_upload_that_drips_is_cut_off_with_a_clear_error_in_the_senders_language(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'odr.sqlite3'}",
            "SECRET_KEY": "upload-deadline-secret-key-0123456789abcdef",
            **DEADLINE,
            "FLASK": {"TESTING": True},
        }
    )
    with app.app_context():
        db.create_all()
        make_account(Role.RIGHT_HOLDER, "holder@example.es")
        db.session.commit()
    client = app.test_client()
    drip = Drip()
    builder = EnvironBuilder(
        app,
        "/api/v1/cases",
        method="POST",
        content_type="multipart/form-data; boundary=x",
        headers={**_sign_in(client, "holder@example.es"), "Accept-Language": "de"},
    )
    environ = builder.get_environ()
    environ.update({"wsgi.input": drip, "CONTENT_LENGTH": "100000"})  # declares 100,000 bytes, drips them
    body, status, headers = run_wsgi_app(app, environ, buffered=True)
    assert status.startswith("408")
    assert headers["Connection"] == "close"
    error = json.loads(b"".join(body))["error"]
    assert error["code"] == "upload_too_slow"
    assert "zu langsam" in error["message"]  # German, the sender's language
    assert drip.sent < 100  # cut off after about a second, long before the declared 100,000 bytes
    with app.app_context():
        assert db.session.scalar(db.text("SELECT count(*) FROM cases")) == 0


def _drip_raw(port: int, headers: str, answers: list, stop: threading.Event) -> None:
    """Send headers, then one byte every 0.2 s until the server answers (or for 60 s)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(headers.encode())
        sock.settimeout(0.2)
        deadline = time.monotonic() + 60
        received = b""
        while time.monotonic() < deadline and not stop.is_set():
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if b"\r\n\r\n" in received and b"}" in received:
                    break
            except TimeoutError:
                try:
                    sock.sendall(b"-")
                except OSError:
                    break
        answers.append(received)


def test_slow_uploads_are_cut_off_while_the_node_serves_other_requests(tmp_path):
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'odr.sqlite3'}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "upload-deadline-secret-key-0123456789abcdef",
        "UPLOAD_SECONDS": "1",
        "UPLOAD_MIN_RATE": "1000",
        "UPLOAD_SLOTS": "1",
        "UPLOAD_SLOT_WAIT": "1",
    }
    app = create_app({**settings, "FLASK": {"TESTING": True}})
    with app.app_context():
        db.create_all()
        make_account(Role.RIGHT_HOLDER, "holder@example.es")
        db.session.commit()
    env = {**os.environ, **{f"ODR_{key}": value for key, value in settings.items()}}
    with open(tmp_path / "serve.log", "wb") as log:
        # One web process with two threads: without deadlines, two slow clients would hold it entirely.
        served = Served(env, _free_port(), log, workers=1, threads=2)
        try:
            served.start()
            status, _h, raw = request(
                served.port,
                "POST",
                "/api/v1/tokens",
                json.dumps({"email": "holder@example.es", "password": PASSWORD}).encode(),
                {"Content-Type": "application/json"},
            )
            token = json.loads(raw)["token"]
            headers = (
                "POST /api/v1/cases HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nAccept-Language: de\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n"
            )
            answers: list[bytes] = []
            stop = threading.Event()
            drippers = [
                threading.Thread(target=_drip_raw, args=(served.port, headers, answers, stop)) for _ in range(3)
            ]
            for dripper in drippers:
                dripper.start()
            time.sleep(0.5)
            # Meanwhile the node answers: a read, and a filing with evidence.
            assert request(served.port, "GET", "/healthz", timeout=30)[0] == 200
            body, content_type = multipart(
                {"data": json.dumps({"title": "x"})}, [("evidence", "proof.png", b"\x89PNG\r\n\x1a\n1234")]
            )
            filed = request(
                served.port,
                "POST",
                "/api/v1/cases",
                body,
                {"Authorization": f"Bearer {token}", "Content-Type": content_type},
                timeout=30,
            )
            assert filed[0] in (422, 503), filed  # read and judged (an incomplete notice), or a slot was busy
            for dripper in drippers:
                dripper.join(timeout=70)
            stop.set()
        finally:
            served.stop()
    statuses = sorted(int(answer.split(b" ", 2)[1]) for answer in answers if answer)
    assert len(statuses) == 3 and set(statuses) <= {408, 503}, answers
    assert 408 in statuses
    cut = next(answer for answer in answers if answer.startswith(b"HTTP/1.1 408"))
    error = json.loads(cut.split(b"\r\n\r\n", 1)[1])["error"]
    assert error["code"] == "upload_too_slow" and "zu langsam" in error["message"]
