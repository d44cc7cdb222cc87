"""Linked accounts at scale: 1,000,000 accounts and 3,000,000 identifier links, generated.

    .venv/bin/python benchmarks/linkage_scale.py [--accounts 1000000] [--links 3000000] [--repeat 5]

Prints three side-by-side measurements, each with the median and spread over the repetitions:

1. Full build and component computation, each method in a fresh process (so peak memory is its own):
   networkx (``Graph.add_edges_from`` + ``connected_components``), scipy (``csr`` matrix +
   ``scipy.sparse.csgraph.connected_components``, the baseline) and the platform's full rebuild
   (``odr.linkage.services.components_from_edges``), with time, peak RSS, and ratios to scipy.
2. The incremental update when one new link arrives: ``services.do_link`` + commit on a SQLite
   database holding the whole data set (components persisted as a union-find), p50 and p99,
   against a bare one-row INSERT + commit on the same database.
3. The explanation query for one account: ``component_graph`` + ``explaining_paths`` +
   ``path_steps`` (networkx on the account's component), p50 and p99, against fetching the same
   rows with one raw SQL query.

Data: every account has one identifier of its own; the remaining links go to random accounts, 90% to
identifiers of their own and 10% to a shared pool (one fifth as many identifiers as accounts), which
gives many small linked groups and no giant component, as real seller populations do.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def generate(n_accounts: int, n_links: int, seed: int = 15):
    """Bipartite edges as (account index, identifier code) arrays with compact identifier codes."""
    import numpy as np

    rng = np.random.default_rng(seed)
    accounts = np.concatenate([np.arange(n_accounts), rng.integers(0, n_accounts, n_links - n_accounts)])
    pool = max(1, n_accounts // 5)
    shared = rng.random(n_links) < 0.10
    identifiers = np.where(shared, rng.integers(0, pool, n_links), pool + np.arange(n_links))
    pairs = np.unique(np.stack([accounts, identifiers], axis=1), axis=0)  # an account holds an identifier once
    uniques, codes = np.unique(pairs[:, 1], return_inverse=True)
    return pairs[:, 0].astype(np.int64), codes.astype(np.int64), len(uniques)


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def run_method(method: str, n_accounts: int, n_links: int) -> dict:
    """One full build in this process; prints JSON with seconds and memory."""
    import networkx as nx
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    from odr.linkage.services import components_from_edges

    accounts, codes, n_identifiers = generate(n_accounts, n_links)
    before = rss_mb()
    started = time.perf_counter()
    if method == "networkx":
        graph = nx.Graph()
        graph.add_edges_from(zip(accounts.tolist(), (codes + n_accounts).tolist(), strict=True))
        graph.add_nodes_from(range(n_accounts))
        built = time.perf_counter()
        components = sum(1 for part in nx.connected_components(graph) if min(part) < n_accounts)
    elif method == "scipy":
        size = n_accounts + n_identifiers
        matrix = coo_matrix(
            (np.ones(len(accounts), dtype=np.int8), (accounts, codes + n_accounts)), shape=(size, size)
        ).tocsr()
        built = time.perf_counter()
        _count, labels = connected_components(matrix, directed=False)
        components = len(np.unique(labels[:n_accounts]))
    else:
        built = started
        labels = components_from_edges(accounts, codes, n_accounts, n_identifiers)
        components = len(np.unique(labels))
    done = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "build_s": built - started,
        "components_s": done - built,
        "total_s": done - started,
        "peak_rss_mb": peak,
        "peak_over_data_mb": peak - before,
        "components": components,
        "edges": len(accounts),
        "identifiers": n_identifiers,
    }


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    values = [v * scale for v in values]
    return f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}-{max(values):.{digits}f}]"


def full_builds(args) -> dict:
    results: dict[str, list[dict]] = {"scipy": [], "networkx": [], "platform": []}
    for _ in range(args.repeat):
        for method in results:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--method",
                    method,
                    "--accounts",
                    str(args.accounts),
                    "--links",
                    str(args.links),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            results[method].append(json.loads(out.stdout))
    base = [r["total_s"] for r in results["scipy"]]
    print(
        f"\n1. Full build + connected components ({results['scipy'][0]['edges']:,} links, "
        f"{results['scipy'][0]['identifiers']:,} identifiers, {results['scipy'][0]['components']:,} components)"
    )
    print(f"{'method':<10} {'build s':>22} {'components s':>22} {'total s':>22} {'x scipy':>8} {'peak RSS MB':>22}")
    for method, runs in results.items():
        ratio = statistics.median(r["total_s"] for r in runs) / statistics.median(base)
        assert len({r["components"] for r in runs} | {results["scipy"][0]["components"]}) == 1, "methods disagree"
        columns = [spread([r[key] for r in runs]) for key in ("build_s", "components_s", "total_s")]
        peak = spread([r["peak_rss_mb"] for r in runs], digits=0)
        print(f"{method:<10} {columns[0]:>22} {columns[1]:>22} {columns[2]:>22} {ratio:>8.2f} {peak:>22}")
    return results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def database_measurements(args) -> None:
    import random

    import numpy as np
    from sqlalchemy import select, text

    from odr import create_app
    from odr.accounts.models import Party
    from odr.extensions import db
    from odr.linkage import services
    from odr.linkage.models import AccountIdentifier, IdentifierKind, LinkedAccount

    accounts, codes, n_identifiers = generate(args.accounts, args.links)
    labels = services.components_from_edges(accounts, codes, args.accounts, n_identifiers)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "INSTANCE_PATH": str(Path(tmp) / "instance"),
                "DATABASE_URL": f"sqlite:///{Path(tmp) / 'db.sqlite3'}",
                "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
            }
        )
        with app.app_context(), app.test_request_context():
            db.create_all()
            platform = Party(name="Benchmark market", country="CN", preferred_language="zh", time_zone="UTC")
            db.session.add(platform)
            db.session.commit()
            started = time.perf_counter()
            raw = db.session.connection().connection.dbapi_connection
            raw.executemany(
                "INSERT INTO linkage_accounts (id, platform_party_id, ref, role, component_id, created_at)"
                " VALUES (?, ?, ?, 'seller', ?, '2026-12-01 00:00:00')",
                ((i + 1, platform.id, f"acc-{i}", int(labels[i]) + 1) for i in range(args.accounts)),
            )
            raw.executemany(
                "INSERT INTO linkage_identifiers (account_id, kind, digest, created_at)"
                " VALUES (?, 'phone', ?, '2026-12-01 00:00:00')",
                ((int(a) + 1, f"{int(c):064x}") for a, c in zip(accounts, codes, strict=True)),
            )
            raw.commit()
            sizes = np.bincount(labels)
            print(
                f"\nLoaded {args.accounts:,} accounts and {len(accounts):,} links into SQLite in "
                f"{time.perf_counter() - started:.0f} s; largest component {sizes.max()} accounts, "
                f"{(sizes > 1).sum():,} components with 2 or more"
            )
            rng = random.Random(15)
            update_runs, statement_runs, insert_runs, explain_runs, fetch_runs = [], [], [], [], []
            next_digest = n_identifiers
            for _ in range(args.repeat):
                updates, statements, inserts, explains, fetches = [], [], [], [], []
                for trial in range(args.samples):
                    account_id = rng.randint(1, args.accounts)
                    if trial % 2:  # half the new links hit an identifier another account holds: a merge
                        digest = f"{int(codes[rng.randrange(len(codes))]):064x}"
                    else:
                        digest, next_digest = f"{next_digest:064x}", next_digest + 1
                    t0 = time.perf_counter()
                    linked = db.session.get(LinkedAccount, account_id)
                    if not db.session.scalar(
                        select(AccountIdentifier.id).where(
                            AccountIdentifier.account_id == account_id, AccountIdentifier.digest == digest
                        )
                    ):
                        services.do_link(linked, [(IdentifierKind.PHONE, digest, None)])
                    statements.append(time.perf_counter() - t0)
                    db.session.commit()
                    updates.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    db.session.execute(
                        text(
                            "INSERT INTO linkage_identifiers (account_id, kind, digest, created_at)"
                            " VALUES (:a, 'shop_name', :d, '2026-12-01 00:00:00')"
                        ),
                        {"a": account_id, "d": f"bare-{next_digest}-{trial}"},
                    )
                    db.session.commit()
                    inserts.append(time.perf_counter() - t0)
                    db.session.expunge_all()
                for _trial in range(args.samples):
                    account_id = rng.randint(1, args.accounts)
                    t0 = time.perf_counter()
                    linked = db.session.get(LinkedAccount, account_id)
                    graph = services.component_graph([linked.component_id])
                    paths = services.explaining_paths(graph, {linked.id})
                    [services.path_steps(graph, path) for path in paths.values()]
                    explains.append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    component = db.session.scalar(
                        text("SELECT component_id FROM linkage_accounts WHERE id = :a"), {"a": account_id}
                    )
                    db.session.execute(
                        text(
                            "SELECT a.id, a.ref, i.digest, i.kind FROM linkage_accounts a JOIN linkage_identifiers i"
                            " ON i.account_id = a.id WHERE a.component_id = :c"
                        ),
                        {"c": component},
                    ).all()
                    fetches.append(time.perf_counter() - t0)
                    db.session.expunge_all()
                update_runs.append(updates)
                statement_runs.append(statements)
                insert_runs.append(inserts)
                explain_runs.append(explains)
                fetch_runs.append(fetches)
            report(
                "2. Incremental update (one new link, committed)",
                update_runs,
                insert_runs,
                "do_link + commit",
                "bare INSERT + commit",
                target_p99_ms=5,
                extra=("do_link before commit", statement_runs),
            )
            report(
                "3. Explanation query for one account",
                explain_runs,
                fetch_runs,
                "graph + paths",
                "raw SQL fetch",
                target_p99_ms=50,
            )


def report(title, runs, baseline_runs, name, baseline_name, target_p99_ms, extra=None) -> None:
    print(f"\n{title}: median [min-max] over {len(runs)} repetitions of {len(runs[0])} samples, ms")
    for label, series in ((name, runs), *([extra] if extra else []), (baseline_name, baseline_runs)):
        p50 = [percentile(r, 0.50) for r in series]
        p99 = [percentile(r, 0.99) for r in series]
        print(f"  {label:<22} p50 {spread(p50, 1000, 3):>24}  p99 {spread(p99, 1000, 3):>24}")
    ratio50 = statistics.median(percentile(r, 0.5) for r in runs) / statistics.median(
        percentile(r, 0.5) for r in baseline_runs
    )
    ratio99 = statistics.median(percentile(r, 0.99) for r in runs) / statistics.median(
        percentile(r, 0.99) for r in baseline_runs
    )
    p99 = statistics.median(percentile(r, 0.99) for r in runs) * 1000
    print(
        f"  ratio to {baseline_name}: p50 {ratio50:.2f}x, p99 {ratio99:.2f}x; "
        f"target p99 < {target_p99_ms} ms: {'met' if p99 < target_p99_ms else 'NOT met'} ({p99:.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--links", type=int, default=3_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=1000, help="updates and queries per repetition")
    parser.add_argument("--method", choices=["networkx", "scipy", "platform"], help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=["full", "database"], help="run one part only")
    args = parser.parse_args()
    if args.method:
        print(json.dumps(run_method(args.method, args.accounts, args.links)))
        return
    print(
        f"linkage_scale: {args.accounts:,} accounts, {args.links:,} links, {args.repeat} repetitions, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    if args.only != "database":
        full_builds(args)
    if args.only != "full":
        database_measurements(args)


if __name__ == "__main__":
    main()
