"""Every benchmark of the platform, one after the other: ``make bench`` (``make bench QUICK=1`` for small sizes).

    .venv/bin/python benchmarks/run.py [--quick] [--only NAME ...] [--database URL] [--list]

Each benchmark measures the platform next to a baseline in the same run (a bare read of the same rows,
``sha256sum`` + ``sha512sum``, scipy, CTranslate2 directly, ...), repeats it at least five times and prints
median [min-max] and the ratio to its baseline. Their docstrings say what is measured; docs/performance.md
keeps the figures with the command, the machine and the date. The machine's load is printed before each,
because on a shared machine it decides the spreads. ``--database`` runs the benchmarks of the platform's records
(DATABASE_BENCHMARKS) on that database instead of a new SQLite file: give PostgreSQL a database of its own, since
they drop and make the platform's tables there; the others measure files, memory or models and run as they are.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name: (script, arguments, arguments with --quick)
BENCHMARKS = {
    "pages": ("page_reads.py", [], ["--quick"]),
    "bulk": ("bulk_intake.py", [], ["--listings", "2000"]),
    "intake": ("intake.py", [], ["--notices", "96"]),
    "bundle": ("bundle_streaming.py", ["--mb", "1024"], ["--mb", "128"]),
    "linkage": (
        "linkage_scale.py",
        [],
        ["--accounts", "100000", "--links", "300000", "--samples", "200", "--only", "database"],
    ),
    "sweep": ("deadline_sweep.py", [], ["--quick"]),
    "translation": ("translation_throughput.py", [], ["--filings", "40", "--big-filings", "10", "--only", "tiny"]),
}

# The benchmarks that take ``--database``: what they measure is the platform's records on that engine.
DATABASE_BENCHMARKS = frozenset({"pages", "bulk", "intake", "sweep"})


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a shared machine")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run these benchmarks only")
    parser.add_argument("--database", default="", help="a database URL for " + ", ".join(sorted(DATABASE_BENCHMARKS)))
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args()
    if args.list:
        for name, (script, full, quick) in BENCHMARKS.items():
            print(f"{name}: {script} {' '.join(full)} (quick: {' '.join(quick)})")
        return 0
    print(f"# benchmarks, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"# {platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs")
    failed = []
    for name in args.only or BENCHMARKS:
        script, full, quick = BENCHMARKS[name]
        command = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        if args.database and name in DATABASE_BENCHMARKS:
            command += ["--database", args.database]
        print(f"\n## {name}: {' '.join(command[1:])}")
        print(f"# load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
        started = time.perf_counter()
        if subprocess.run(command, check=False).returncode != 0:
            failed.append(name)
        print(f"# {name} took {time.perf_counter() - started:.0f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
