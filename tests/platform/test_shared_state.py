"""Scale-out shares state: one store of files, one signing key, one secret key for every node.

The object store in these tests is moto's S3-compatible server (``moto.server.ThreadedMotoServer``, started
on this machine: a real HTTP S3 endpoint that boto3 talks to as it would to MinIO or Ceph), not a mock of
boto3. The database is the test database (PostgreSQL too with ODR_TEST_POSTGRES_URL), Redis the local one.
"""

from __future__ import annotations

import io
import json
import os
import socket
import stat
import uuid
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from odr import create_app
from odr.accounts.models import Role
from odr.config import ConfigError
from odr.evidence import storage
from odr.export import verifier
from odr.export.services import pin_platform_key
from odr.extensions import db
from odr.integrity import keys, vault
from odr.queue import run_periodic_jobs
from tests.conftest import Api, IsolatedClient, make_account, notice_data

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
SECRET = "shared-secret-key-of-the-deployment-0123456789"
REDIS_URL = os.environ.get("ODR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def s3_url():
    """An S3-compatible server on this machine (moto's server mode) with an empty bucket."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    port = _free_port()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    bucket = f"odr-{uuid.uuid4().hex[:12]}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    ).create_bucket(Bucket=bucket)
    try:
        yield endpoint, f"s3://{bucket}/odr"
    finally:
        server.stop()


def _node(tmp_path: Path, name: str, database_url: str, extra: dict) -> object:
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / name),
            "DATABASE_URL": database_url,
            "SECRET_KEY": SECRET,
            "EVIDENCE_DIR": str(tmp_path / name / "evidence"),
            "EXPORT_DIR": str(tmp_path / name / "exports"),
            "KEY_STORE": "database",
            **extra,
            "FLASK": {"TESTING": True, "RATELIMIT_KEY_PREFIX": f"odr-test-{uuid.uuid4().hex}"},
        }
    )
    app.test_client_class = IsolatedClient
    return app


@pytest.mark.postgres
def test_a_case_goes_from_notice_to_court_bundle_across_two_nodes_and_a_worker(tmp_path, database_url, s3_url):
    endpoint, url = s3_url
    shared = {
        "STORAGE_URL": url,
        "S3_ENDPOINT_URL": endpoint,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "k",
        "S3_SECRET_ACCESS_KEY": "s",
        "REDIS_URL": REDIS_URL,
    }
    node_a, node_b, worker = (_node(tmp_path, name, database_url, shared) for name in ("a", "b", "worker"))
    with node_a.app_context():
        db.create_all()
        holder = make_account(Role.RIGHT_HOLDER, "holder@example.es")
        seller = make_account(Role.SELLER, "seller@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
        court = make_account(
            Role.COURT, "clerk@court.example.cn", country="CN", language="zh", receives_escalations_for="CN"
        )
        pin_platform_key(court)  # the court pins the deployment's key when its account is made (on node A)
        db.session.commit()
        pinned = keys.platform_key().key_id
        holder, seller, court = (SimpleNamespace(email=a.email) for a in (holder, seller, court))
    try:
        a, b = node_a.test_client(), node_b.test_client()
        # Evidence arrives on node A ...
        filed = Api(a, holder).upload("/cases", notice_data(), [("foto.png", PNG)])
        assert filed.status_code == 201, filed.get_json()
        case_id = filed.get_json()["id"]
        evidence_id = Api(a, holder).get(f"/cases/{case_id}").get_json()["evidence"][0]["id"]
        # ... is read on node B, where the case goes on and is escalated.
        download = Api(b, seller).get(f"/cases/{case_id}/evidence/{evidence_id}")
        assert download.data == PNG
        download.close()
        response = Api(b, seller).post(
            f"/cases/{case_id}/filings", {"kind": "response", "language": "zh", "text": "我们的产品是正品。"}
        )
        assert response.status_code == 201, response.get_json()
        assert Api(b, holder).post(f"/cases/{case_id}/actions/escalate").status_code == 200
        # Nothing of it lies in either node's own folders: the files are in the object store.
        assert not any(p.is_file() and not p.name.startswith(".") for p in (tmp_path / "a" / "evidence").rglob("*"))
        assert not (tmp_path / "b" / "exports").exists() or not list((tmp_path / "b" / "exports").iterdir())
        # The worker (a third process's app) sweeps the deployment and sees the same files.
        with worker.app_context():
            run_periodic_jobs()
            exports = db.session.execute(text("SELECT stored_name, key_id FROM case_exports")).all()
            assert len(exports) == 1 and exports[0].key_id == pinned
            assert storage.blob_store().exists("exports", exports[0].stored_name)
        # The court downloads the bundle on node A and verifies it with the key it pinned.
        court_api = Api(a, court)
        assert court_api.get("/court/exports").get_json()["pinned_key_id"] == pinned
        bundle = court_api.get(f"/cases/{case_id}/export")
        assert bundle.status_code == 200
        path = tmp_path / "bundle.zip"
        path.write_bytes(bundle.data)
        bundle.close()
        key_log = b.get("/.well-known/odr-key-log.json").data
        assert key_log == a.get("/.well-known/odr-key-log.json").data
        out = io.StringIO()
        assert verifier.verify_bundle(str(path), pinned, None, out, key_log=key_log) == 0, out.getvalue()
        with zipfile.ZipFile(path) as archive:
            evidence = json.loads(archive.read(f"{archive.namelist()[0].split('/')[0]}/data/case.json"))["evidence"]
        # The photograph (the notice's element files, its certificate and evidence, come with it).
        (item,) = [e for e in evidence if e["original_name"] == "foto.png"]
        assert item["sha256"] == item["sha256_at_receipt"] and "integrity_alarm" not in item  # uploaded on node A
    finally:
        with node_a.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        for node in (node_b, worker):
            with node.app_context():
                db.engine.dispose()


def test_two_nodes_with_the_database_key_store_sign_with_one_key(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    node_a, node_b = (_node(tmp_path, name, database_url, {}) for name in ("a", "b"))
    with node_a.app_context():
        db.create_all()
        first = keys.platform_key()
        db.session.commit()
        sealed = db.session.get(vault.PlatformSecret, keys.SIGNING).sealed
        assert b"PRIVATE KEY" not in sealed  # sealed under ODR_SECRET_KEY, never in the clear
    with node_b.app_context():
        assert keys.platform_key().key_id == first.key_id
        assert keys.key_log_bytes() == node_a.test_client().get("/.well-known/odr-key-log.json").data
    assert not list((tmp_path / "a").rglob("*.pem")) and not list((tmp_path / "b").rglob("*.pem"))
    other = create_app(
        {"INSTANCE_PATH": str(tmp_path / "c"), "DATABASE_URL": database_url, "SECRET_KEY": "another-" * 6}
        | {"KEY_STORE": "database"}
    )
    with other.app_context(), pytest.raises(RuntimeError, match="cannot be opened with this ODR_SECRET_KEY"):
        keys.platform_key()
    with node_a.app_context():
        db.engine.dispose()


def test_a_rotation_in_the_database_key_store_reaches_every_node(tmp_path):
    from datetime import datetime, timedelta, timezone

    database_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    node_a, node_b = (_node(tmp_path, name, database_url, {}) for name in ("a", "b"))
    with node_a.app_context():
        db.create_all()
        old, new = keys.rotate(timedelta(days=1), datetime(2026, 12, 3, tzinfo=timezone.utc))
        assert vault.read_row(f"{keys.SIGNING}.retired-{old.key_id[:16]}")
    with node_b.app_context():
        assert keys.platform_key().key_id == new.key_id
        assert [k["key_id"] for k in keys.key_history(keys.read_key_log())] == [old.key_id, new.key_id]
    with node_a.app_context():
        db.engine.dispose()


def test_a_mounted_signing_key_is_never_generated(tmp_path):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SECRET_KEY": SECRET,
            "KEY_STORE": "file",
            "SIGNING_KEY_PATH": str(tmp_path / "mounted" / "key.pem"),
        }
    )
    with app.app_context():
        db.create_all()
        with pytest.raises(RuntimeError, match="never generates"):
            keys.platform_key()
        assert not (tmp_path / "mounted" / "key.pem").exists()
        db.engine.dispose()


def test_development_keeps_one_secret_key_for_every_process_of_the_machine(tmp_path, monkeypatch):
    monkeypatch.delenv("ODR_SECRET_KEY", raising=False)
    settings = {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    first, second = create_app(dict(settings)), create_app(dict(settings))
    assert first.secret_key == second.secret_key
    assert stat.S_IMODE((tmp_path / "keys" / "secret-key").stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "setting",
    [
        {"DATABASE_URL": "postgresql+psycopg://127.0.0.1:5432/test"},
        {"REDIS_URL": "redis://127.0.0.1:6379/0"},
        {"STORAGE_URL": "s3://bucket"},
    ],
)
def test_a_shared_deployment_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch, setting):
    monkeypatch.delenv("ODR_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="ODR_SECRET_KEY must be set when several nodes"):
        create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://", **setting})


def test_stored_files_and_keys_are_private_to_the_platform(app, world, tmp_path):
    from odr.cases import services

    case = services.file_notice(world.holder, notice_data(), [services.Upload(io.BytesIO(PNG), "foto.png")]).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "否认。"})
    services.take_action(world.holder, case.id, "escalate")
    evidence = storage.path_of(app.config["ODR"]["EVIDENCE_DIR"], case.evidence[0].stored_name)
    bundles = list(Path(app.config["ODR"]["EXPORT_DIR"]).iterdir())
    assert bundles
    for path in [evidence, *bundles, keys.key_path()]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent
