"""Evidence files on disk: generated names, hashes computed while streaming, types sniffed not trusted."""

from __future__ import annotations

import hashlib
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _

from odr.errors import ValidationFailed

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
    path: Path


def store(
    stream: BinaryIO, original_name: str | None, folder: str | Path, max_bytes: int, field: str = "evidence"
) -> StoredFile:
    """Copy an upload to ``folder`` under a generated name, hashing it on the way, in constant memory.

    Empty files and files over ``max_bytes`` are refused and leave nothing behind.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
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
        final = folder / stored_name
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return StoredFile(
        stored_name=stored_name,
        original_name=safe_display_name(original_name),
        sha256=digest.hexdigest(),
        size=size,
        media_type=sniff_media_type(head),
        path=final,
    )


def path_of(folder: str | Path, stored_name: str) -> Path:
    if not stored_name.isalnum():
        raise ValueError("not a stored name")
    return Path(folder) / stored_name
