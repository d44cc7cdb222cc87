"""`odr backup` and `odr restore`: a round trip on SQLite and PostgreSQL, and a manifest checked first."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest

from odr.cases import services
from odr.cases.models import Case, EvidenceFile
from odr.evidence.storage import blob_store
from odr.export.models import CaseExport
from odr.extensions import db
from odr.integrity import keys
from odr.ops.backup import BackupError, backup, restore
from tests.conftest import notice_data

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

pytestmark = pytest.mark.postgres


def _escalated(world) -> int:
    case = services.file_notice(world.holder, notice_data(), [services.Upload(io.BytesIO(PNG), "foto.png")]).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "否认。"})
    services.take_action(world.holder, case.id, "escalate")
    return case.id


def _read(area: str, name: str) -> bytes:
    with blob_store().open(area, name) as fh:
        return fh.read()


def test_a_backup_restores_the_deployment_as_it_was(app, world, tmp_path):
    case_id = _escalated(world)
    key_id = keys.platform_key().key_id
    export = db.session.scalars(db.select(CaseExport)).one()
    bundle = _read("exports", export.stored_name)
    # The photograph (the notice's element files, its certificate and evidence, come with it).
    evidence = (
        db.session.scalars(db.select(EvidenceFile).where(EvidenceFile.original_name == "foto.png")).one().stored_name
    )
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert f"files/evidence/{evidence}" in manifest["files"]
    assert f"files/exports/{export.stored_name}" in manifest["files"]
    assert stat.S_IMODE((tmp_path / "backup").stat().st_mode) == 0o700
    # Afterwards: a case filed after the backup, the files and the keys lost.
    later = services.file_notice(world.holder, notice_data(title="after the backup")).obj.id
    blob_store().delete("evidence", evidence)
    blob_store().delete("exports", export.stored_name)
    for path in keys.key_path().parent.iterdir():
        path.unlink()
    restore(tmp_path / "backup")
    db.session.remove()
    assert db.session.get(Case, case_id) is not None and db.session.get(Case, later) is None
    assert _read("evidence", evidence) == PNG and _read("exports", export.stored_name) == bundle
    assert keys.platform_key().key_id == key_id


def test_restore_checks_the_manifest_before_it_writes_anything(app, world, tmp_path):
    case_id = _escalated(world)
    backup(tmp_path / "backup")
    later = services.file_notice(world.holder, notice_data(title="after the backup")).obj.id
    evidence = next((tmp_path / "backup" / "files" / "evidence").iterdir())
    evidence.write_bytes(b"tampered")
    with pytest.raises(BackupError, match=f"changed: files/evidence/{evidence.name}"):
        restore(tmp_path / "backup")
    (tmp_path / "backup" / "extra").write_text("x")
    with pytest.raises(BackupError, match="not in the manifest: extra"):
        restore(tmp_path / "backup")
    assert db.session.get(Case, later) is not None and db.session.get(Case, case_id) is not None  # untouched


def test_a_backup_goes_into_an_empty_folder_only(app, world, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    with pytest.raises(BackupError, match="not empty"):
        backup(tmp_path / "full")
    assert Path(tmp_path / "full" / "something").read_text() == "x"
