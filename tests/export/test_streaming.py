"""Exporting and verifying run in constant memory: a bigger evidence file does not raise the peak.

The 1 GB run is benchmarks/bundle_streaming.py; here two smaller sizes, side by side.
"""

from __future__ import annotations

import hashlib
import io
import secrets
import tracemalloc
from pathlib import Path

from odr.cases import services
from odr.cases.models import EvidenceFile
from odr.export import verifier
from odr.extensions import db
from odr.integrity.keys import platform_key
from tests.conftest import notice_data
from tests.export.conftest import stored_bundle

MB = 1024 * 1024


def large_evidence(app, case, account, size: int) -> None:
    """A sparse file of ``size`` bytes stored as the case's evidence (as storage.store would leave it)."""
    folder = Path(app.config["ODR"]["EVIDENCE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    with open(folder / name, "wb") as fh:
        fh.write(b"%PDF-1.7\n")
        fh.truncate(size)
    digest = hashlib.sha256()
    with open(folder / name, "rb") as fh:
        for chunk in iter(lambda: fh.read(MB), b""):
            digest.update(chunk)
    db.session.add(
        EvidenceFile(
            case_id=case.id,
            stored_name=name,
            original_name="scan.pdf",
            sha256=digest.hexdigest(),
            size=size,
            media_type="application/pdf",
            uploaded_by_id=account.id,
        )
    )
    db.session.commit()


def peak_of(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def export_and_verify(app, world, size: int) -> tuple[int, int]:
    case = services.file_notice(world.holder, notice_data()).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "不同意。"})
    large_evidence(app, case, world.holder, size)
    export_peak = peak_of(lambda: services.take_action(world.holder, case.id, "escalate"))
    _export, path = stored_bundle(app, case.id)
    out = io.StringIO()
    key_id = platform_key().key_id
    verify_peak = peak_of(lambda: out.write(str(verifier.verify_bundle(str(path), key_id, out=out))))
    assert "RESULT: the bundle is valid" in out.getvalue()
    return export_peak, verify_peak


def test_memory_does_not_grow_with_the_evidence(app, world):
    small = export_and_verify(app, world, 4 * MB)
    large = export_and_verify(app, world, 64 * MB)
    for small_peak, large_peak in zip(small, large, strict=True):
        # 16x the evidence, same peak within a few chunks (1 MB each): nothing is held whole.
        assert large_peak < small_peak + 4 * MB, (small, large)
        assert large_peak < 16 * MB, (small, large)
