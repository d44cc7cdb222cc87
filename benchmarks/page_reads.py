"""Pages and API routes at scale, each next to a bare read of the same rows in the same run.

    .venv/bin/python benchmarks/page_reads.py [--quick] [--repetitions 5] [--samples 20]

Data (``--quick``: a tenth): 10,000 cases of which 200 are open on one mediator's desk; one case with 500
filings; one right holder with 2,000 cases. Cases are filed through the services once and then copied row by
row (cases, their procedure choice, deadlines and events), so building the data takes seconds, not hours.

Measured through the Flask test client (the whole request: routing, authentication, the view, the
template or JSON), p50 and p99 over ``--samples`` requests, for ``--repetitions`` repetitions:
- ``GET /mediation`` and ``GET /api/v1/mediation/desk`` (200 open of 10,000 cases), against a bare read of the
  desk's rows (the mediator's open cases with their parties and pending deadlines: one SELECT with joins);
- ``GET /cases/<id>`` and ``GET /api/v1/cases/<id>`` with 500 filings, against a bare read of the case, its
  filings and its events (three SELECTs);
- ``GET /`` (the dashboard's first page) and ``GET /api/v1/cases`` for a party with 2,000 cases, against a bare
  read of the same page of cases (one SELECT).
Prints median [min-max] over the repetitions, the ratio to the bare read, and the statements each sends.
"""

from __future__ import annotations

import argparse
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
            "procedure": db.session.execute(
                select(CaseProcedure.__table__).where(CaseProcedure.case_id == case_id)
            ).mappings().all(),
            "deadlines": db.session.execute(select(Deadline.__table__).where(Deadline.case_id == case_id)).mappings().all(),
            "events": db.session.execute(select(Event.__table__).where(Event.case_id == case_id)).mappings().all(),
        }

    def clone(case_id, n, **changes):
        t = template(case_id)
        with db.engine.begin() as conn:
            for _ in range(n):
                new_id = conn.execute(
                    Case.__table__.insert().values(**{k: v for k, v in t["case"].items() if k != "id"} | changes)
                ).inserted_primary_key[0]
                copy_rows(conn, CaseProcedure.__table__, list(t["procedure"]), case_id=new_id)
                copy_rows(conn, Deadline.__table__, list(t["deadlines"]), case_id=new_id)
                copy_rows(conn, Event.__table__, list(t["events"]), case_id=new_id)

    # The desk: open cases on the mediator, the rest of the platform's cases on nobody's desk.
    clone(mediated_id, sizes["desk_open"] - 1)
    clone(mediated_id, sizes["cases"] - sizes["desk_open"] - sizes["party_cases"], mediator_id=None)
    # The party's dashboard: its own cases.
    clone(busy_id, sizes["party_cases"] - 1)
    # 500 filings (and their events) in one case.
    filings = db.session.execute(select(Filing.__table__).where(Filing.case_id == busy_id)).mappings().all()
    last = db.session.execute(
        select(Event.__table__).where(Event.case_id == busy_id).order_by(Event.seq.desc()).limit(1)
    ).mappings().one()
    with db.engine.begin() as conn:
        message = dict(filings[-1])
        copy_rows(conn, Filing.__table__, [message] * (sizes["filings"] - len(filings)))
        events = [dict(last, seq=last["seq"] + i + 1) for i in range(sizes["filings"] - len(filings))]
        copy_rows(conn, Event.__table__, events)
    return {"holder": holder, "mediator": mediator, "busy": busy_id}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--database", default="", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    sizes = {"cases": 10_000, "desk_open": 200, "filings": 500, "party_cases": 2_000}
    if args.quick:
        sizes = {"cases": 1_000, "desk_open": 200, "filings": 500, "party_cases": 200}

    from sqlalchemy import event, func, or_, select, text

    from odr import create_app
    from odr.cli import settle_heap
    from odr.accounts.models import Party
    from odr.cases.models import Case, Event, Filing
    from odr.extensions import db
    from odr.procedure.models import Deadline, DeadlineStatus
    from odr.procedure.services import final_states
    from tests.conftest import Api, Browser, IsolatedClient

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "INSTANCE_PATH": f"{tmp}/instance",
                "DATABASE_URL": args.database or f"sqlite:///{tmp}/bench.sqlite3",
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
            settle_heap()  # as `odr serve` does once the app is loaded (odr/cli.py)
            holder, mediator, busy = ids["holder"], ids["mediator"], ids["busy"]
            client = app.test_client()
            holder_api, mediator_api = Api(client, holder), Api(client, mediator)
            holder_web, mediator_web = Browser(app, holder), Browser(app, mediator)
            mediator_id, party_id = mediator.id, holder.party_id

            def bare_desk():
                with db.engine.connect() as conn:
                    claimant, respondent = Party.__table__.alias(), Party.__table__.alias()
                    conn.execute(
                        select(Case.__table__, claimant.c.preferred_language, respondent.c.preferred_language,
                               Deadline.due_at, Deadline.timer)
                        .join(claimant, claimant.c.id == Case.claimant_party_id)
                        .join(respondent, respondent.c.id == Case.respondent_party_id)
                        .outerjoin(Deadline, (Deadline.case_id == Case.id) & (Deadline.status == DeadlineStatus.PENDING))
                        .where(Case.mediator_id == mediator_id, Case.state.not_in(final_states()))
                    ).all()

            def bare_case():
                with db.engine.connect() as conn:
                    conn.execute(select(Case.__table__).where(Case.id == busy)).all()
                    conn.execute(select(Filing.__table__).where(Filing.case_id == busy)).all()
                    conn.execute(select(Event.__table__).where(Event.case_id == busy)).all()

            def bare_dashboard():
                with db.engine.connect() as conn:
                    conn.execute(
                        select(Case.__table__)
                        .where(or_(Case.claimant_party_id == party_id, Case.respondent_party_id == party_id))
                        .order_by(Case.updated_at.desc(), Case.id.desc())
                        .limit(50)
                    ).all()

            def ok(response):
                assert response.status_code == 200, response.status_code
                response.get_data()

            routes = [
                ("desk page GET /mediation", lambda: ok(mediator_web.get("/mediation")), bare_desk),
                ("desk API GET /api/v1/mediation/desk", lambda: ok(mediator_api.get("/mediation/desk?limit=200")), bare_desk),
                (f"case page GET /cases/<id> ({sizes['filings']} filings)", lambda: ok(holder_web.get(f"/cases/{busy}")), bare_case),
                (f"case API GET /api/v1/cases/<id> ({sizes['filings']} filings)", lambda: ok(holder_api.get(f"/cases/{busy}")), bare_case),
                (f"dashboard GET / ({sizes['party_cases']} cases)", lambda: ok(holder_web.get("/")), bare_dashboard),
                (f"case list GET /api/v1/cases ({sizes['party_cases']} cases)", lambda: ok(holder_api.get("/cases")), bare_dashboard),
            ]
            print(f"{args.repetitions} repetitions x {args.samples} requests; ms, median [min-max] over repetitions")
            print("| route | statements | p50 ms | p99 ms | bare p50 ms | bare p99 ms | p50 x bare | p99 x bare |")
            print("|---|---|---|---|---|---|---|---|")
            for name, request, bare in routes:
                sent = []
                listener = lambda *a, **k: sent.append(1)  # noqa: E731
                event.listen(db.engine, "before_cursor_execute", listener)
                request()
                event.remove(db.engine, "before_cursor_execute", listener)
                p50s, p99s, b50s, b99s = [], [], [], []
                for _ in range(args.repetitions):
                    times, bare_times = [], []
                    for _ in range(args.samples):
                        t0 = time.perf_counter()
                        request()
                        times.append((time.perf_counter() - t0) * 1000)
                        t0 = time.perf_counter()
                        bare()
                        bare_times.append((time.perf_counter() - t0) * 1000)
                    p50s.append(percentile(times, 0.5))
                    p99s.append(percentile(times, 0.99))
                    b50s.append(percentile(bare_times, 0.5))
                    b99s.append(percentile(bare_times, 0.99))
                r50 = statistics.median(p50s) / statistics.median(b50s)
                r99 = statistics.median(p99s) / statistics.median(b99s)
                print(f"| {name} | {len(sent)} | {spread(p50s)} | {spread(p99s)} | {spread(b50s)} | {spread(b99s)} | {r50:.1f}x | {r99:.1f}x |", flush=True)
            db.session.remove()
            if args.database:
                db.drop_all()
            db.engine.dispose()
        del text, func


if __name__ == "__main__":
    main()
