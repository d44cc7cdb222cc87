"""Single notices through ``POST /api/v1/cases`` at 16 concurrent clients under gunicorn, next to a bare app.

    .venv/bin/python benchmarks/intake.py [--notices 400] [--clients 16] [--repetitions 5] [--database URL]

Two servers are started one after the other with the same gunicorn settings (2 web processes, gthread,
8 threads each, as ``odr serve --workers 2`` runs them) on the same database engine (a new SQLite file, WAL,
synchronous=NORMAL like the platform's; or the PostgreSQL database given with ``--database``, whose tables are
dropped and made again):
- the platform (``create_app``, rate limits off: one account files every notice): each request authenticates
  a bearer token, validates the notice, opens the case under its procedure with its deadlines and events, and
  commits once;
- the baseline, a bare Flask + SQLAlchemy app whose request parses the same JSON body and inserts one row
  holding it (reference, title, the body), commits, and answers 201 with the row's id.
16 client threads, each with its own kept-alive connection, post ``--notices`` notices in all per repetition;
notices per second, median [min-max] over the repetitions, and the platform's rate over the bare app's.
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


def post_all(port: int, headers: dict, bodies: list[bytes], clients: int) -> tuple[float, list[str]]:
    """Post every body with ``clients`` threads on kept-alive connections: seconds from first to last answer, and
    the answers that were not 201 (counted, not hidden: a notice refused or lost under load is a finding)."""
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
            if response.status != 201:
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

        rates: dict[str, list[float]] = {"platform": [], "bare": []}
        failed: dict[str, list[str]] = {"platform": [], "bare": []}
        for name, factory in (("platform", "platform_app"), ("bare", "bare_app")):
            port = free_port()
            server = serve(factory, env, port)
            try:
                post_all(port, headers, bodies()[: args.clients * 2], args.clients)  # both web processes warm
                for _ in range(args.repetitions):
                    batch = bodies()
                    seconds, failures = post_all(port, headers, batch, args.clients)
                    failed[name] += failures
                    rates[name].append((len(batch) - len(failures)) / seconds)
                    print(f"{name}: {rates[name][-1]:.1f} notices/s, {len(failures)} not filed", flush=True)
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
    ratio = statistics.median(rates["platform"]) / statistics.median(rates["bare"])
    print(
        f"\n{args.repetitions} repetitions x {args.notices} notices, {args.clients} clients, gunicorn 2 x 8 threads, {engine}"
    )
    print("| server | notices/s filed | x bare | requests not answered 201 |")
    print("|---|---|---|---|")
    for name, label in (("platform", "platform POST /api/v1/cases"), ("bare", "bare Flask + SQLAlchemy, one row")):
        first = f" (first: {failed[name][0][:120]})" if failed[name] else ""
        x = ratio if name == "platform" else 1.0
        print(f"| {label} | {spread(rates[name])} | {x:.2f}x | {len(failed[name])}{first} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
