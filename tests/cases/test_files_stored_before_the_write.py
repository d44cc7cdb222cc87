"""A notice's files are stored before anything of it is written: the case's first write takes SQLite's write lock
until the commit, and every other writer (the other web processes, the queue) waits while it is held, so storing and
syncing files under it would make them all wait for the disk too. A file stored for a notice that then fails is
removed again."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import event, func, select

from odr.cases import services
from odr.cases.models import Case, EvidenceFile
from odr.evidence import storage
from odr.extensions import db
from tests.conftest import PDF, notice_data

WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def order(monkeypatch):
    """What happened, in order: a file stored ("file") or a statement that writes ("write")."""
    seen: list[str] = []
    real_store = storage.store

    def store(*args, **kwargs):
        seen.append("file")
        return real_store(*args, **kwargs)

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(WRITES):
            seen.append("write")

    monkeypatch.setattr(storage, "store", store)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    yield seen
    event.remove(engine, "before_cursor_execute", before)


def test_a_notices_evidence_and_element_files_are_stored_before_its_first_write(world, order):
    photo = services.Upload(io.BytesIO(PDF), "listing-photo.pdf")

    case = services.file_notice(world.holder, notice_data(), [photo]).obj

    # The evidence file and the two element files of notice_data() (the right certificate, the evidence file).
    assert order.count("file") == 3
    assert "file" not in order[order.index("write") :]
    names = db.session.scalars(select(EvidenceFile.original_name).where(EvidenceFile.case_id == case.id)).all()
    assert sorted(names) == ["listing-photo.pdf", "test-purchase.pdf", "trademark-certificate.pdf"]


def test_files_stored_ahead_of_a_notice_that_fails_are_removed(world, order, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the platform failed while opening the case")

    monkeypatch.setattr(services, "open_case", fail)
    with pytest.raises(RuntimeError):
        services.file_notice(world.holder, notice_data(), [services.Upload(io.BytesIO(PDF), "photo.pdf")])

    assert order.count("file") == 3
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0
    evidence = storage.blob_store().staging_dir("evidence")
    assert [path.name for path in evidence.rglob("*") if path.is_file()] == []
