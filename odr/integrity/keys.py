"""The platform's Ed25519 signing key and its public key log: the trust anchor courts check bundles against.

The private key is created on first use in the instance folder and never committed;
``ODR_SIGNING_KEY_PATH`` points at another PEM file (e.g. a mounted secret). The key id (fingerprint)
is the SHA-256 of the raw 32-byte public key.

The key log (``key-log.json`` beside the key, served at ``/.well-known/odr-key-log.json``) is the
history of every signing key, like a certificate transparency log: each entry names one key, when it
became valid, and the hash of the entry before it; it is signed by the key itself (which thereby vouches
for the whole history before it) and by the previous key (which thereby hands over to it). A court that
pinned any one key id can so follow the log to every earlier and later key. The verifier
(odr/export/verifier.py ``check_key_log``) checks it with its own code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from odr.integrity.canonical import canonical_json

KEY_LOG_PROFILE = "odr-key-log/1.0"
GENESIS = "0" * 64


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def key_id(self) -> str:
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data)


def key_path() -> Path:
    configured = current_app.config["ODR"].get("SIGNING_KEY_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys" / "platform-ed25519.pem"


def key_log_path() -> Path:
    return key_path().with_name("key-log.json")


def _new_private_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_exclusive(path: Path, data: bytes, mode: int = 0o600) -> bool:
    """Write ``data`` to a new file; False if it exists already (another worker was first)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def _read_key(path: Path) -> SigningKey:
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise RuntimeError(f"{path} does not hold an Ed25519 private key")
    return SigningKey(private)


def load_or_create(path: Path) -> SigningKey:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: two workers starting at once end up with the same single key.
        _write_exclusive(path, _new_private_pem())
    return _read_key(path)


def platform_key() -> SigningKey:
    key = load_or_create(key_path())
    ensure_key_log(key)
    return key


# -- the key log ---------------------------------------------------------------------------------


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _signed_entry(entry: dict, signers: dict[str, SigningKey]) -> dict:
    data = canonical_json(entry)
    return {
        "entry": entry,
        "signatures": {role: base64.b64encode(key.sign(data)).decode("ascii") for role, key in signers.items()},
    }


def _entry_hash(item: dict) -> str:
    return hashlib.sha256(canonical_json(item["entry"])).hexdigest()


def key_log_bytes() -> bytes:
    """The published key log, exactly as served and bundled (started with the first key if need be)."""
    platform_key()
    return key_log_path().read_bytes()


def read_key_log() -> dict:
    log: dict = json.loads(key_log_bytes())
    return log


def _write_log(log: dict) -> None:
    path = key_log_path()
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(canonical_json(log))
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def ensure_key_log(key: SigningKey) -> None:
    """Start the log with the first key (its own signature only) if there is none yet."""
    path = key_log_path()
    if path.exists():
        return
    # The first key has no lower bound: it signed everything the platform signed before its log began.
    entry = {
        "seq": 1,
        "prev": GENESIS,
        "key_id": key.key_id,
        "alg": "Ed25519",
        "public_key_pem": key.public_pem.decode("ascii"),
        "valid_from": None,
        "previous_key_id": None,
        "previous_valid_to": None,
    }
    log = {"profile": KEY_LOG_PROFILE, "entries": [_signed_entry(entry, {"self": key})]}
    _write_exclusive(path, canonical_json(log), mode=0o644)


def key_history(log: dict) -> list[dict]:
    """Each key of the log with its validity: valid_from, valid_to (None while current), rotated_by."""
    keys: list[dict] = []
    for item in log["entries"]:
        entry = item["entry"]
        if keys:
            keys[-1]["valid_to"] = entry["previous_valid_to"]
            keys[-1]["rotated_by"] = entry["key_id"]
        keys.append(
            {"key_id": entry["key_id"], "valid_from": entry["valid_from"], "valid_to": None, "rotated_by": None}
        )
    return keys


def rotate(overlap: timedelta, at: datetime) -> tuple[SigningKey, SigningKey]:
    """Make a new signing key, hand over to it in the key log, and retire the old one after ``overlap``.

    The old key stays valid until ``at + overlap`` (bundles it signs meanwhile, e.g. by a worker that
    has not reloaded yet, still verify); bundles it signed before stay valid for ever."""
    old = platform_key()
    log = read_key_log()
    new = SigningKey(Ed25519PrivateKey.generate())
    entry = {
        "seq": len(log["entries"]) + 1,
        "prev": _entry_hash(log["entries"][-1]),
        "key_id": new.key_id,
        "alg": "Ed25519",
        "public_key_pem": new.public_pem.decode("ascii"),
        "valid_from": _iso(at),
        "previous_key_id": old.key_id,
        "previous_valid_to": _iso(at + overlap),
    }
    path = key_path()
    staged = path.with_name(f".{path.name}.next")
    staged.unlink(missing_ok=True)
    _write_exclusive(
        staged,
        new.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    # The log first: if the process dies now, the old key keeps signing, and it is still valid.
    _write_log(dict(log, entries=log["entries"] + [_signed_entry(entry, {"self": new, "previous": old})]))
    retired = path.with_name(f"{path.stem}.retired-{old.key_id[:16]}{path.suffix}")
    # Kept (mode 0600) for the operator to destroy after the overlap; never a moment without a key file.
    _write_exclusive(retired, path.read_bytes())
    os.replace(staged, path)
    return old, new
