"""A case escalated to the court, with evidence, built through the services as the platform would."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from odr.cases import services
from odr.export.models import CaseExport
from odr.extensions import db
from tests.conftest import notice_data

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def escalate(world, evidence=(("foto.png", PNG),)):
    uploads = [services.Upload(io.BytesIO(content), name) for name, content in evidence]
    case = services.file_notice(world.holder, notice_data(), uploads, remote_addr="203.0.113.7").obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "我们的产品是正品。"})
    services.take_action(world.holder, case.id, "escalate")
    return case


def stored_bundle(app, case_id) -> tuple[CaseExport, Path]:
    export = db.session.query(CaseExport).filter_by(case_id=case_id).order_by(CaseExport.export_seq.desc()).first()
    return export, Path(app.config["ODR"]["EXPORT_DIR"]) / export.stored_name


@pytest.fixture
def escalated(app, world):
    case = escalate(world)
    export, path = stored_bundle(app, case.id)
    return case, export, path


@pytest.fixture
def bag(escalated, tmp_path) -> Path:
    """The bundle unpacked into a folder, as a court would before `sha256sum -c`."""
    _case, _export, path = escalated
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "unpacked")
    (folder,) = (tmp_path / "unpacked").iterdir()
    return folder
