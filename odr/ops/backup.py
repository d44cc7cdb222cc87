"""``odr backup DEST`` and ``odr restore SRC``: a consistent online snapshot of a deployment and its return.

A backup is a folder (0700, files 0600):

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while the platform runs) or
  ``database.pgdump`` (``pg_dump --format=custom``, one transaction's snapshot);
- ``queue.sqlite3``: the SQLite queue, the same way (with Redis the queue is not copied: it holds only
  requests to do work, and the minute sweeps make them again from the database);
- ``files/<area>/<name>``: evidence and deposited works, court bundles, agreement PDFs, read from the store
  after the database (stored files are written before the rows that name them commit and never change,
  so every file the snapshot names is there);
- ``keys/``: the signing key, its key log and the linkage key when they live in the instance folder (with
  ``ODR_KEY_STORE=database`` they are in the database copy, sealed under ``ODR_SECRET_KEY``, which the backup
  does not hold: keep it in your secret store);
- ``manifest.json``: the SHA-256 and size of every other file. ``odr restore`` checks it before it writes
  anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from flask import current_app

from odr.evidence.storage import AREAS, blob_store
from odr.extensions import db
from odr.integrity import keys, vault
from odr.models_base import utcnow

FORMAT = "odr-backup/1"
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """The backup cannot be made or restored; nothing was changed."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _private(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[1] if "///" in url else ""
    if not path or path == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(path)


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()
    os.chmod(target, 0o600)


def _libpq(url: str) -> tuple[str, list[str]]:
    """The SQLAlchemy URL as libpq takes it, and the schema its search_path names (pg_dump --schema)."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    query = parse_qs(parts.query)
    schemas: list[str] = []
    for option in query.get("options", []):
        for word in unquote(option).split():
            if word.startswith("-csearch_path="):
                schemas += [s for s in word.split("=", 1)[1].split(",") if s]
    return urlunsplit((scheme, parts.netloc, parts.path, parts.query, "")), schemas


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def backup(dest: str | Path) -> dict:
    """Write a backup of the deployment into the new folder ``dest``; returns its manifest."""
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty")
    _private(dest)
    cfg = current_app.config["ODR"]
    url = str(cfg["DATABASE_URL"])
    notes: list[str] = []
    # 1. The database first: every file it names is already in the store.
    sqlite_path = _sqlite_path(url)
    if sqlite_path is not None:
        _sqlite_copy(sqlite_path, dest / "database.sqlite3")
        engine = "sqlite"
    else:
        libpq, schemas = _libpq(url)
        target = dest / "database.pgdump"
        _run(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
            + [f"--schema={schema}" for schema in schemas]
            + [libpq]
        )
        os.chmod(target, 0o600)
        engine = "postgresql"
    # 2. The queue.
    queue = Path(cfg["QUEUE_PATH"])
    if cfg.get("REDIS_URL"):
        notes.append("queue in Redis not copied: the minute sweeps make its jobs again from the database")
    elif queue.exists():
        _sqlite_copy(queue, dest / "queue.sqlite3")
    # 3. The stored files.
    blobs = blob_store()
    for area in AREAS:
        folder = _private(dest / "files" / area)
        for name in blobs.names(area):
            try:
                with blobs.open(area, name) as source, open(folder / name, "wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
            except FileNotFoundError:
                continue
            os.chmod(folder / name, 0o600)
    # 4. Keys kept in the instance folder.
    if vault.key_store() == "instance":
        folder = _private(dest / "keys")
        key_folder = keys.key_path().parent
        if key_folder.is_dir():
            for path in sorted(key_folder.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    shutil.copyfile(path, folder / path.name)
                    os.chmod(folder / path.name, 0o600)
    else:
        notes.append(f"keys are in the database (ODR_KEY_STORE={vault.key_store()}), sealed under ODR_SECRET_KEY")
    files = {
        str(path.relative_to(dest)): {"sha256": _sha256(path), "size": path.stat().st_size}
        for path in sorted(dest.rglob("*"))
        if path.is_file() and path.name != "manifest.json"
    }
    manifest = {
        "format": FORMAT,
        "created_at": utcnow().isoformat().replace("+00:00", "Z"),
        "database": engine,
        "key_store": vault.key_store(),
        "notes": notes,
        "files": files,
    }
    manifest_path = dest / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    os.chmod(manifest_path, 0o600)
    return manifest


def verify(src: str | Path) -> dict:
    """The backup's manifest, once every file matches it and no file is missing or added."""
    src = Path(src)
    try:
        manifest = json.loads((src / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"no readable manifest in {src}: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src} is not a backup of this format ({FORMAT})")
    present = {str(p.relative_to(src)) for p in src.rglob("*") if p.is_file() and p.name != "manifest.json"}
    listed = set(manifest["files"])
    problems = [f"missing: {name}" for name in sorted(listed - present)]
    problems += [f"not in the manifest: {name}" for name in sorted(present - listed)]
    for name in sorted(listed & present):
        if _sha256(src / name) != manifest["files"][name]["sha256"]:
            problems.append(f"changed: {name}")
    if problems:
        raise BackupError("the backup does not match its manifest; nothing was restored:\n" + "\n".join(problems))
    return dict(manifest)


def restore(src: str | Path) -> dict:
    """Put the deployment back as the backup ``src`` holds it (its manifest checked first)."""
    src = Path(src)
    manifest = verify(src)
    cfg = current_app.config["ODR"]
    url = str(cfg["DATABASE_URL"])
    sqlite_path = _sqlite_path(url)
    if (manifest["database"] == "sqlite") != (sqlite_path is not None):
        raise BackupError(f"the backup holds a {manifest['database']} database; this deployment uses another engine")
    db.session.remove()
    db.engine.dispose()
    if sqlite_path is not None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_copy(src / "database.sqlite3", sqlite_path)
    else:
        libpq, _schemas = _libpq(url)
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", f"--dbname={libpq}"]
            + [str(src / "database.pgdump")]
        )
    if (src / "queue.sqlite3").exists() and not cfg.get("REDIS_URL"):
        _sqlite_copy(src / "queue.sqlite3", Path(cfg["QUEUE_PATH"]))
    blobs = blob_store()
    for area in AREAS:
        folder = src / "files" / area
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            staged = blobs.staging_dir(area) / f".restore-{path.name}"
            shutil.copyfile(path, staged)
            blobs.put(area, path.name, staged)
    if (src / "keys").is_dir() and vault.key_store() == "instance":
        key_folder = _private(keys.key_path().parent)
        for path in sorted((src / "keys").iterdir()):
            staged = key_folder / f".{path.name}.restore"
            shutil.copyfile(path, staged)
            os.chmod(staged, 0o600 if path.name != keys.key_log_path().name else 0o644)
            os.replace(staged, key_folder / path.name)
    return manifest
