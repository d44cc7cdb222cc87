"""Export and verify a case with 1 GB of evidence: time and peak memory against ``sha256sum`` + ``sha512sum``.

    .venv/bin/python benchmarks/bundle_streaming.py [--mb 1024] [--repetitions 5]

Prints, side by side in one process and for each repetition (a new case each time): running ``sha256sum``
and then ``sha512sum`` over the evidence file (the baseline: the least an export that computes both digests
must read), exporting the bundle (hashing SHA-256 + SHA-512 and writing the zip), and verifying it; median
[min-max] over the repetitions, the ratio of each to the baseline, the Python heap peak (tracemalloc) and the
process's maximum RSS. (An earlier baseline copied the evidence file; the file is sparse, so the copy read
almost nothing and the ratios said 13-35x.)
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MB = 1024 * 1024


def measure(action):
    tracemalloc.start()
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    from odr import create_app
    from odr.accounts.models import Role
    from odr.cases import services
    from odr.export import verifier
    from odr.extensions import db
    from odr.integrity.keys import platform_key
    from tests.conftest import make_account, notice_data
    from tests.export.conftest import stored_bundle
    from tests.export.test_streaming import large_evidence

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        app = create_app(
            {
                "INSTANCE_PATH": str(tmp / "instance"),
                "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
                "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
                "EVIDENCE_DIR": str(tmp / "evidence"),
                "EXPORT_DIR": str(tmp / "exports"),
            }
        )
        with app.app_context(), app.test_request_context():
            db.create_all()
            holder = make_account(Role.RIGHT_HOLDER, "holder@example.es")
            seller = make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh")
            make_account(
                Role.COURT, "clerk@court.example.cn", country="CN", language="zh", receives_escalations_for="CN"
            )
            results: dict[str, list[tuple[float, float]]] = {"hash": [], "export": [], "verify": []}
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            for repetition in range(args.repetitions):
                case = services.file_notice(holder, notice_data(title=f"Case {repetition}")).obj
                services.add_filing(seller, case.id, {"kind": "response", "language": "zh", "text": "不同意。"})
                large_evidence(app, case, holder, args.mb * MB)
                source = max((tmp / "evidence").iterdir(), key=lambda p: p.stat().st_mtime)

                def both_digests(path=source):
                    for tool in ("sha256sum", "sha512sum"):
                        subprocess.run([tool, str(path)], check=True, capture_output=True)

                results["hash"].append(measure(both_digests))
                results["export"].append(measure(lambda c=case: services.take_action(holder, c.id, "escalate")))
                _export, path = stored_bundle(app, case.id)
                out = io.StringIO()
                results["verify"].append(
                    measure(lambda p=path, o=out: verifier.verify_bundle(str(p), platform_key().key_id, out=o))
                )
                assert "RESULT: the bundle is valid" in out.getvalue(), out.getvalue()
                source.unlink()
                path.unlink()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"evidence: {args.mb} MB, {args.repetitions} repetitions; median [min-max]")
    print("| step | seconds | x sha256sum+sha512sum | heap peak MB |")
    print("|---|---|---|---|")
    base = statistics.median(seconds for seconds, _peak in results["hash"])
    for name, key in (
        ("sha256sum + sha512sum (baseline)", "hash"),
        ("export bundle", "export"),
        ("verify bundle", "verify"),
    ):
        times = [seconds for seconds, _peak in results[key]]
        peak = max(p for _seconds, p in results[key])
        print(
            f"| {name} | {statistics.median(times):.2f} [{min(times):.2f}-{max(times):.2f}] "
            f"| {statistics.median(times) / base:.2f}x | {peak / MB:.1f} |"
        )
    print(
        f"max RSS before the first export {rss_before / 1024:.0f} MB, "
        f"after every export and verify {rss_after / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
