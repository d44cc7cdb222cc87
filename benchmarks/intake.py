"""Single notices through ``POST /api/v1/cases`` at 16 concurrent clients under gunicorn, next to a bare app.

    .venv/bin/python benchmarks/intake.py [--notices 400] [--clients 16] [--repetitions 5] [--database URL]

Three servers are started one after the other with the same gunicorn settings (2 web processes, gthread,
8 threads each, as ``odr serve --workers 2`` runs them) on the same database engine (a new SQLite file, WAL,
synchronous=NORMAL like the platform's; or the PostgreSQL database given with ``--database``, whose tables are
dropped and made again):
- the platform (``create_app``, rate limits off: one account files every notice): each request authenticates
  a bearer token, validates the notice, opens the case under its procedure with its deadlines and events, and
  commits once (201);
- the platform again, each request with ``Prefer: respond-async``: it authenticates, keeps the notice as sent,
  commits and answers 202 with its receipt (odr/cases/received.py). After each repetition the receipts are
  opened in this process by the queue's own code (``received.open_received``, one worker), and the opening
  rate is printed next to the acceptance rate: an acknowledged notice is not an opened case;
- the baseline, a bare Flask + SQLAlchemy app whose request parses the same JSON body and inserts one row
  holding it (reference, title, the body), commits, and answers 201 with the row's id.
16 client threads, each with its own kept-alive connection, post ``--notices`` notices in all per repetition;
notices per second, median [min-max] over the repetitions, and each platform mode's rate over the bare app's.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "benchmark-secret-key-long-enough-0123456789"


def platform_app():
    """The platform as ``odr serve`` serves it (warmed, its heap settled), with rate limits off (one account
    files every notice)."""
    from odr import create_app
    from odr.cli import settle_heap, warm_up

    app = create_app({"FLASK": {"RATELIMIT_ENABLED": False}})
    with app.app_context():
        warm_up()
    settle_heap()
    return app


def bare_app():
    """A bare Flask + SQLAlchemy app: one row per request, on the same database."""
    from flask import Flask, jsonify, request
    from flask_sqlalchemy import SQLAlchemy
    from sqlalchemy import JSON, Column, DateTime, Integer, String, event, func
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _pragmas(dbapi_connection, record):  # the platform's SQLite settings (odr/__init__.py)
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["ODR_DATABASE_URL"]
    db = SQLAlchemy(app)

    class BareNotice(db.Model):
        id = Column(Integer, primary_key=True)
        reference = Column(String(40))
        title = Column(String(300))
        body = Column(JSON)
        created_at = Column(DateTime, server_default=func.now())

    @app.post("/api/v1/cases")
    def file_notice():
        data = request.get_json()
        row = BareNotice(title=data["title"], body=data)
        db.session.add(row)
        db.session.flush()
        row.reference = f"BARE-{row.id}"
        db.session.commit()
        return jsonify({"id": row.id, "reference": row.reference}), 201

    with app.app_context():
        db.create_all()
    return app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(factory: str, env: dict, port: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", f"intake:{factory}()", "--chdir", str(ROOT / "benchmarks")]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "8"]
    command += ["--timeout", "60", "--log-level", "warning"]
    server = subprocess.Popen(command, env=env)
    for _ in range(600):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"{factory} did not start") from None
            time.sleep(0.1)
    raise SystemExit(f"{factory} did not answer")


def post_all(
    port: int, headers: dict, bodies: list[bytes], clients: int, expected: int = 201
) -> tuple[float, list[str]]:
    """Post every body with ``clients`` threads on kept-alive connections: seconds from first to last answer, and
    the answers that were not ``expected`` (counted, not hidden: a notice refused or lost under load is a finding)."""
    queue = list(reversed(bodies))
    lock = threading.Lock()
    failures: list[str] = []

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while True:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            connection.request("POST", "/api/v1/cases", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != expected:
                failures.append(f"{response.status} {answer[:300]!r}")
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, failures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--notices", type=int, default=400, help="notices per repetition")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--database", default="", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/intake.sqlite3"
        env = {
            **os.environ,
            "ODR_DATABASE_URL": url,
            "ODR_INSTANCE_PATH": f"{tmp}/instance",
            "ODR_SECRET_KEY": SECRET,
            "ODR_EVIDENCE_DIR": f"{tmp}/evidence",
            "ODR_EXPORT_DIR": f"{tmp}/exports",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        os.environ.update({k: v for k, v in env.items() if k.startswith("ODR_")})
        from odr import create_app
        from odr.accounts.models import Role
        from odr.extensions import db
        from tests.conftest import Api, make_account, notice_data

        app = create_app({"FLASK": {"TESTING": True, "RATELIMIT_ENABLED": False}})
        with app.app_context():
            if args.database:
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TABLE IF EXISTS bare_notice")
            db.create_all()
            holder = make_account(Role.RIGHT_HOLDER, "holder@bench.example")
            make_account(Role.SELLER, "seller@bench.example", country="CN", language="zh", tz="Asia/Shanghai")
            token = Api(app.test_client(), holder).headers["Authorization"]
            db.session.remove()
            db.engine.dispose()
        headers = {"Authorization": token, "Content-Type": "application/json"}

        serial = iter(range(10**9))

        def bodies() -> list[bytes]:
            out = []
            for _ in range(args.notices):
                n = next(serial)
                data = notice_data(
                    seller_email="seller@bench.example",
                    title=f"Counterfeit FLAMENCO bags {n}",
                    listings=[f"https://shop.example/item/{n}"],
                    language_confirmed=True,
                )
                out.append(json.dumps(data).encode())
            return out

        modes = {  # name: (server factory, extra headers, the answer expected)
            "platform": ("platform_app", {}, 201),
            "async": ("platform_app", {"Prefer": "respond-async"}, 202),
            "bare": ("bare_app", {}, 201),
        }
        rates: dict[str, list[float]] = {name: [] for name in modes}
        failed: dict[str, list[str]] = {name: [] for name in modes}
        opening: list[float] = []
        unopened: list[str] = []
        for name, (factory, extra, expected) in modes.items():
            if name == "bare":
                bare_app()  # its table, made once here: two web processes making it at once collide on PostgreSQL
            port = free_port()
            server = serve(factory, env, port)
            sent = {**headers, **extra}
            try:
                post_all(port, sent, bodies()[: args.clients * 2], args.clients, expected)  # both processes warm
                if name == "async":
                    open_received(app)  # the warm-up's notices, not counted
                for _ in range(args.repetitions):
                    batch = bodies()
                    seconds, failures = post_all(port, sent, batch, args.clients, expected)
                    failed[name] += failures
                    rates[name].append((len(batch) - len(failures)) / seconds)
                    print(
                        f"{name}: {rates[name][-1]:.1f} notices/s, {len(failures)} not answered {expected}", flush=True
                    )
                    if name == "async":
                        seconds, outcomes = open_received(app)
                        opening.append(outcomes.get("filed", 0) / seconds)
                        unopened += [f"{count} {status}" for status, count in outcomes.items() if status != "filed"]
                        print(f"async: opened {opening[-1]:.1f} notices/s in process, {outcomes}", flush=True)
            finally:
                server.terminate()
                server.wait(timeout=30)
        if args.database:
            with app.app_context():
                db.drop_all()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP TABLE IF EXISTS bare_notice")
                db.engine.dispose()

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"

    engine = url.split(":", 1)[0]
    bare = statistics.median(rates["bare"])
    print(f"\n{args.repetitions} repetitions x {args.notices} notices, {args.clients} clients, ", end="")
    print(f"gunicorn 2 x 8 threads, {engine}")
    print("| server | notices/s answered | x bare | requests not answered as expected |")
    print("|---|---|---|---|")
    labels = {
        "platform": "platform POST /api/v1/cases (case opened, 201)",
        "async": "platform POST /api/v1/cases, Prefer: respond-async (received, 202)",
        "bare": "bare Flask + SQLAlchemy, one row (201)",
    }
    for name, label in labels.items():
        first = f" (first: {failed[name][0][:120]})" if failed[name] else ""
        x = statistics.median(rates[name]) / bare
        print(f"| {label} | {spread(rates[name])} | {x:.2f}x | {len(failed[name])}{first} |")
    print(
        f"| the received notices opened afterwards (in process, one worker) | {spread(opening)} | "
        f"{statistics.median(opening) / bare:.2f}x | not opened: {', '.join(unopened) or 0} |"
    )
    return 0


def open_received(app) -> tuple[float, dict[str, int]]:
    """Open every queued receipt with the queue's code, as one worker would: seconds taken, and how the receipts
    of this run stand afterwards (filed, refused, queued), counted once and then forgotten."""
    from sqlalchemy import delete, func, select

    from odr.cases import received
    from odr.cases.models import ReceivedNotice
    from odr.extensions import db

    with app.app_context():
        started = time.perf_counter()
        while received.open_received():
            pass
        seconds = time.perf_counter() - started
        rows = db.session.execute(select(ReceivedNotice.status, func.count()).group_by(ReceivedNotice.status))
        outcomes = {status.value: count for status, count in rows}
        db.session.execute(delete(ReceivedNotice))  # the next repetition counts its own
        db.session.commit()
        db.engine.dispose()
    return seconds, outcomes


if __name__ == "__main__":
    sys.exit(main())
