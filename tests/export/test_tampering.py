"""Every kind of tampering is caught, each with a message that says what was changed."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from odr.export import verifier
from odr.integrity.keys import platform_key


def verify(folder: Path, key_id=None) -> tuple[int, str]:
    out = io.StringIO()
    return verifier.verify_bundle(str(folder), key_id or platform_key().key_id, out=out), out.getvalue()


def rehash(folder: Path) -> None:
    """What a forger does after an edit: recompute every manifest and tag manifest."""
    for alg in ("sha256", "sha512"):
        payload = sorted(p for p in (folder / "data").rglob("*") if p.is_file())
        (folder / f"manifest-{alg}.txt").write_text(
            "".join(
                f"{hashlib.new(alg, p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n" for p in payload
            )
        )
    for alg in ("sha256", "sha512"):
        tags = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and not p.relative_to(folder).as_posix().startswith(("data/", "tagmanifest-"))
        )
        (folder / f"tagmanifest-{alg}.txt").write_text(
            "".join(
                f"{hashlib.new(alg, p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n" for p in tags
            )
        )


def events(folder: Path) -> list[bytes]:
    return (folder / "data/events.jsonl").read_bytes().splitlines(keepends=True)


def test_the_untouched_bag_verifies(bag):
    code, report = verify(bag, platform_key().key_id)
    assert code == 0, report


def test_one_flipped_byte_of_evidence(bag):
    (evidence,) = (bag / "data/evidence").rglob("original.png")
    data = bytearray(evidence.read_bytes())
    data[100] ^= 0x01
    evidence.write_bytes(bytes(data))
    code, report = verify(bag)
    assert code == 2
    rel = evidence.relative_to(bag).as_posix()
    assert f"[FAIL] {rel}: SHA256 is {hashlib.sha256(data).hexdigest()}" in report
    assert "(the file was changed)" in report


def test_an_edited_event_with_the_manifests_rehashed(bag):
    lines = events(bag)
    event = json.loads(lines[0])
    event["payload"]["listings"] = 99
    lines[0] = verifier.canonical_json(event) + b"\n"
    (bag / "data/events.jsonl").write_bytes(b"".join(lines))
    rehash(bag)
    code, report = verify(bag)
    assert code == 2
    assert "data/events.jsonl line 1: event 1 was edited (its content does not match its hash)" in report
    assert "manifest-sha256.txt is not the manifest the platform signed" in report
    assert "payload: " in report  # the re-hashed manifests themselves match the files


def test_a_dropped_event(bag):
    lines = events(bag)
    del lines[2]
    (bag / "data/events.jsonl").write_bytes(b"".join(lines))
    rehash(bag)
    code, report = verify(bag)
    assert code == 2
    assert "line 3: event 4 where event 3 belongs (an event is missing)" in report
    assert "event 4 does not follow the event before it" in report
    assert "differs from the signed root" in report


def test_reordered_events(bag):
    lines = events(bag)
    lines[1], lines[2] = lines[2], lines[1]
    (bag / "data/events.jsonl").write_bytes(b"".join(lines))
    rehash(bag)
    code, report = verify(bag)
    assert code == 2
    assert "line 2: event 3 where event 2 belongs (an event is missing)" in report
    assert "line 3: event 2 where event 4 belongs (events reordered)" in report


def _other_key() -> tuple[Ed25519PrivateKey, bytes]:
    key = Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return key, pem


def test_a_swapped_public_key(bag):
    _key, pem = _other_key()
    (bag / "keys/platform-signing.pub.pem").write_bytes(pem)
    rehash(bag)
    code, report = verify(bag)
    assert code == 2
    assert "the signed document names key" in report and "(the public key was swapped)" in report
    assert "statement.json: the Ed25519 signature does not verify" in report


def test_a_bundle_re_signed_with_another_key_fails_against_the_pinned_key(bag):
    key, pem = _other_key()
    statement = json.loads((bag / "statement.json").read_bytes())
    _k, other_id = verifier._public_key(pem)
    statement["signer"]["key_id"] = other_id
    raw = verifier.canonical_json(statement)
    (bag / "statement.json").write_bytes(raw)
    (bag / "statement.json.sig").write_bytes(key.sign(raw))
    (bag / "keys/platform-signing.pub.pem").write_bytes(pem)
    rehash(bag)
    code, report = verify(bag, platform_key().key_id)
    assert code == 2
    assert f"signed with key {other_id}, not with the platform key you trust ({platform_key().key_id})" in report


def test_an_edited_statement(bag):
    statement = json.loads((bag / "statement.json").read_bytes())
    statement["case_reference"] = "ODR-1999-000001"
    (bag / "statement.json").write_bytes(verifier.canonical_json(statement))
    rehash(bag)
    code, report = verify(bag)
    assert code == 2
    assert (
        "statement.json: the Ed25519 signature does not verify (edited after signing, or signed by another key)"
    ) in report


@pytest.mark.parametrize("change", ["unlisted", "symlink", "unsafe-path", "non-canonical"])
def test_other_changes_are_named(bag, change):
    if change == "unlisted":
        (bag / "data/extra.txt").write_text("added later")
        expected = "data/extra.txt: file not listed in manifest-sha256.txt (added to the bag)"
    elif change == "symlink":
        (bag / "data/link").symlink_to("/etc/passwd")
        expected = "data/link: symbolic links are not allowed in a bundle"
    elif change == "unsafe-path":
        with open(bag / "manifest-sha256.txt", "a") as fh:
            fh.write(f"{'0' * 64}  ../../etc/passwd\n")
        expected = "manifest-sha256.txt line"
    else:
        lines = events(bag)
        lines[0] = json.dumps(json.loads(lines[0]), indent=1).replace("\n", "").encode() + b"\n"
        (bag / "data/events.jsonl").write_bytes(b"".join(lines))
        expected = "line 1: not an event line (not in canonical JSON form (RFC 8785))"
    code, report = verify(bag)
    assert code == 2
    assert expected in report
