"""Pages and API routes at scale, each next to a bare read of the same rows in the same run.

    .venv/bin/python benchmarks/page_reads.py [--quick] [--repetitions 5] [--samples 20]
    .venv/bin/python benchmarks/page_reads.py --quick --profile "case page" [--samples 20]

Data (``--quick``: a tenth): 10,000 cases of which 200 are open on one mediator's desk; one case with 500
filings; one right holder with 2,000 cases. Cases are filed through the services once and then copied row by
row (cases, their procedure choice, deadlines and events), so building the data takes seconds, not hours.

Measured through the Flask test client (the whole request: routing, authentication, the view, the
template or JSON), p50 and p99 over ``--samples`` requests, for ``--repetitions`` repetitions, each next to two
baselines that read exactly the rows the route shows:
- a bare read: those rows read with SQLAlchemy Core on the platform's engine, nothing else;
- a bare app: a Flask + Flask-SQLAlchemy app on the same database, served through the same test client, whose
  route reads those rows and renders them (a minimal Jinja template listing them, or ``jsonify``), as a plain
  web app would (the way ``benchmarks/intake.py`` compares intake with a bare app).
The rows each route shows:
- ``GET /mediation`` (its first page: 50 of the 200 open cases of 10,000) and ``GET /api/v1/mediation/desk?limit=200``:
  the mediator's open cases, earliest pending deadline first, with the parties' languages and that deadline;
- ``GET /cases/<id>`` with 500 filings: the case, its latest 50 filings the reader may read and its latest 50
  events; ``GET /api/v1/cases/<id>``: the case, its latest 50 filings the reader may read, how many it may read,
  and its deadlines;
- ``GET /`` for a party with 2,000 cases: its first page of 50 cases with their pending deadlines, and its 20 most
  urgent pending deadlines with their cases (the things to do); ``GET /api/v1/cases``: its first 50 cases.
Prints median [min-max] over the repetitions, the ratios to both baselines, and the statements each request sends.
``--profile ROUTE`` instead runs the routes whose name starts with ROUTE ``--samples`` times under cProfile (after one
warm request) and prints where the time went.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"


def profile(name: str, request, samples: int) -> None:
    """``samples`` requests under cProfile after a warm one: the functions by their own time, then by cumulative."""
    request()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(samples):
        request()
    profiler.disable()
    print(f"== {name}", flush=True)
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)


def copy_rows(conn, table, rows: list[dict], **changes) -> None:
    from sqlalchemy import insert

    if rows:
        conn.execute(insert(table), [{**{k: v for k, v in row.items() if k != "id"}, **changes} for row in rows])


def build(app, sizes: dict) -> dict:
    """The data set; returns ids and the accounts to read as."""
    from datetime import timedelta

    from sqlalchemy import select

    from odr.accounts.models import Role
    from odr.cases import services
    from odr.cases.models import Case, Event, Filing
    from odr.extensions import db
    from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments
    from odr.models_base import utcnow
    from odr.procedure.models import CaseProcedure, Deadline
    from odr.procedure.services import sweep_deadlines
    from tests.conftest import make_account, notice_data

    holder = make_account(Role.RIGHT_HOLDER, "holder@example.es")
    seller = make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
    mediator = make_account(Role.MEDIATOR, "mediator@example.de", country="DE", language="de", languages="de,en,es")
    admin = make_account(Role.ADMIN, "admin@example.org", country="GB", language="en")
    other = make_account(Role.RIGHT_HOLDER, "other@example.es", country="ES", language="es")
    mediated = services.file_notice(other, notice_data()).obj
    sweep_deadlines(utcnow() + timedelta(days=8))
    assign_mediator(admin, mediated.id, mediator.id)
    accept_appointment(mediator, pending_appointments(mediator)[0].id, declared=True)
    busy = services.file_notice(holder, notice_data(title="Busy case")).obj
    services.add_filing(seller, busy.id, {"kind": "response", "language": "zh", "text": "我们有授权。"})
    for i in range(2):
        services.add_filing(holder, busy.id, {"kind": "message", "language": "es", "text": f"Mensaje {i}."})
    busy_id, mediated_id = busy.id, mediated.id
    db.session.commit()

    def template(case_id):
        return {
            "case": db.session.execute(select(Case.__table__).where(Case.id == case_id)).mappings().one(),
            "procedure": db.session.execute(select(CaseProcedure.__table__).where(CaseProcedure.case_id == case_id))
            .mappings()
            .all(),
            "deadlines": db.session.execute(select(Deadline.__table__).where(Deadline.case_id == case_id))
            .mappings()
            .all(),
            "events": db.session.execute(select(Event.__table__).where(Event.case_id == case_id)).mappings().all(),
        }

    def clone(case_id, n, **changes):
        t = template(case_id)
        with db.engine.begin() as conn:
            for k in range(n):
                new_id = conn.execute(
                    Case.__table__.insert().values(**{k: v for k, v in t["case"].items() if k != "id"} | changes)
                ).inserted_primary_key[0]
                copy_rows(conn, CaseProcedure.__table__, list(t["procedure"]), case_id=new_id)
                # Periods end on four weeks of different days, as cases filed on different days do (a page that
                # writes each day once is measured on the days a desk shows, not on one day over and over).
                later = timedelta(days=k % 28)
                copy_rows(
                    conn,
                    Deadline.__table__,
                    [dict(d, due_at=d["due_at"] + later) for d in t["deadlines"]],
                    case_id=new_id,
                )
                copy_rows(conn, Event.__table__, list(t["events"]), case_id=new_id)

    # The desk: open cases on the mediator, the rest of the platform's cases on nobody's desk.
    clone(mediated_id, sizes["desk_open"] - 1)
    clone(mediated_id, sizes["cases"] - sizes["desk_open"] - sizes["party_cases"], mediator_id=None)
    # The party's dashboard: its own cases.
    clone(busy_id, sizes["party_cases"] - 1)
    # 500 filings (and their events) in one case.
    filings = db.session.execute(select(Filing.__table__).where(Filing.case_id == busy_id)).mappings().all()
    last = (
        db.session.execute(select(Event.__table__).where(Event.case_id == busy_id).order_by(Event.seq.desc()).limit(1))
        .mappings()
        .one()
    )
    # Each at its own time, 97 seconds apart (over about half a day), as filings are: a page that writes each time
    # or day once is measured on the times it shows, not on one time over and over.
    added = sizes["filings"] - len(filings)
    with db.engine.begin() as conn:
        message = dict(filings[-1])
        apart = [timedelta(seconds=97 * (i + 1)) for i in range(added)]
        copy_rows(conn, Filing.__table__, [dict(message, created_at=message["created_at"] + d) for d in apart])
        events = [dict(last, seq=last["seq"] + i + 1, created_at=last["created_at"] + d) for i, d in enumerate(apart)]
        copy_rows(conn, Event.__table__, events)
    return {"holder": holder, "mediator": mediator, "busy": busy_id}


def bare_app(database_url: str, reads: dict):
    """A bare Flask + Flask-SQLAlchemy app on the same database: each route reads its rows with ``reads`` and renders
    them with a minimal template (pages) or ``jsonify`` (API routes)."""
    from flask import Flask, jsonify, render_template
    from flask_sqlalchemy import SQLAlchemy
    from jinja2 import DictLoader

    app = Flask("bare")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    db = SQLAlchemy(app)
    app.json.default = str  # type: ignore[attr-defined]  # dates and enums as text
    app.jinja_env.filters["reference"] = lambda created_at, case_id: f"ODR-{created_at:%Y}-{case_id:06d}"  # as Case's
    app.jinja_loader = DictLoader(
        {
            "desk.html": (
                "<!doctype html><title>Desk</title><table>{% for r in rows %}<tr>"
                '<td><a href="/cases/{{ r.id }}">{{ r.created_at|reference(r.id) }}</a> {{ r.title }}</td>'
                "<td>{{ r.jurisdiction }}</td>"
                "<td>{{ r.state }}</td><td>{{ r.claimant_language }}, {{ r.respondent_language }}</td>"
                "<td>{{ r.due_at }}</td></tr>{% endfor %}</table>"
            ),
            "case.html": (
                "<!doctype html><title>{{ case.id }}</title>"
                "<h1>{{ case.created_at|reference(case.id) }} {{ case.title }}</h1>"
                "{% for f in filings %}<article><header>{{ f.kind }} {{ f.author_case_role }} {{ f.created_at }}"
                " {{ f.language }}</header><p>{{ f.text }}</p></article>{% endfor %}"
                "<ol>{% for e in events %}<li>{{ e.created_at }} {{ e.kind }} {{ e.actor_case_role }}</li>"
                "{% endfor %}</ol>"
            ),
            "dashboard.html": (
                "<!doctype html><title>Cases</title><ul>{% for t in todo %}<li>"
                '<a href="/cases/{{ t.case_id }}">{{ t.created_at|reference(t.case_id) }}</a> {{ t.title }}'
                " {{ t.timer }} {{ t.due_at }}"
                " {{ t.consequence }}</li>{% endfor %}</ul><table>{% for c in cases %}<tr>"
                '<td><a href="/cases/{{ c.id }}">{{ c.created_at|reference(c.id) }}</a></td><td>{{ c.title }}</td>'
                "<td>{{ c.jurisdiction }}</td><td>{{ c.state }}</td><td>{{ due.get(c.id) }}</td></tr>"
                "{% endfor %}</table>"
            ),
        }
    )

    def rows(name):
        return {key: value for key, value in reads[name](db.session).items()}

    @app.get("/desk")
    def desk():
        return render_template("desk.html", **rows("desk page"))

    @app.get("/api/desk")
    def api_desk():
        return jsonify({"cases": [dict(r) for r in rows("desk API")["rows"]]})

    @app.get("/case")
    def case():
        return render_template("case.html", **rows("case page"))

    @app.get("/api/case")
    def api_case():
        found = rows("case API")
        return jsonify(
            dict(found["case"])
            | {
                "filings": [dict(f) for f in found["filings"]],
                "filings_total": found["filings_total"],
                "deadlines": [dict(d) for d in found["deadlines"]],
            }
        )

    @app.get("/")
    def dashboard():
        found = rows("dashboard")
        due: dict[int, object] = {}
        for d in found["deadlines"]:
            due.setdefault(d.case_id, d.due_at)
        return render_template("dashboard.html", due=due, **found)

    @app.get("/api/cases")
    def api_cases():
        return jsonify({"cases": [dict(c) for c in rows("case list")["cases"]]})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--database", default="", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--profile", default="", metavar="ROUTE", help="profile the routes whose name starts so")
    args = parser.parse_args()
    sizes = {"cases": 10_000, "desk_open": 200, "filings": 500, "party_cases": 2_000}
    if args.quick:
        sizes = {"cases": 1_000, "desk_open": 200, "filings": 500, "party_cases": 200}

    from sqlalchemy import create_engine, event, func, or_, select

    from odr import create_app
    from odr.accounts.models import Party
    from odr.cases.models import Case, Event, Filing
    from odr.cli import settle_heap
    from odr.extensions import db
    from odr.procedure.models import Deadline, DeadlineStatus
    from odr.procedure.services import final_states
    from tests.conftest import Api, Browser, IsolatedClient

    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app(
            {
                "INSTANCE_PATH": f"{tmp}/instance",
                "DATABASE_URL": database_url,
                "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
                "EVIDENCE_DIR": f"{tmp}/evidence",
                "EXPORT_DIR": f"{tmp}/exports",
                "FLASK": {"TESTING": True},
            }
        )
        app.test_client_class = IsolatedClient
        with app.app_context():
            if args.database:
                db.drop_all()
            db.create_all()
            started = time.perf_counter()
            ids = build(app, sizes)
            print(f"data: {sizes} built in {time.perf_counter() - started:.1f} s", flush=True)
            holder, mediator, busy = ids["holder"], ids["mediator"], ids["busy"]
            mediator_id, party_id = mediator.id, holder.party_id
            finals = sorted(final_states())

            # The rows each route shows, read by any executor (a connection, a session).
            def desk_rows(conn, limit):
                claimant, respondent = Party.__table__.alias(), Party.__table__.alias()
                columns = [Case.id, Case.title, Case.jurisdiction, Case.state, Case.created_at]
                languages = [
                    claimant.c.preferred_language.label("claimant_language"),
                    respondent.c.preferred_language.label("respondent_language"),
                ]
                due = func.min(Deadline.due_at).label("due_at")
                query = (
                    select(*columns, *languages, due)
                    .join(claimant, claimant.c.id == Case.claimant_party_id)
                    .join(respondent, respondent.c.id == Case.respondent_party_id)
                    .outerjoin(Deadline, (Deadline.case_id == Case.id) & (Deadline.status == DeadlineStatus.PENDING))
                    .where(Case.mediator_id == mediator_id, Case.state.not_in(finals))
                    .group_by(*columns, *languages)
                    .order_by(due, Case.id)
                    .limit(limit)
                )
                return {"rows": conn.execute(query).mappings().all()}

            def readable(query):
                return query.where(Filing.case_id == busy).where(
                    or_(Filing.caucus_party_id.is_(None), Filing.caucus_party_id == party_id)
                )

            def case_page_rows(conn):
                filings = readable(select(Filing.__table__)).order_by(Filing.id.desc()).limit(50)
                events = select(Event.__table__).where(Event.case_id == busy).order_by(Event.seq.desc()).limit(50)
                return {
                    "case": conn.execute(select(Case.__table__).where(Case.id == busy)).mappings().one(),
                    "filings": conn.execute(filings).mappings().all()[::-1],
                    "events": conn.execute(events).mappings().all()[::-1],
                }

            def case_api_rows(conn):
                filings = readable(select(Filing.__table__)).order_by(Filing.id.desc()).limit(50)
                return {
                    "case": conn.execute(select(Case.__table__).where(Case.id == busy)).mappings().one(),
                    "filings": conn.execute(filings).mappings().all()[::-1],
                    "filings_total": conn.execute(readable(select(func.count()).select_from(Filing))).scalar_one(),
                    "deadlines": conn.execute(select(Deadline.__table__).where(Deadline.case_id == busy))
                    .mappings()
                    .all(),
                }

            party_cases = or_(Case.claimant_party_id == party_id, Case.respondent_party_id == party_id)

            def dashboard_rows(conn):
                cases = (
                    conn.execute(
                        select(Case.__table__)
                        .where(party_cases)
                        .order_by(Case.updated_at.desc(), Case.id.desc())
                        .limit(50)
                    )
                    .mappings()
                    .all()
                )
                deadlines = conn.execute(
                    select(Deadline.case_id, Deadline.due_at)
                    .where(Deadline.case_id.in_([c.id for c in cases]), Deadline.status == DeadlineStatus.PENDING)
                    .order_by(Deadline.due_at)
                ).all()
                todo = (
                    conn.execute(
                        select(
                            Case.id.label("case_id"),
                            Case.created_at,
                            Case.title,
                            Deadline.timer,
                            Deadline.due_at,
                            Deadline.consequence,
                        )
                        .join(Deadline, Deadline.case_id == Case.id)
                        .where(party_cases, Case.state.not_in(finals), Deadline.status == DeadlineStatus.PENDING)
                        .order_by(Deadline.due_at, Case.id)
                        .limit(20)
                    )
                    .mappings()
                    .all()
                )
                return {"cases": cases, "deadlines": deadlines, "todo": todo}

            def case_list_rows(conn):
                return {
                    "cases": conn.execute(select(Case.__table__).where(party_cases).order_by(Case.id.desc()).limit(50))
                    .mappings()
                    .all()
                }

            reads = {
                "desk page": lambda conn: desk_rows(conn, 50),
                "desk API": lambda conn: desk_rows(conn, 200),
                "case page": case_page_rows,
                "case API": case_api_rows,
                "dashboard": dashboard_rows,
                "case list": case_list_rows,
            }
            bare = bare_app(database_url, reads)
            bare_client = bare.test_client()
            settle_heap()  # as `odr serve` does once the app is loaded (odr/cli.py)
            client = app.test_client()
            holder_api, mediator_api = Api(client, holder), Api(client, mediator)
            holder_web, mediator_web = Browser(app, holder), Browser(app, mediator)

            # The bare reads on an engine of their own, as the bare app has: each ends in a rollback, which on the
            # platform's pool would make psycopg forget the statements the platform prepared on that connection.
            bare_engine = create_engine(database_url)

            def bare_read(name):
                def read():
                    with bare_engine.connect() as conn:
                        reads[name](conn)

                return read

            def ok(response):
                assert response.status_code == 200, response.status_code
                response.get_data()

            def bare_route(path):
                def request():
                    with bare.app_context():
                        ok(bare_client.get(path))

                return request

            routes = [
                ("desk page GET /mediation", lambda: ok(mediator_web.get("/mediation")), "desk page", "/desk"),
                (
                    "desk API GET /api/v1/mediation/desk",
                    lambda: ok(mediator_api.get("/mediation/desk?limit=200")),
                    "desk API",
                    "/api/desk",
                ),
                (
                    f"case page GET /cases/<id> ({sizes['filings']} filings)",
                    lambda: ok(holder_web.get(f"/cases/{busy}")),
                    "case page",
                    "/case",
                ),
                (
                    f"case API GET /api/v1/cases/<id> ({sizes['filings']} filings)",
                    lambda: ok(holder_api.get(f"/cases/{busy}")),
                    "case API",
                    "/api/case",
                ),
                (f"dashboard GET / ({sizes['party_cases']} cases)", lambda: ok(holder_web.get("/")), "dashboard", "/"),
                (
                    f"case list GET /api/v1/cases ({sizes['party_cases']} cases)",
                    lambda: ok(holder_api.get("/cases")),
                    "case list",
                    "/api/cases",
                ),
            ]
            if args.profile:
                routes = [route for route in routes if route[0].startswith(args.profile)]
                print(f"{args.samples} requests profiled, after one warm request")
            else:
                print(
                    f"{args.repetitions} repetitions x {args.samples} requests; ms, median [min-max] over repetitions"
                )
                print(
                    "| route | statements | p50 ms | p99 ms | bare SELECT p50 | bare SELECT p99 | bare app p50 "
                    "| bare app p99 | p50 x bare SELECT | p99 x bare SELECT | p50 x bare app | p99 x bare app |"
                )
                print("|---|---|---|---|---|---|---|---|---|---|---|---|")
            over: list[str] = []  # the routes outside the target, and by how much
            for name, request, rows, path in routes:
                if args.profile:
                    profile(name, request, args.samples)
                    continue
                sent: list[int] = []
                listener = lambda *a, sent=sent, **k: sent.append(1)  # noqa: E731  (bound now: this route's list)
                event.listen(db.engine, "before_cursor_execute", listener)
                request()
                event.remove(db.engine, "before_cursor_execute", listener)
                measured = {"route": request, "select": bare_read(rows), "app": bare_route(path)}
                p50s: dict[str, list[float]] = {k: [] for k in measured}
                p99s: dict[str, list[float]] = {k: [] for k in measured}
                for _ in range(args.repetitions):
                    times: dict[str, list[float]] = {k: [] for k in measured}
                    for _ in range(args.samples):
                        for kind, run in measured.items():  # interleaved: the machine's noise falls on all three
                            t0 = time.perf_counter()
                            run()
                            times[kind].append((time.perf_counter() - t0) * 1000)
                    for kind in measured:
                        p50s[kind].append(percentile(times[kind], 0.5))
                        p99s[kind].append(percentile(times[kind], 0.99))

                def ratio(p, kind):
                    return statistics.median(p["route"]) / statistics.median(p[kind])

                print(
                    f"| {name} | {len(sent)} | {spread(p50s['route'])} | {spread(p99s['route'])} "
                    f"| {spread(p50s['select'])} | {spread(p99s['select'])} "
                    f"| {spread(p50s['app'])} | {spread(p99s['app'])} "
                    f"| {ratio(p50s, 'select'):.1f}x | {ratio(p99s, 'select'):.1f}x "
                    f"| {ratio(p50s, 'app'):.1f}x | {ratio(p99s, 'app'):.1f}x |",
                    flush=True,
                )
                p99 = statistics.median(p99s["route"])
                if ratio(p50s, "app") > 3 or ratio(p99s, "app") > 3 or p99 >= 200:
                    over.append(
                        f"{name} (p50 {ratio(p50s, 'app'):.1f}x, p99 {ratio(p99s, 'app'):.1f}x, p99 {p99:.0f} ms)"
                    )
            if not args.profile:
                print(
                    "target (p50 and p99 within 3x of the bare app, p99 under 200 ms): "
                    + (f"not met by {'; '.join(over)}" if over else "met by every route")
                    + (" (at --quick's sizes; the target's are the full ones)" if args.quick else "")
                )
            db.session.remove()
            bare_engine.dispose()
            if args.database:
                db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
