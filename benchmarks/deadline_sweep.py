"""The deadline sweep: what 100 due deadlines cost among few or many open ones, batched and one by one.

    .venv/bin/python benchmarks/deadline_sweep.py [--quick] [--repetitions 5] [--database URL]

Data: one notice filed through the services (a Chinese case whose 7-day answer period runs), copied row by row
(case, procedure choice, deadlines, events) into groups of 100 cases whose periods run out an hour apart, one
group per measurement; then open deadlines that are not due (due in ten years) until the table holds
10,000 and then 1,000,000 of them (``--quick``: 10,000 and 100,000).

Each repetition sweeps one group of 100 due deadlines twice over: with ``sweep_deadlines`` (consequences in
batches, one commit per batch) and, as the baseline in the same run, with each consequence in its own
transaction and commit (``_apply_one`` for each due row, which is what the sweep did before batching).
Prints median [min-max] of the milliseconds per consequence for both, their ratio, and the ratio of the
batched sweep among the larger number of open deadlines to the smaller (target: within 1.5x); then the
batched sweep's CPU milliseconds per consequence in this process (``time.process_time``: on SQLite the whole
consequence, on PostgreSQL all but the server's share), which a shared machine's load disturbs less.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

GROUP = 100


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="10,000 and 100,000 open deadlines")
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--database", default="", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 1_000_000]

    from page_reads import copy_rows
    from sqlalchemy import func, insert, select

    from odr import create_app
    from odr.accounts.models import Role
    from odr.cases import services
    from odr.cases.models import Case, Event
    from odr.extensions import db
    from odr.procedure.models import CaseProcedure, Deadline, DeadlineStatus
    from odr.procedure.services import _apply_one, sweep_deadlines
    from tests.conftest import make_account, notice_data

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "INSTANCE_PATH": f"{tmp}/instance",
                "DATABASE_URL": args.database or f"sqlite:///{tmp}/bench.sqlite3",
                "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
                "EVIDENCE_DIR": f"{tmp}/evidence",
                "EXPORT_DIR": f"{tmp}/exports",
                "FLASK": {"TESTING": True, "RATELIMIT_ENABLED": False},
            }
        )
        with app.app_context():
            if args.database:
                db.drop_all()
            db.create_all()
            started = time.perf_counter()
            holder = make_account(Role.RIGHT_HOLDER, "holder@example.es")
            make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
            template_case = services.file_notice(holder, notice_data()).obj
            case_id = template_case.id
            db.session.commit()
            case_row = db.session.execute(select(Case.__table__).where(Case.id == case_id)).mappings().one()
            procedure = (
                db.session.execute(select(CaseProcedure.__table__).where(CaseProcedure.case_id == case_id))
                .mappings()
                .all()
            )
            deadlines = (
                db.session.execute(
                    select(Deadline.__table__).where(
                        Deadline.case_id == case_id, Deadline.status == DeadlineStatus.PENDING
                    )
                )
                .mappings()
                .all()
            )
            events = db.session.execute(select(Event.__table__).where(Event.case_id == case_id)).mappings().all()
            first_due = min(d["due_at"] for d in deadlines)
            # The template's own deadline is not part of any group.
            db.session.execute(
                Deadline.__table__.update().where(Deadline.case_id == case_id).values(status=DeadlineStatus.CANCELLED)
            )
            db.session.commit()

            groups = 2 * len(sizes) * args.repetitions
            with db.engine.begin() as conn:
                for g in range(groups):
                    shift = timedelta(hours=g)
                    for _ in range(GROUP):
                        new_id = conn.execute(
                            Case.__table__.insert().values(**{k: v for k, v in case_row.items() if k != "id"})
                        ).inserted_primary_key[0]
                        copy_rows(conn, CaseProcedure.__table__, list(procedure), case_id=new_id)
                        copy_rows(
                            conn,
                            Deadline.__table__,
                            [dict(d, due_at=d["due_at"] + shift) for d in deadlines],
                            case_id=new_id,
                        )
                        copy_rows(conn, Event.__table__, list(events), case_id=new_id)
            filler = dict(deadlines[0], case_id=case_id, due_at=first_due + timedelta(days=3650))
            filler.pop("id")

            def open_deadlines() -> int:
                return db.session.scalar(
                    select(func.count()).select_from(Deadline).where(Deadline.status == DeadlineStatus.PENDING)
                )

            def fill_to(target: int) -> None:
                missing = target - open_deadlines()
                with db.engine.begin() as conn:
                    while missing > 0:
                        chunk = min(missing, 50_000)
                        conn.execute(insert(Deadline.__table__), [filler] * chunk)
                        missing -= chunk
                    if conn.dialect.name == "postgresql":
                        # What autovacuum does within a minute of such a load: without it the planner, which has never
                        # seen the table this size, scans the whole status index to cancel one case's deadlines.
                        conn.exec_driver_sql("ANALYZE deadlines")
                db.session.commit()

            print(f"data: {groups} groups of {GROUP} due cases built in {time.perf_counter() - started:.1f} s")
            group = 0

            cpu: dict[int, list[float]] = {}

            def sweep_group(batched: bool, size: int) -> float:
                """Milliseconds per consequence for the next group of due deadlines (CPU ones kept in ``cpu``)."""
                nonlocal group
                now = first_due + timedelta(hours=group, minutes=30)
                group += 1
                db.session.commit()
                t0, c0 = time.perf_counter(), time.process_time()
                if batched:
                    applied = sweep_deadlines(now)
                else:
                    due = db.session.scalars(
                        select(Deadline.id)
                        .where(Deadline.status == DeadlineStatus.PENDING, Deadline.due_at < now)
                        .order_by(Deadline.due_at, Deadline.id)
                    ).all()
                    applied = sum(_apply_one(deadline_id, now) for deadline_id in due)
                elapsed = (time.perf_counter() - t0) * 1000
                assert applied == GROUP, applied
                if batched:
                    cpu.setdefault(size, []).append((time.process_time() - c0) * 1000 / applied)
                return elapsed / applied

            print(f"{args.repetitions} repetitions of {GROUP} due deadlines; ms per consequence, median [min-max]")
            print("| open deadlines | batched sweep | one commit each (before) | batched x before |")
            print("|---|---|---|---|")
            medians = {}
            for size in sizes:
                t0 = time.perf_counter()
                fill_to(size)
                print(f"# {open_deadlines()} open deadlines (filled in {time.perf_counter() - t0:.0f} s)", flush=True)
                batched, single = [], []
                for _ in range(args.repetitions):
                    batched.append(sweep_group(True, size))
                    single.append(sweep_group(False, size))
                medians[size] = statistics.median(batched)
                ratio = statistics.median(batched) / statistics.median(single)
                print(f"| {size:,} | {spread(batched)} | {spread(single)} | {ratio:.2f}x |", flush=True)
            small, large = sizes
            print(f"batched sweep among {large:,} open x among {small:,}: {medians[large] / medians[small]:.2f}x")
            print("batched sweep, CPU ms per consequence: " + ", ".join(f"{n:,}: {spread(v)}" for n, v in cpu.items()))
            db.session.remove()
            if args.database:
                db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
