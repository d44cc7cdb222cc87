"""Stored files (evidence, deposited works, court bundles, agreement PDFs): generated names, hashes computed
while streaming, types sniffed not trusted, in one store per deployment (a local folder or S3-compatible
object storage) that every web node and worker shares."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from flask import Response, current_app, send_file

from odr.errors import NotFound, ValidationFailed
from odr.extensions import gettext as _

CHUNK = 1024 * 1024

# Leading bytes of the types evidence usually comes in. Anything else is stored as opaque bytes.
_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"PK\x03\x04", "application/zip"),
]


def sniff_media_type(head: bytes) -> str:
    for magic, media_type in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    try:
        head.decode("utf-8")
        return "text/plain"
    except UnicodeDecodeError:
        return "application/octet-stream"


def peek_media_type(stream: Any) -> str:
    """The type of an upload from its first bytes, the stream left at its start (uploads can seek)."""
    head = stream.read(64)
    stream.seek(0)
    return sniff_media_type(head)


def safe_display_name(name: str | None) -> str:
    """The uploaded name as data: no path, no control characters, bounded length."""
    base = (name or "").replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:255] or "upload"


@dataclass
class StoredFile:
    stored_name: str
    original_name: str
    sha256: str
    size: int
    media_type: str
    area: str = "evidence"

    def discard(self) -> None:
        """Remove the stored file (its submission did not commit)."""
        blob_store().delete(self.area, self.stored_name)


def store(
    stream: BinaryIO, original_name: str | None, area: str, max_bytes: int, field: str = "evidence"
) -> StoredFile:
    """Copy an upload into the ``area`` of the deployment's store (``blob_store()``) under a generated
    name, hashing it on the way, in constant memory.

    Empty files and files over ``max_bytes`` are refused and leave nothing behind.
    """
    blobs = blob_store()
    folder = blobs.staging_dir(area)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise ValidationFailed(
                        _("The upload is too large: the limit is %(limit)s MB.", limit=max_bytes // (1024 * 1024)),
                        {field: _("File too large.")},
                        code="too_large",
                    )
                if len(head) < 64:
                    head += chunk[: 64 - len(head)]
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationFailed(
                _("The file %(name)s is empty.", name=safe_display_name(original_name)),
                {field: _("Empty file.")},
                code="empty_file",
            )
        stored_name = secrets.token_hex(16)
        blobs.put(area, stored_name, Path(tmp))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StoredFile(
        stored_name=stored_name,
        original_name=safe_display_name(original_name),
        sha256=digest.hexdigest(),
        size=size,
        media_type=sniff_media_type(head),
        area=area,
    )


def check_name(stored_name: str) -> str:
    if not stored_name or not stored_name.isalnum() or not stored_name.isascii():
        raise ValueError("not a stored name")
    return stored_name


# -- the store: one interface, a local folder or S3-compatible object storage ------------------------

# The areas of the store and, for the local folder, the setting that names each one's folder.
AREAS = {"evidence": "EVIDENCE_DIR", "exports": "EXPORT_DIR", "agreements": "AGREEMENT_DIR"}


class BlobStore(ABC):
    """Where the files of a deployment live: evidence and deposited works, court bundles, agreement PDFs.

    Every web node and worker of a deployment must see the same store (docs/operations.md): a local folder
    (the embedded default, also a shared POSIX mount) or an S3-compatible bucket (``ODR_STORAGE_URL``)."""

    @abstractmethod
    def staging_dir(self, area: str) -> Path:
        """A local folder to write a new file in before ``put`` (same file system as the area if local)."""

    @abstractmethod
    def put(self, area: str, name: str, source: Path) -> None:
        """Move the finished local file ``source`` into the store under ``name`` (``source`` is gone after)."""

    @abstractmethod
    def exists(self, area: str, name: str) -> bool: ...

    @abstractmethod
    def open(self, area: str, name: str) -> BinaryIO:
        """The stored bytes for reading; FileNotFoundError if they are not there."""

    @abstractmethod
    def delete(self, area: str, name: str) -> None: ...

    @abstractmethod
    def names(self, area: str) -> Iterator[str]:
        """Every stored name of an area (backups)."""

    @abstractmethod
    def written(self, area: str) -> Iterator[tuple[str, float]]:
        """Every stored name of an area with when it was written (Unix seconds): the orphan sweep."""

    def remove_staged(self, area: str, before: float) -> int:
        """Remove what a killed process left in the area's staging folder (files named ``.…``, written
        before ``before``); how many were removed."""
        removed = 0
        for path in self.staging_dir(area).glob(".*"):
            try:
                if path.is_file() and path.stat().st_mtime < before:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # removed meanwhile (its request finished or another sweeper)
                continue
        return removed

    @contextmanager
    def local_path(self, area: str, name: str) -> Iterator[Path | None]:
        """A local file with the stored bytes for as long as the block runs; None if they are missing."""
        try:
            source = self.open(area, name)
        except FileNotFoundError:
            yield None
            return
        fd, tmp = tempfile.mkstemp(dir=self.staging_dir(area), prefix=".read-")
        try:
            with source, os.fdopen(fd, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
            yield Path(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)

    def send(self, area: str, name: str, **kwargs) -> Response:
        """A download response of the stored file (``send_file``'s keyword arguments)."""
        try:
            return send_file(self.open(area, name), **kwargs)
        except FileNotFoundError:
            raise _missing(area, name) from None


def _missing(area: str, name: str) -> NotFound:
    # The operators' log says which file is gone (an alarm, like the bundle's); the reader is told no more.
    current_app.logger.error("stored file missing: %s/%s", area, name)
    return NotFound(_("The stored file is missing. The operators have been told."))


def _private_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


class LocalStore(BlobStore):
    """A folder per area (``ODR_EVIDENCE_DIR``, ``ODR_EXPORT_DIR``, ``ODR_AGREEMENT_DIR``): folders 0700,
    files 0600."""

    def __init__(self, folders: dict[str, str]):
        self.folders = {area: Path(folder) for area, folder in folders.items()}

    def path(self, area: str, name: str) -> Path:
        return self.folders[area] / check_name(name)

    def staging_dir(self, area: str) -> Path:
        return _private_dir(self.folders[area])

    def put(self, area: str, name: str, source: Path) -> None:
        target = self.path(area, name)
        os.chmod(source, 0o600)
        with open(source, "rb") as fh:
            os.fsync(fh.fileno())
        _private_dir(target.parent)
        os.replace(source, target)
        # The new name is durable before the caller commits the row that names it (no row without its file).
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def exists(self, area: str, name: str) -> bool:
        return self.path(area, name).is_file()

    def open(self, area: str, name: str) -> BinaryIO:
        return open(self.path(area, name), "rb")

    def delete(self, area: str, name: str) -> None:
        self.path(area, name).unlink(missing_ok=True)

    def names(self, area: str) -> Iterator[str]:
        folder = self.folders[area]
        if folder.is_dir():
            yield from sorted(p.name for p in folder.iterdir() if p.is_file() and p.name.isalnum())

    def written(self, area: str) -> Iterator[tuple[str, float]]:
        for name in self.names(area):
            try:
                yield name, self.path(area, name).stat().st_mtime
            except FileNotFoundError:
                continue

    @contextmanager
    def local_path(self, area: str, name: str) -> Iterator[Path | None]:
        path = self.path(area, name)
        yield path if path.is_file() else None

    def send(self, area: str, name: str, **kwargs) -> Response:
        path = self.path(area, name)
        if not path.is_file():
            raise _missing(area, name)
        return send_file(path, **kwargs)


class S3Store(BlobStore):
    """An S3-compatible bucket (AWS S3, MinIO, Ceph RGW ...) through boto3: ``s3://bucket/prefix``; objects
    are named ``prefix/area/name``. New files are written to a private local staging folder first (the
    upload is hashed and checked there), then uploaded."""

    def __init__(self, url: str, staging: Path, cfg: dict):
        import boto3  # the scale-out extra; the embedded default never needs it

        parsed = urlsplit(url)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.staging = staging
        self.client = boto3.client(
            "s3",
            endpoint_url=cfg.get("S3_ENDPOINT_URL") or None,
            region_name=cfg.get("S3_REGION") or None,
            aws_access_key_id=cfg.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=cfg.get("S3_SECRET_ACCESS_KEY") or None,
        )

    def key(self, area: str, name: str) -> str:
        if area not in AREAS:
            raise ValueError(f"no storage area {area!r}")
        return "/".join(part for part in (self.prefix, area, check_name(name)) if part)

    def staging_dir(self, area: str) -> Path:
        return _private_dir(self.staging / area)

    def put(self, area: str, name: str, source: Path) -> None:
        try:
            self.client.upload_file(str(source), self.bucket, self.key(area, name))
        finally:
            source.unlink(missing_ok=True)

    def exists(self, area: str, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(area, name))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def open(self, area: str, name: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK, dir=str(self.staging_dir(area)))
        try:
            self.client.download_fileobj(self.bucket, self.key(area, name), spool)
        except ClientError as exc:
            spool.close()
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise FileNotFoundError(name) from None
            raise
        spool.seek(0)
        return spool  # type: ignore[return-value]

    def delete(self, area: str, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(area, name))

    def names(self, area: str) -> Iterator[str]:
        prefix = self.key(area, "x")[:-1]
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(prefix) :]

    def written(self, area: str) -> Iterator[tuple[str, float]]:
        prefix = self.key(area, "x")[:-1]
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(prefix) :], item["LastModified"].timestamp()


def make_store(cfg: dict, instance_path: str) -> BlobStore:
    url = cfg.get("STORAGE_URL")
    if url:
        if not url.startswith("s3://"):
            raise ValueError("ODR_STORAGE_URL must be s3://bucket[/prefix]")
        return S3Store(url, Path(instance_path) / "staging", cfg)
    return LocalStore({area: cfg.get(setting) or str(Path(instance_path) / area) for area, setting in AREAS.items()})


def blob_store() -> BlobStore:
    """The app's store (built once per app from its settings)."""
    store = current_app.extensions.get("odr.blob_store")
    if store is None:
        store = current_app.extensions["odr.blob_store"] = make_store(
            current_app.config["ODR"], current_app.instance_path
        )
    return store


def path_of(folder: str | Path, stored_name: str) -> Path:
    """Where a stored file lies in a local folder of the store."""
    return Path(folder) / check_name(stored_name)
