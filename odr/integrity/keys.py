"""The platform's Ed25519 signing key and its public key log: the trust anchor courts check bundles against.

There is one private key per deployment, kept where ``ODR_KEY_STORE`` says (odr/integrity/vault.py): in
the instance folder (development), sealed in the database under ``ODR_SECRET_KEY`` (scale-out), or a mounted
secret at ``ODR_SIGNING_KEY_PATH`` that the platform only reads. The key id (fingerprint)
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
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from odr.extensions import db
from odr.integrity import vault
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


SIGNING = "signing-key"
LOG = "key-log"


def _retired_name(key_id: str) -> str:
    return f"{SIGNING}.retired-{key_id[:16]}"


def _path(name: str) -> Path:
    """Where a secret of the key store lies under ``ODR_KEY_STORE=instance``."""
    path = key_path()
    if name == SIGNING:
        return path
    if name == LOG:
        return key_log_path()
    if name.startswith(f"{SIGNING}.retired-"):
        return path.with_name(f"{path.stem}.retired-{name.rsplit('-', 1)[1]}{path.suffix}")
    raise ValueError(name)


def _mounted(name: str) -> bool:
    return name == SIGNING and vault.key_store() == "file"


def _read(name: str) -> bytes | None:
    if vault.key_store() == "instance" or _mounted(name):
        path = _path(name)
        if path.exists():
            return path.read_bytes()
        if _mounted(name):
            raise RuntimeError(
                f"the signing key {path} (ODR_SIGNING_KEY_PATH, ODR_KEY_STORE=file) does not exist; "
                "a node never generates the deployment's key itself"
            )
        return None
    return vault.read_row(name)


def _create(name: str, data: bytes, mode: int = 0o600) -> bool:
    if _mounted(name):
        raise RuntimeError("the signing key is a mounted secret (ODR_KEY_STORE=file): the platform never writes it")
    if vault.key_store() == "instance":
        return vault.write_exclusive(_path(name), data, mode)
    return vault.create_row(name, data)


def _replace(name: str, data: bytes, mode: int = 0o600) -> None:
    if _mounted(name):
        raise RuntimeError(
            "the signing key is a mounted secret (ODR_KEY_STORE=file): rotate it by mounting a new one "
            "(docs/operations.md), or keep keys in the database (ODR_KEY_STORE=database)"
        )
    if vault.key_store() == "instance":
        vault.replace_file(_path(name), data, mode)
    else:
        vault.replace_row(name, data)


def _new_private_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _parse_key(data: bytes, where: str) -> SigningKey:
    private = serialization.load_pem_private_key(data, password=None)
    if not isinstance(private, Ed25519PrivateKey):
        raise RuntimeError(f"{where} does not hold an Ed25519 private key")
    return SigningKey(private)


def _private_pem(key: SigningKey) -> bytes:
    return key.private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def has_platform_key() -> bool:
    """Whether the deployment has its signing key yet (without making one)."""
    try:
        return _read(SIGNING) is not None
    except RuntimeError:
        return False


def platform_key() -> SigningKey:
    """The deployment's one signing key: created once, by whichever process needs it first (all others
    read that one; with a mounted secret, never created)."""
    data = _read(SIGNING)
    if data is None:
        # Exclusive: two processes or nodes starting at once end up with the same single key.
        _create(SIGNING, _new_private_pem())
        data = _read(SIGNING)
        assert data is not None
    key = _parse_key(data, f"the signing key ({vault.key_store()} key store)")
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
    data = _read(LOG)
    assert data is not None
    return data


def read_key_log() -> dict:
    log: dict = json.loads(key_log_bytes())
    return log


def _write_log(log: dict) -> None:
    _replace(LOG, canonical_json(log), mode=0o644)


def ensure_key_log(key: SigningKey) -> None:
    """Start the log with the first key (its own signature only) if there is none yet."""
    if _read(LOG) is not None:
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
    _create(LOG, canonical_json(log), mode=0o644)


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
    if _mounted(SIGNING):
        _replace(SIGNING, b"")  # refuses, saying how a mounted key is rotated
    # The log first: if the process dies now, the old key keeps signing, and it is still valid.
    _write_log(dict(log, entries=log["entries"] + [_signed_entry(entry, {"self": new, "previous": old})]))
    # Kept (mode 0600) for the operator to destroy after the overlap; never a moment without a key.
    _create(_retired_name(old.key_id), _private_pem(old))
    _replace(SIGNING, _private_pem(new))
    if vault.key_store() != "instance":
        db.session.commit()
    return old, new
