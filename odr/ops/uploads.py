"""Upload deadlines: a request body must keep arriving, and slow bodies cannot take every thread.

A web process has a fixed number of threads (gunicorn's gthread workers, `odr serve --threads`), and a thread
reading a request body is held for as long as the client takes to send it. Two rules, applied to every body
before the app sees it, keep a slow or stalled client from stalling the node:

- a deadline after Apache's mod_reqtimeout: ``UPLOAD_SECONDS`` to start with, one more second for every
  ``UPLOAD_MIN_RATE`` bytes received. A client dripping a few bytes a second is cut off with 408 (in its
  language) within about ``UPLOAD_SECONDS``; a real upload at any usable speed never meets it. Under gunicorn
  a watchdog shuts the socket's reading side at the deadline, so even a read blocked on a silent client
  ends; the answer still goes out, and the connection is closed after it.
- at most ``UPLOAD_SLOTS`` bodies are read at once per process (`odr serve` makes it half its threads):
  the other threads stay free for pages and reads. A body that finds no slot within ``UPLOAD_SLOT_WAIT``
  seconds gets 503 with Retry-After.

Request headers are not covered (the WSGI app only sees complete ones); an internet-facing deployment puts a
buffering proxy in front as well (docs/operations.md).
"""

from __future__ import annotations

import socket
import threading
import time
import weakref

from flask import Flask
from werkzeug.exceptions import RequestTimeout, ServiceUnavailable

from odr.extensions import gettext as _

CHUNK = 16 * 1024  # read in pieces, so the deadline follows what has arrived


class UploadTooSlow(RequestTimeout):
    def get_headers(self, environ=None, scope=None):
        # The rest of the body is never read: the connection cannot carry another request (gunicorn decides
        # this itself, having seen the reading side shut; other servers are told).
        return [*super().get_headers(environ, scope), ("Connection", "close")]

    def odr_error(self) -> tuple[str, str]:
        return "upload_too_slow", _(
            "The upload arrived too slowly and was stopped. Nothing was saved; please send it again on a "
            "faster connection."
        )


class UploadsBusy(ServiceUnavailable):
    def get_headers(self, environ=None, scope=None):
        return [*super().get_headers(environ, scope), ("Retry-After", "10"), ("Connection", "close")]

    def odr_error(self) -> tuple[str, str]:
        return "uploads_busy", _(
            "Too many uploads are arriving at once. Nothing was saved; please try again in a moment."
        )


class _Watchdog:
    """One thread per process that cuts off bodies past their deadline (under gunicorn)."""

    def __init__(self):
        self.bodies: weakref.WeakSet[_Body] = weakref.WeakSet()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def watch(self, body: _Body) -> None:
        with self.lock:
            self.bodies.add(body)
            if self.thread is None or not self.thread.is_alive():  # none yet, or this is a forked process
                self.thread = threading.Thread(target=self._run, name="upload-deadlines", daemon=True)
                self.thread.start()

    def forget(self, body: _Body) -> None:
        with self.lock:
            self.bodies.discard(body)

    def _run(self) -> None:
        while True:
            time.sleep(0.25)
            with self.lock:
                bodies = list(self.bodies)
            for body in bodies:
                if body.overdue():
                    body.cut()


_watchdog = _Watchdog()


class _Body:
    """``wsgi.input`` under the deadline and the per-process slots."""

    def __init__(self, stream, sock: socket.socket | None, limits: _Limits, length: int | None):
        self.stream, self.sock, self.limits, self.length = stream, sock, limits, length
        self.started: float | None = None
        self.received = 0
        self.holds_slot = False
        self.done = False
        self.was_cut = False

    def _begin(self) -> None:
        if self.started is not None:
            return
        if not self.limits.slots.acquire(timeout=self.limits.slot_wait):
            self.done = True
            raise UploadsBusy()
        self.holds_slot = True
        self.started = time.monotonic()
        if self.sock is not None:
            _watchdog.watch(self)

    def overdue(self) -> bool:
        if self.started is None or self.done:
            return False
        allowed = self.limits.seconds + self.received / self.limits.min_rate
        return time.monotonic() - self.started > allowed

    def cut(self) -> None:
        self.was_cut = True
        try:
            self.sock.shutdown(socket.SHUT_RD)  # type: ignore[union-attr]  # a blocked read returns at once
        except OSError:
            pass

    def finish(self) -> None:
        """The body is read (or never will be): give the slot back."""
        if not self.done:
            self.done = True
            if self.sock is not None:
                _watchdog.forget(self)
        if self.holds_slot:
            self.holds_slot = False
            self.limits.slots.release()

    def read(self, size: int | None = -1) -> bytes:
        if self.done:
            return self.stream.read(size) if self.started is not None and not self.was_cut else b""
        self._begin()
        wanted = CHUNK if size is None or size < 0 else min(size, CHUNK)
        if size is None or size < 0:  # everything: in pieces, each under the deadline
            return b"".join(iter(lambda: self.read(wanted), b""))
        try:
            data = self.stream.read(wanted)
        except Exception:
            if self.was_cut or self.overdue():
                self.finish()
                raise UploadTooSlow() from None
            raise
        self.received += len(data)
        if self.was_cut or self.overdue():
            self.finish()
            raise UploadTooSlow()
        if not data or (self.length is not None and self.received >= self.length):
            self.finish()  # all of it: the slot is free for the next body while this request goes on
        return data

    def readline(self, size: int | None = -1) -> bytes:
        line = bytearray()
        while not line.endswith(b"\n") and (size is None or size < 0 or len(line) < size):
            piece = self.read(1)
            if not piece:
                break
            line += piece
        return bytes(line)

    def __iter__(self):
        return iter(self.readline, b"")


class _Limits:
    def __init__(self, cfg: dict):
        self.seconds = float(cfg["UPLOAD_SECONDS"])
        self.min_rate = float(cfg["UPLOAD_MIN_RATE"])
        self.slot_wait = float(cfg["UPLOAD_SLOT_WAIT"])
        self.slots = threading.BoundedSemaphore(max(1, int(cfg["UPLOAD_SLOTS"])))


def _has_body(environ: dict) -> bool:
    length = environ.get("CONTENT_LENGTH") or ""
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or (length.isdigit() and int(length) > 0)


def init_app(app: Flask) -> None:
    limits = _Limits(app.config["ODR"])
    inner = app.wsgi_app

    def wsgi_app(environ, start_response):
        if not _has_body(environ):
            return inner(environ, start_response)
        length = environ.get("CONTENT_LENGTH") or ""
        body = _Body(
            environ["wsgi.input"], environ.get("gunicorn.socket"), limits, int(length) if length.isdigit() else None
        )
        environ["wsgi.input"] = body
        try:
            return inner(environ, start_response)
        finally:
            body.finish()

    app.wsgi_app = wsgi_app  # type: ignore[method-assign]
