"""Export and verify a case with 1 GB of evidence: time and peak memory against a plain file copy.

    .venv/bin/python benchmarks/bundle_streaming.py [--mb 1024]

Prints, side by side in one process: copying the evidence file (the baseline), exporting the
bundle (hashing SHA-256 + SHA-512 and writing the zip), and verifying it; with the ratio of
each to the baseline, the Python heap peak (tracemalloc) and the process's maximum RSS.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
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
            case = services.file_notice(holder, notice_data()).obj
            services.add_filing(seller, case.id, {"kind": "response", "language": "zh", "text": "不同意。"})
            large_evidence(app, case, holder, args.mb * MB)
            source = next((tmp / "evidence").iterdir())
            copy_s, copy_peak = measure(lambda: shutil.copyfile(source, tmp / "copy.bin"))
            (tmp / "copy.bin").unlink()
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            export_s, export_peak = measure(lambda: services.take_action(holder, case.id, "escalate"))
            _export, path = stored_bundle(app, case.id)
            out = io.StringIO()
            verify_s, verify_peak = measure(lambda: verifier.verify_bundle(str(path), platform_key().key_id, out=out))
            assert "RESULT: the bundle is valid" in out.getvalue(), out.getvalue()
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"evidence: {args.mb} MB")
    print(f"{'step':<22}{'seconds':>9}{'x copy':>9}{'heap peak MB':>14}")
    for name, seconds, peak in (
        ("copy (baseline)", copy_s, copy_peak),
        ("export bundle", export_s, export_peak),
        ("verify bundle", verify_s, verify_peak),
    ):
        print(f"{name:<22}{seconds:>9.2f}{seconds / copy_s:>9.1f}{peak / MB:>14.1f}")
    print(f"max RSS before export {rss_before / 1024:.0f} MB, after export and verify {rss_after / 1024:.0f} MB")


if __name__ == "__main__":
    main()
