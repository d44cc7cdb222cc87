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
  holding it (reference, title, the body), commits, and answers 201 with the row's id;
- the floor of what a notice must write: a bare Flask + SQLAlchemy Core app that writes, for each request, the
  rows one notice of the same kind wrote (counted table by table from a notice filed through the platform
  before the run, each row's values kept as JSON in a table of its own kind: ``notice_shape``) with one
  executemany per table and one commit, after making durable as many files of the same sizes as the notice's
  evidence, the way the evidence store does (fsync of the file, rename, fsync of its folder). No implementation
  that keeps the same records can be faster than this one by much: it does nothing else.
16 client threads, each with its own kept-alive connection, post ``--notices`` notices in all per repetition;
notices per second, median [min-max] over the repetitions, and each mode's rate over the bare app's and over
the floor's.
"""

from __future__ import annotations

import argparse
import hashlib
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
    from sqlalchemy import JSON, Column, DateTime, Integer, String, func

    import odr  # noqa: F401  (its connect listener gives every engine the platform's SQLite settings)

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


def floor_app():
    """A bare Flask + SQLAlchemy Core app writing what one notice writes (``notice_shape``), and nothing else."""
    from flask import Flask, jsonify, request
    from sqlalchemy import insert

    shape = json.loads(Path(os.environ["ODR_BENCH_SHAPE"]).read_text())
    engine, tables = floor_tables(shape)
    evidence = Path(os.environ["ODR_EVIDENCE_DIR"]) / "floor"
    staging = evidence / "staging"
    staging.mkdir(parents=True, exist_ok=True)
    app = Flask("floor")

    @app.post("/api/v1/cases")
    def file_notice():
        body = request.get_data()
        data = json.loads(body)
        names = []
        for size in shape["files"]:  # durable before the rows that name them are committed, as the store's are
            content = (body * (size // max(len(body), 1) + 1))[:size]
            name = hashlib.sha256(content + os.urandom(8)).hexdigest()
            source = staging / name
            with open(source, "wb") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(source, 0o600)
            os.replace(source, evidence / name)
            folder = os.open(evidence, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
            names.append(name)
        with engine.begin() as conn:
            case_id = conn.execute(insert(tables["cases"]).values(case_id=None, body=data)).inserted_primary_key[0]
            for table, rows in shape["rows"].items():
                if table != "cases":
                    conn.execute(insert(tables[table]), [{"case_id": case_id, "body": row} for row in rows])
        return jsonify({"id": case_id, "files": names}), 201

    return app


def floor_tables(shape: dict):
    """The floor's engine (the platform's SQLite settings) and a table per kind of row a notice writes."""
    from sqlalchemy import JSON, Column, Integer, MetaData, Table, create_engine

    import odr  # noqa: F401  (its connect listener gives every engine the platform's SQLite settings)

    engine = create_engine(os.environ["ODR_DATABASE_URL"])

    metadata = MetaData()
    tables = {
        name: Table(
            f"floor_{name}",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("case_id", Integer),
            Column("body", JSON),
        )
        for name in dict.fromkeys(["cases", *shape["rows"]])
    }
    return engine, tables


def notice_shape(app, client, headers: dict, data: dict, evidence: Path) -> dict:
    """What filing ``data`` through the platform writes: its rows table by table (their values, as JSON) and the
    sizes of its evidence files."""
    from sqlalchemy import func, select

    from odr.extensions import db

    def counts() -> dict[str, int]:
        return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}

    def files() -> dict[Path, int]:
        return {p: p.stat().st_size for p in evidence.rglob("*") if p.is_file()} if evidence.exists() else {}

    with app.app_context():
        tables = db.metadata.sorted_tables
        before, files_before = counts(), files()
        db.session.remove()
        response = client.post("/api/v1/cases", data=json.dumps(data), headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        rows = {}
        for table, count in counts().items():
            added = count - before[table]
            if added:
                t = db.metadata.tables[table]
                newest = select(t).order_by(*[c.desc() for c in t.primary_key.columns]).limit(added)
                rows[table] = [
                    json.loads(json.dumps(dict(r._mapping), default=str)) for r in db.session.execute(newest)
                ]
        db.session.remove()
    return {"rows": rows, "files": [size for path, size in files().items() if path not in files_before]}


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
                drop_baselines(db.engine)
            db.create_all()
            holder = make_account(Role.RIGHT_HOLDER, "holder@bench.example")
            make_account(Role.SELLER, "seller@bench.example", country="CN", language="zh", tz="Asia/Shanghai")
            token = Api(app.test_client(), holder).headers["Authorization"]
            db.session.remove()
        headers = {"Authorization": token, "Content-Type": "application/json"}

        serial = iter(range(10**9))

        def notice() -> dict:
            n = next(serial)
            return notice_data(
                seller_email="seller@bench.example",
                title=f"Counterfeit FLAMENCO bags {n}",
                listings=[f"https://shop.example/item/{n}"],
                language_confirmed=True,
            )

        def bodies() -> list[bytes]:
            return [json.dumps(notice()).encode() for _ in range(args.notices)]

        # The floor writes what the second of two notices wrote (the first between two parties may write more).
        for _ in range(2):
            shape = notice_shape(app, app.test_client(), headers, notice(), Path(env["ODR_EVIDENCE_DIR"]))
        env["ODR_BENCH_SHAPE"] = os.environ["ODR_BENCH_SHAPE"] = f"{tmp}/notice_shape.json"
        Path(env["ODR_BENCH_SHAPE"]).write_text(json.dumps(shape))
        written = sum(len(rows) for rows in shape["rows"].values())
        print(f"a notice writes {written} rows in {len(shape['rows'])} tables and {len(shape['files'])} files")
        with app.app_context():
            db.engine.dispose()

        modes = {  # name: (server factory, extra headers, the answer expected)
            "platform": ("platform_app", {}, 201),
            "async": ("platform_app", {"Prefer": "respond-async"}, 202),
            "bare": ("bare_app", {}, 201),
            "floor": ("floor_app", {}, 201),
        }
        rates: dict[str, list[float]] = {name: [] for name in modes}
        failed: dict[str, list[str]] = {name: [] for name in modes}
        opening: list[float] = []
        unopened: list[str] = []
        for name, (factory, extra, expected) in modes.items():
            # Baselines' tables are made once here: two web processes making them at once collide on PostgreSQL.
            if name == "bare":
                bare_app()
            if name == "floor":
                engine, tables = floor_tables(shape)
                next(iter(tables.values())).metadata.create_all(engine)
                engine.dispose()
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
                drop_baselines(db.engine)
                db.engine.dispose()

    def spread(values: list[float]) -> str:
        return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"

    engine = url.split(":", 1)[0]
    bare, floor = statistics.median(rates["bare"]), statistics.median(rates["floor"])
    print(f"\n{args.repetitions} repetitions x {args.notices} notices, {args.clients} clients, ", end="")
    print(f"gunicorn 2 x 8 threads, {engine}; a notice writes {written} rows and {len(shape['files'])} files")
    print("| server | notices/s answered | x bare | x floor | requests not answered as expected |")
    print("|---|---|---|---|---|")
    labels = {
        "platform": "platform POST /api/v1/cases (case opened, 201)",
        "async": "platform POST /api/v1/cases, Prefer: respond-async (received, 202)",
        "bare": "bare Flask + SQLAlchemy, one row (201)",
        "floor": f"floor: bare Core writing a notice's {written} rows and {len(shape['files'])} durable files (201)",
    }
    for name, label in labels.items():
        first = f" (first: {failed[name][0][:120]})" if failed[name] else ""
        rate = statistics.median(rates[name])
        ratios = f"{rate / bare:.2f}x | {rate / floor:.2f}x"
        print(f"| {label} | {spread(rates[name])} | {ratios} | {len(failed[name])}{first} |")
    rate = statistics.median(opening)
    print(
        f"| the received notices opened afterwards (in process, one worker) | {spread(opening)} | "
        f"{rate / bare:.2f}x | {rate / floor:.2f}x | not opened: {', '.join(unopened) or 0} |"
    )
    # The target (issue 19) against what a notice must write: the floor says how much of it any implementation has.
    verdicts = []
    for name, label in (("platform", "the case opened in the request"), ("async", "acknowledged (respond-async)")):
        ratio = statistics.median(rates[name]) / bare
        verdicts.append(f"{label} {ratio:.2f}x: {'met' if ratio >= 0.5 else 'not met'}")
    print(f"target >= 0.5x the one-row app: {'; '.join(verdicts)}; the floor itself {floor / bare:.2f}x")
    return 0


def drop_baselines(engine) -> None:
    """The baselines' tables, left by an earlier run on the same PostgreSQL database."""
    from sqlalchemy import inspect

    names = [name for name in inspect(engine).get_table_names() if name.startswith("floor_")]
    with engine.begin() as conn:
        for name in ["bare_notice", *names]:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')


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
