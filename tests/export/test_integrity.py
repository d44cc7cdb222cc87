"""The integrity primitives agree with independent implementations and with their RFCs."""

from __future__ import annotations

import hashlib
import os
import stat

import pytest
import rfc8785

from odr.cases import events
from odr.cases.models import Event
from odr.export import verifier
from odr.extensions import db
from odr.integrity import keys
from odr.integrity.canonical import canonical_json
from odr.integrity.merkle import merkle_root

SAMPLES = [
    {"b": 1, "a": [True, False, None], "c": {"z": "é", "y": "\u2028"}},
    {"\U0001f600": 1, "\ue000": 2, "a\x00": 'ctrl \x01 \t \n " \\'},  # UTF-16 order differs from code points
    [0, -0.0, 1.5, 1e21, 1e-7, 123456789012345680000.0, 5e-324, 0.000001, 1e16, -1.25e-5, 2**53 - 1],
    "متن \u202e بالعربية",
]


@pytest.mark.parametrize("value", SAMPLES)
def test_canonical_json_is_rfc_8785_in_both_implementations(value):
    assert canonical_json(value) == rfc8785.dumps(value)
    assert verifier.canonical_json(value) == rfc8785.dumps(value)


def _reference_mth(entries: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, recursively, as written there."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < len(entries):
        k *= 2
    return hashlib.sha256(b"\x01" + _reference_mth(entries[:k]) + _reference_mth(entries[k:])).digest()


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100])
def test_merkle_root_is_rfc_6962(n):
    entries = [f"event {i}".encode() for i in range(n)]
    expected = _reference_mth(entries).hex()
    assert merkle_root(entries) == expected
    tree = verifier.MerkleTree()
    for entry in entries:
        tree.add(entry)
    assert tree.root() == expected


def test_known_merkle_vector():
    # RFC 6962 leaf hash of the empty string, and the empty tree.
    assert merkle_root([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert merkle_root([b""]) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"


def test_the_platform_key_is_made_once_privately_in_the_instance_folder(app):
    path = keys.key_path()
    assert str(path).startswith(app.instance_path) and not path.exists()
    first = keys.platform_key()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.platform_key().key_id == first.key_id  # loaded, not regenerated


def test_the_key_path_is_a_setting(app, tmp_path):
    app.config["ODR"]["SIGNING_KEY_PATH"] = str(tmp_path / "secret" / "signing.pem")
    key = keys.platform_key()
    assert (tmp_path / "secret" / "signing.pem").exists() and len(key.key_id) == 64


def test_the_event_chain_still_verifies_with_rfc_8785_hashing(app, world):
    from tests.export.conftest import escalate

    case = escalate(world)
    chain = db.session.query(Event).filter_by(case_id=case.id).order_by(Event.seq).all()
    assert events.verify_chain(chain) == []
    for event in chain:
        assert verifier.event_hash(event.prev_hash, events.event_body(event)) == event.hash
    chain[1].payload = {"forged": True}
    assert events.verify_chain(chain) == [f"event {chain[1].seq}: its content does not match its hash"]
    db.session.rollback()
