"""Bulk intake: 10,000 listings through ``POST /api/v1/notices:batch``, next to bare INSERTs in the same run.

    .venv/bin/python benchmarks/bulk_intake.py [--listings 10000] [--sellers 20] [--repetitions 5] [--database URL]

Each repetition sends one NDJSON batch of ``--listings`` items (one listing each, spread over ``--sellers``
sellers, every item with its own item_key) through the Flask test client: the whole request (authentication,
reading the body line by line, checking each item, grouping into cases of up to 500 listings, one commit per
500 items, the per-item answer). The baseline, on the same engine: the same number of listing rows and one
idempotency record per item written with bare SQLAlchemy Core INSERTs (executemany, one transaction), which is
what the batch must at least write. Prints listings per second, median [min-max] over the repetitions, and the
ratio; the target is at least 1,000 listings per second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} [{min(values):.0f}-{max(values):.0f}]"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--sellers", type=int, default=20)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--database", default="", help="a database URL (default: a new SQLite file)")
    args = parser.parse_args()

    from sqlalchemy import func, insert, select

    from odr import create_app
    from odr.accounts.models import Role
    from odr.cases.models import Case, Listing
    from odr.extensions import db
    from odr.idempotency import IdempotentRequest
    from odr.models_base import utcnow
    from tests.conftest import Api, IsolatedClient, make_account, notice_data

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
        app.test_client_class = IsolatedClient
        with app.app_context():
            if args.database:
                db.drop_all()
            db.create_all()
            holder = make_account(Role.RIGHT_HOLDER, "holder@example.es")
            sellers = [
                make_account(Role.SELLER, f"seller{n}@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
                for n in range(args.sellers)
            ]
            seller_emails = [s.email for s in sellers]
            api = Api(app.test_client(), holder)
            template_case = None
            print(f"{args.listings} listings per batch, {args.sellers} sellers, {args.repetitions} repetitions")
            print("| what | listings/s median [min-max] | x bare |")
            print("|---|---|---|")
            batch_rates, bare_rates = [], []
            for rep in range(args.repetitions):
                items = [
                    notice_data(
                        seller_emails[n % args.sellers],
                        listings=[f"https://shop.example/r{rep}/item/{n}"],
                        item_key=f"r{rep}-{n}",
                    )
                    for n in range(args.listings)
                ]
                body = b"".join(json.dumps(item).encode() + b"\n" for item in items)
                started = time.perf_counter()
                response = api.client.post(
                    "/api/v1/notices:batch", data=body, content_type="application/x-ndjson", headers=api.headers
                )
                elapsed = time.perf_counter() - started
                answer = response.get_json()
                assert response.status_code == 200 and answer["summary"]["created"] == args.listings, answer.get(
                    "summary", answer
                )
                batch_rates.append(args.listings / elapsed)
                if template_case is None:
                    template_case = db.session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1))
                # The bare baseline: the rows the batch must write at least, straight through SQLAlchemy Core.
                now = utcnow()
                listing_rows = [
                    {
                        "case_id": template_case,
                        "locator": f"https://shop.example/bare{rep}/item/{n}",
                        "title": "",
                        "product_category": "general",
                    }
                    for n in range(args.listings)
                ]
                key_rows = [
                    {
                        "account_id": holder.id,
                        "key": f"bare{rep}-{n}",
                        "request_sha256": "0" * 64,
                        "result_kind": "cases",
                        "result_id": template_case,
                        "created_at": now,
                    }
                    for n in range(args.listings)
                ]
                started = time.perf_counter()
                with db.engine.begin() as conn:
                    conn.execute(insert(Listing.__table__), listing_rows)
                    conn.execute(insert(IdempotentRequest.__table__), key_rows)
                bare_rates.append(args.listings / (time.perf_counter() - started))
            cases = db.session.scalar(select(func.count()).select_from(Case))
            print(f"| batch POST /api/v1/notices:batch (NDJSON) | {spread(batch_rates)} | "
                  f"{statistics.median(batch_rates) / statistics.median(bare_rates):.3f}x |")  # fmt: skip
            print(f"| bare INSERTs (listings + idempotency records) | {spread(bare_rates)} | 1.00x |")
            print(f"cases opened over all repetitions: {cases}; target >= 1,000 listings/s: "
                  f"{'met' if statistics.median(batch_rates) >= 1000 else 'NOT met'}")  # fmt: skip
            db.session.remove()
            if args.database:
                db.drop_all()
            db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
