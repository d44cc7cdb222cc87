"""The deployment's secrets (the signing key, the key log, the linkage key): one copy per deployment.

Where they live is the setting ``ODR_KEY_STORE``:

- ``instance`` (development, one machine): files in the instance folder's ``keys/`` (0700, files 0600),
  created on first use with O_EXCL, so every process of the machine shares one key;
- ``database`` (scale-out; the default in production): rows of ``platform_secrets``, each sealed with
  AES-256-GCM under a key derived (HKDF-SHA256) from ``ODR_SECRET_KEY``, generated once by whichever node
  needs it first (an insert that a second node loses, after which it reads the winner's row);
- ``file``: the signing key is a mounted secret at ``ODR_SIGNING_KEY_PATH`` that the platform only reads and
  never creates; the rest (the key log, the linkage key) lives in the database as above.

A node never makes a key of its own: a second node reads the first one's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from odr.extensions import db
from odr.models_base import UTCDateTime, utcnow

SEAL_VERSION = b"odr-seal-1:"
STORES = ("instance", "database", "file")


class PlatformSecret(db.Model):  # type: ignore[name-defined,misc]
    """One sealed secret of the deployment (ODR_KEY_STORE=database)."""

    __tablename__ = "platform_secrets"

    name: Mapped[str] = mapped_column(String(96), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


def _sealing_key(secret: str | None = None) -> bytes:
    secret = current_app.config["ODR"]["SECRET_KEY"] if secret is None else secret
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"odr platform secrets v1").derive(
        secret.encode("utf-8")
    )


def seal(name: str, data: bytes) -> bytes:
    nonce = os.urandom(12)
    return SEAL_VERSION + nonce + AESGCM(_sealing_key()).encrypt(nonce, data, name.encode("utf-8"))


def _open(name: str, sealed: bytes, secret: str | None = None) -> bytes | None:
    """The secret in clear, or None when ``secret`` (default: ODR_SECRET_KEY) does not open it."""
    if not sealed.startswith(SEAL_VERSION):
        raise RuntimeError(f"platform secret {name!r} is not sealed in a format this version knows")
    body = sealed[len(SEAL_VERSION) :]
    try:
        return AESGCM(_sealing_key(secret)).decrypt(body[:12], body[12:], name.encode("utf-8"))
    except InvalidTag:  # another secret key, or the row was altered
        return None


def unseal(name: str, sealed: bytes) -> bytes:
    data = _open(name, sealed)
    if data is None:
        raise RuntimeError(
            f"platform secret {name!r} cannot be opened with this ODR_SECRET_KEY "
            "(every node of a deployment needs the same one; see docs/operations.md)"
        )
    return data


class ResealRefused(Exception):
    """The sealed secrets were left as they were; the message says why."""


@dataclass
class SealedValue:
    """A value sealed with :func:`seal` that another domain keeps in a row of its own (a two-step sign-in
    secret, say): its name (the associated data it was sealed with), the sealed bytes, and how to store the
    value sealed anew (within the caller's transaction, on a row it has locked)."""

    name: str
    sealed: bytes
    store: Callable[[bytes], None]


def reseal_all(old_secret: str, also: Iterable[Callable[[], Iterable[SealedValue]]] = ()) -> list[str]:
    """Seal every secret of the database store again, and the values the ``also`` providers list (locked
    rows of other tables), from ``old_secret`` to the current ODR_SECRET_KEY, in one transaction: all move or
    none (a refusal, or a crash, leaves every value sealed under the old secret). The rows are locked while
    they move, so no node rotates a key in between. Returns their names."""
    if old_secret == current_app.config["ODR"]["SECRET_KEY"]:
        raise ResealRefused("the old secret is the current ODR_SECRET_KEY: there is nothing to re-encrypt")
    rows = list(db.session.scalars(select(PlatformSecret).order_by(PlatformSecret.name).with_for_update()))
    now = utcnow()

    def _store_row(row: PlatformSecret) -> Callable[[bytes], None]:
        def store(sealed: bytes) -> None:
            row.sealed = sealed
            row.updated_at = now

        return store

    values = [SealedValue(row.name, row.sealed, _store_row(row)) for row in rows]
    for provider in also:
        values.extend(provider())
    opened = []
    for value in values:
        data = _open(value.name, value.sealed, old_secret)
        if data is None:
            db.session.rollback()
            already = _open(value.name, value.sealed) is not None
            raise ResealRefused(
                f"platform secret {value.name!r} is sealed under the current ODR_SECRET_KEY already"
                if already
                else f"the old secret does not open platform secret {value.name!r}; nothing was changed"
            )
        opened.append(data)
    for value, data in zip(values, opened, strict=True):
        value.store(seal(value.name, data))
    db.session.commit()
    return [value.name for value in values]


def key_store() -> str:
    store = current_app.config["ODR"].get("KEY_STORE") or "instance"
    if store not in STORES:
        raise RuntimeError(f"ODR_KEY_STORE must be one of {', '.join(STORES)}")
    return str(store)


# -- the two places a secret can be kept -----------------------------------------------------------


def read_row(name: str) -> bytes | None:
    row = db.session.get(PlatformSecret, name)
    return None if row is None else unseal(name, row.sealed)


def create_row(name: str, data: bytes) -> bool:
    """Store a new secret; False if one by that name exists already (another node was first)."""
    now = utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(PlatformSecret(name=name, sealed=seal(name, data), created_at=now, updated_at=now))
    except IntegrityError:
        return False
    return True


def replace_row(name: str, data: bytes) -> None:
    row = db.session.get(PlatformSecret, name, with_for_update=True)
    now = utcnow()
    if row is None:
        db.session.add(PlatformSecret(name=name, sealed=seal(name, data), created_at=now, updated_at=now))
    else:
        row.sealed = seal(name, data)
        row.updated_at = now
    db.session.flush()


def row_names() -> list[str]:
    return list(db.session.scalars(select(PlatformSecret.name).order_by(PlatformSecret.name)))


def write_exclusive(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write ``data`` to a new file; False if it exists already (another process was first)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def replace_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.unlink(missing_ok=True)
    write_exclusive(tmp, data, mode)
    os.replace(tmp, path)


def shared_secret(name: str, path: Path, generate: Callable[[], bytes]) -> bytes:
    """The deployment's secret ``name``: read, or generated once and kept (in ``path`` under the instance
    store, as a sealed row otherwise)."""
    if key_store() == "instance":
        if not path.exists():
            write_exclusive(path, generate())
        return path.read_bytes()
    data = read_row(name)
    if data is None:
        create_row(name, generate())
        data = read_row(name)
        if data is None:  # pragma: no cover - a row just inserted or read
            raise RuntimeError(f"platform secret {name!r} could not be stored")
    return data
