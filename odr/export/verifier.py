#!/usr/bin/env python3
"""Offline verifier for ODR case bundles (profile odr-case-bundle/1.0) and deposit certificates.

A court copies this one file and runs it without the platform. It needs Python 3.11 or later
and the ``cryptography`` package, nothing else:

    python3 verifier.py bundle ODR-2026-000042-E2.zip --key-id <the fingerprint your court pinned> \
        [--key-log odr-key-log.json] [--previous ODR-2026-000042-E1.zip] [--tsa-ca tsa-ca.pem]
    python3 verifier.py certificate deposit-17.json --work original.png --key-id <pinned fingerprint>

The key to trust never comes from the bundle: it is the fingerprint the court pinned when its
account was created, extended to rotated keys only by the platform's key log (published at
/.well-known/odr-key-log.json; each entry signed by the key before it). Without --key-id the
verifier refuses to run, unless --insecure-trust-bundled-key is given.

It checks the BagIt 1.0 bag (every file against the SHA-256 and SHA-512 manifests, no file
missing or unlisted), the platform's Ed25519 signature over statement.json, that the signed
statement pins the manifests and every tag file, the hash-chained event log (times never
decreasing) and its RFC 6962 Merkle root, that a closing bundle's first events reproduce the
earlier bundle's root, the document hashes named in the ECF 5.0 XML, deposit certificates,
and the RFC 3161 timestamp token. It prints one line per check and exits 0 when every check
passed, 3 when the bundle is authentic but reports evidence alarms, and 2 on any failure
(a bundle that cannot be read, a failed check, no trusted key). It never stops with a
traceback. Files are read in chunks, so size does not matter.

Canonical JSON, the Merkle tree and the DER parsing are written out here on purpose: they are
an independent implementation of what the platform computes with its own code.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import stat
import sys
import zipfile
from datetime import datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

PROFILE = "odr-case-bundle/1.0"
KEY_LOG_PROFILE = "odr-key-log/1.0"
CERTIFICATE_PROFILE = "odr-deposit-certificate/1.0"
GENESIS = "0" * 64
CHUNK = 1024 * 1024
MAX_TAG_FILE = 64 * 1024 * 1024  # statement, manifests, case.json: read whole, so bounded
ALGORITHMS = ("sha256", "sha512")
# Tag files the signed statement cannot name by digest: itself, its signature and timestamp token (each
# checked on its own), the payload manifests (pinned by digest in the statement) and the tag manifests
# (checked to be exactly what the other files imply).
SELF_EVIDENT = (
    {"statement.json", "statement.json.sig", "statement.json.tsr"}
    | {f"manifest-{alg}.txt" for alg in ALGORITHMS}
    | {f"tagmanifest-{alg}.txt" for alg in ALGORITHMS}
)
EXIT_VALID, EXIT_INVALID, EXIT_ALARM = 0, 2, 3


# -- canonical JSON (RFC 8785) ------------------------------------------------------------------


def _number(value) -> str:
    if isinstance(value, bool):
        raise TypeError("booleans are not numbers")
    if isinstance(value, int):
        return str(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("NaN and infinity have no JSON form")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # ECMAScript Number::toString: shortest round-trip digits (Python's repr), placed by exponent.
    _s, digits_t, exp = Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digits_t)).rstrip("0") or "0"
    exp += len("".join(map(str, digits_t))) - len(digits)
    k, n = len(digits), len(digits) + exp
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        e = n - 1
        text = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e > 0 else "-") + str(abs(e))
    return sign + text


def _encode(value, out: list[str]) -> None:
    if value is None or isinstance(value, bool):
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, (int, float)):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, dict):
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: k.encode("utf-16-be"))):
            if not isinstance(key, str):
                raise TypeError("object keys must be strings")
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    else:
        raise TypeError(f"{type(value).__name__} has no JSON form")


def canonical_json(value) -> bytes:
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")


def parse_canonical(raw: bytes):
    """The JSON value of ``raw`` if ``raw`` is exactly its canonical form; ValueError otherwise."""
    value = json.loads(raw.decode("utf-8"))
    if canonical_json(value) != raw:
        raise ValueError("not in canonical JSON form (RFC 8785)")
    return value


# -- RFC 6962 Merkle tree hash ------------------------------------------------------------------


class MerkleTree:
    """Streaming MTH: add entries one by one; memory stays logarithmic in their number."""

    def __init__(self):
        self.stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, entry: bytes) -> None:
        height, digest = 0, hashlib.sha256(b"\x00" + entry).digest()
        while self.stack and self.stack[-1][0] == height:
            digest = hashlib.sha256(b"\x01" + self.stack.pop()[1] + digest).digest()
            height += 1
        self.stack.append((height, digest))
        self.size += 1

    def root(self) -> str:
        if not self.stack:
            return hashlib.sha256(b"").hexdigest()
        digest = self.stack[-1][1]
        for _height, left in reversed(self.stack[:-1]):
            digest = hashlib.sha256(b"\x01" + left + digest).digest()
        return digest.hex()


# -- reading a bag from a folder or a zip archive, refusing anything unsafe ---------------------


class BundleError(Exception):
    """The bundle cannot be read at all."""


def _safe_relative(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name or "\x00" in name:
        return False
    parts = name.split("/")
    return all(part not in ("", ".", "..") for part in parts) and ":" not in parts[0]


class Bag:
    """The files of a bag, by relative POSIX path; never extracted, never followed out of the bag."""

    def __init__(self, path: str):
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.files: dict[str, object] = {}
        self.sizes: dict[str, int] = {}
        if os.path.isdir(path):
            self._scan_folder(path)
        elif zipfile.is_zipfile(path):
            self._scan_zip(path)
        else:
            raise BundleError(f"{path}: neither a bag folder nor a zip archive")

    def _scan_folder(self, root: str) -> None:
        for folder, dirs, names in os.walk(root, followlinks=False):
            for name in dirs + names:
                full = os.path.join(folder, name)
                rel = os.path.relpath(full, root).replace(os.sep, "/")
                info = os.lstat(full)
                if stat.S_ISLNK(info.st_mode):
                    raise BundleError(f"{rel}: symbolic links are not allowed in a bundle")
                if name in names:
                    if not stat.S_ISREG(info.st_mode):
                        raise BundleError(f"{rel}: not a regular file")
                    self.files[rel] = full
                    self.sizes[rel] = info.st_size

    def _scan_zip(self, path: str) -> None:
        self.zip = zipfile.ZipFile(path)
        infos = self.zip.infolist()
        tops = {info.filename.split("/", 1)[0] for info in infos}
        if len(tops) != 1:
            raise BundleError("the archive must hold exactly one bag folder")
        for info in infos:
            name = info.filename
            if not _safe_relative(name.rstrip("/")):
                raise BundleError(f"{name!r}: unsafe path in archive")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise BundleError(f"{name}: symbolic links are not allowed in a bundle")
            if info.is_dir():
                continue
            rel = name.split("/", 1)[1] if "/" in name else ""
            if not rel:
                raise BundleError(f"{name}: file outside the bag folder")
            if rel in self.files:
                raise BundleError(f"{rel}: appears twice in the archive")
            self.files[rel] = info
            self.sizes[rel] = info.file_size

    def open(self, rel: str):
        where = self.files[rel]
        return self.zip.open(where) if self.zip else open(where, "rb")

    def read(self, rel: str, limit: int = MAX_TAG_FILE) -> bytes:
        if self.sizes[rel] > limit:
            raise BundleError(f"{rel}: larger than {limit} bytes")
        with self.open(rel) as fh:
            return fh.read(limit + 1)

    def digests(self, rel: str, algorithms=ALGORITHMS) -> dict[str, str]:
        hashers = {alg: hashlib.new(alg) for alg in algorithms}
        try:
            with self.open(rel) as fh:
                for chunk in iter(lambda: fh.read(CHUNK), b""):
                    for h in hashers.values():
                        h.update(chunk)
        except zipfile.BadZipFile as exc:
            raise BundleError(f"{rel}: {exc} (the file was changed inside the archive)") from None
        return {alg: h.hexdigest() for alg, h in hashers.items()}

    def lines(self, rel: str):
        """Lines with their line ending, read in chunks."""
        with self.open(rel) as fh:
            yield from fh


# -- the report ---------------------------------------------------------------------------------


class Report:
    def __init__(self, out=None):
        self.out = out or sys.stdout
        self.failures: list[str] = []
        self.warnings: list[str] = []
        self.alarms: list[str] = []

    def ok(self, message: str) -> None:
        print(f"[ OK ] {message}", file=self.out)

    def fail(self, message: str) -> None:
        self.failures.append(message)
        print(f"[FAIL] {message}", file=self.out)

    def warn(self, message: str) -> None:
        self.warnings.append(message)
        print(f"[WARN] {message}", file=self.out)

    def alarm(self, message: str) -> None:
        self.alarms.append(message)
        print(f"[ALARM] {message}", file=self.out)

    def finish(self, what: str) -> int:
        if self.failures:
            print(f"RESULT: {what} is NOT valid ({len(self.failures)} problem(s))", file=self.out)
            return EXIT_INVALID
        if self.alarms:
            print(
                f"RESULT: {what} is valid as signed, but it reports {len(self.alarms)} evidence alarm(s): "
                f"do not rely on that evidence",
                file=self.out,
            )
            return EXIT_ALARM
        print(f"RESULT: {what} is valid", file=self.out)
        return EXIT_VALID


# -- BagIt 1.0 ----------------------------------------------------------------------------------


def _parse_manifest(raw: bytes, name: str, report: Report) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
        digest, _sep, path = line.partition(" ")
        path = path.lstrip(" ").replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        if not _safe_relative(path):
            report.fail(f"{name} line {number}: unsafe path {path!r}")
        elif path in entries:
            report.fail(f"{name} line {number}: {path} listed twice")
        else:
            entries[path] = digest.lower()
    return entries


def check_bag(bag: Bag, report: Report) -> dict[str, dict[str, str]]:
    """Check bag declaration, manifests and tag manifests; return the payload manifests."""
    if "bagit.txt" not in bag.files:
        report.fail("bagit.txt is missing: this is not a BagIt bag")
        return {}
    declaration = bag.read("bagit.txt").decode("utf-8", "replace")
    if declaration != "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n":
        report.fail("bagit.txt does not declare BagIt-Version 1.0 with UTF-8 tag files")
    payload = {rel for rel in bag.files if rel.startswith("data/")}
    manifests: dict[str, dict[str, str]] = {}
    for alg in ALGORITHMS:
        name = f"manifest-{alg}.txt"
        if name not in bag.files:
            report.fail(f"{name} is missing")
            continue
        manifests[alg] = _parse_manifest(bag.read(name), name, report)
        for rel in sorted(payload - manifests[alg].keys()):
            report.fail(f"{rel}: file not listed in {name} (added to the bag)")
        for rel in sorted(manifests[alg].keys() - payload):
            report.fail(f"{rel}: listed in {name} but missing from the bag")
        outside = [rel for rel in manifests[alg] if not rel.startswith("data/")]
        for rel in outside:
            report.fail(f"{name}: {rel} is outside data/")
    bad = 0
    for rel in sorted(payload):
        wanted = {alg: m[rel] for alg, m in manifests.items() if rel in m}
        if not wanted:
            continue
        try:
            found = bag.digests(rel, tuple(wanted))
        except BundleError as exc:
            bad += 1
            report.fail(str(exc))
            continue
        for alg, digest in wanted.items():
            if found[alg] != digest:
                bad += 1
                report.fail(
                    f"{rel}: {alg.upper()} is {found[alg]}, manifest-{alg}.txt says {digest} (the file was changed)"
                )
    if manifests and not bad:
        report.ok(f"payload: {len(payload)} file(s) match the SHA-256 and SHA-512 manifests")
    _check_oxum(bag, payload, report)
    _check_tag_manifests(bag, report)
    return manifests


def _check_oxum(bag: Bag, payload: set[str], report: Report) -> None:
    if "bag-info.txt" not in bag.files:
        report.fail("bag-info.txt is missing")
        return
    for line in bag.read("bag-info.txt").decode("utf-8").splitlines():
        label, _sep, value = line.partition(":")
        if label.strip() == "Payload-Oxum":
            expected = f"{sum(bag.sizes[r] for r in payload)}.{len(payload)}"
            if value.strip() != expected:
                report.fail(f"bag-info.txt: Payload-Oxum {value.strip()} but the payload is {expected}")
            return
    report.fail("bag-info.txt has no Payload-Oxum")


def _check_tag_manifests(bag: Bag, report: Report) -> None:
    tag_files = {rel for rel in bag.files if not rel.startswith("data/") and not rel.startswith("tagmanifest-")}
    for alg in ALGORITHMS:
        name = f"tagmanifest-{alg}.txt"
        if name not in bag.files:
            report.fail(f"{name} is missing")
            continue
        raw = bag.read(name)
        listed = _parse_manifest(raw, name, report)
        problems = 0
        expected = "".join(f"{bag.digests(rel, (alg,))[alg]}  {rel}\n" for rel in sorted(tag_files)).encode("utf-8")
        if raw != expected and not (tag_files ^ listed.keys()):
            # Nothing in a bag may escape the signature: the tag manifest must be exactly what the files imply.
            problems += 1
            report.fail(f"{name} is not exactly one sorted line per tag file (it carries something else)")
        for rel in sorted(tag_files - listed.keys()):
            problems += 1
            report.fail(f"{rel}: tag file not listed in {name} (added to the bag)")
        for rel, digest in sorted(listed.items()):
            if rel not in bag.files:
                problems += 1
                report.fail(f"{rel}: listed in {name} but missing from the bag")
            elif bag.digests(rel, (alg,))[alg] != digest:
                problems += 1
                report.fail(f"{rel}: does not match {name} (the tag file was changed)")
        if not problems:
            report.ok(f"{name}: {len(listed)} tag file(s) match")


# -- signature and statement --------------------------------------------------------------------


def _public_key(pem: bytes):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, hashlib.sha256(raw).hexdigest()


def _time(text) -> datetime | None:
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else None


def check_key_log(raw: bytes, pinned: str, source: str, report: Report) -> dict[str, dict] | None:
    """The platform's key log, checked from its first entry: key id -> validity, or None if it fails.

    Every entry is signed by its own key (so it vouches for every entry before it, through ``prev``)
    and, after the first, by the previous key (which hands over to it). Anchored at the pinned key,
    the log so extends trust to earlier and later keys, and to nothing a forger made up."""
    from cryptography.exceptions import InvalidSignature

    try:
        log = json.loads(raw.decode("utf-8"))
        if log.get("profile") != KEY_LOG_PROFILE:
            raise ValueError(f"not a {KEY_LOG_PROFILE} document")
        keys: dict[str, dict] = {}
        prev, previous_key, previous_id = GENESIS, None, None
        for number, item in enumerate(log["entries"], start=1):
            entry, signatures = item["entry"], item["signatures"]
            data = canonical_json(entry)
            if entry["seq"] != number or entry["prev"] != prev:
                raise ValueError(f"entry {number} does not follow the entry before it")
            key, key_id = _public_key(entry["public_key_pem"].encode("ascii"))
            if key_id != entry["key_id"]:
                raise ValueError(f"entry {number} names key {entry['key_id']} but holds key {key_id}")
            key.verify(base64.b64decode(signatures["self"], validate=True), data)
            if previous_key is None:
                if entry["previous_key_id"] is not None:
                    raise ValueError("the first entry names a previous key")
            else:
                if entry["previous_key_id"] != previous_id:
                    raise ValueError(f"entry {number} is not handed over by the key before it")
                previous_key.verify(base64.b64decode(signatures["previous"], validate=True), data)
                keys[previous_id]["valid_to"] = _time(entry["previous_valid_to"])
            valid_from = _time(entry["valid_from"])
            if valid_from is None and (number > 1 or entry["valid_from"] is not None):
                # Only the first key may have no lower bound (it signed all before the log began).
                raise ValueError(f"entry {number} has no valid_from time")
            keys[key_id] = {"valid_from": valid_from, "valid_to": None, "seq": number}
            prev, previous_key, previous_id = hashlib.sha256(data).hexdigest(), key, key_id
    except InvalidSignature:
        report.fail(f"{source}: a key log signature does not verify (the log was forged or edited)")
        return None
    except Exception as exc:  # noqa: BLE001 - a malformed log is a failure, never a crash
        report.fail(f"{source}: not a valid key log ({exc or type(exc).__name__})")
        return None
    if pinned not in keys:
        report.fail(
            f"{source}: the key log does not contain the key you pinned ({pinned}): it is not the log "
            f"of the platform you trust, or it predates your key (then give --key-log with the log the "
            f"platform publishes at /.well-known/odr-key-log.json)"
        )
        return None
    report.ok(
        f"{source}: {len(keys)} key(s), every entry signed by its key and by the key before it, "
        f"anchored at the key you pinned"
    )
    return keys


class Trust:
    """The key the court pinned out of band, extended to rotated keys only through a checked key log."""

    def __init__(self, pinned: str | None, key_log: bytes | None = None, insecure: bool = False):
        self.pinned = pinned.strip().lower() if pinned else None
        self.key_log = key_log
        self.insecure = insecure
        self.keys: dict[str, dict] | None = None
        self.log_checked = False

    def load_log(self, raw: bytes | None, source: str, report: Report) -> None:
        """Use the court's own copy of the key log if it gave one, else the given (e.g. bundled) one."""
        if self.log_checked or self.pinned is None:
            return
        if self.key_log is not None:
            raw, source = self.key_log, "the key log you gave (--key-log)"
        if raw is None:
            return
        self.log_checked = True
        self.keys = check_key_log(raw, self.pinned, source, report)

    def judge(self, key_id: str, at: str | None, what: str, report: Report) -> bool:
        if self.pinned is None:
            report.warn(
                f"{what}: INSECURE: trusting key {key_id} only because the bundle encloses it "
                f"(--insecure-trust-bundled-key); a forger can sign with any key. Give --key-id with the "
                f"fingerprint your court pinned."
            )
            return True
        if self.keys is None:
            if key_id == self.pinned:
                report.ok(f"{what}: the signing key is the platform key you trust ({key_id})")
                return True
            report.fail(
                f"{what}: signed with key {key_id}, not with the platform key you trust ({self.pinned}), "
                f"and no valid key log links the two (a rotated key needs --key-log)"
            )
            return False
        validity = self.keys.get(key_id)
        if validity is None:
            report.fail(
                f"{what}: signed with key {key_id}, not with the platform key you trust ({self.pinned}) "
                f"nor any key in its key log"
            )
            return False
        when = _time(at)
        if when is None:
            report.fail(f"{what}: no valid signing time to check key {key_id}'s validity against")
            return False
        starts, ends = validity["valid_from"], validity["valid_to"]
        if (starts is not None and when < starts) or (ends is not None and when > ends):
            report.fail(f"{what}: signed at {at}, outside the validity of key {key_id} in the key log")
            return False
        if key_id == self.pinned:
            report.ok(f"{what}: the signing key is the platform key you trust ({key_id}), valid at {at}")
        else:
            report.ok(
                f"{what}: the signing key {key_id} is linked by the key log to the platform key you trust, "
                f"and was valid at {at}"
            )
        return True

    def check_stamped(self, key_id: str | None, stamped: datetime, report: Report) -> None:
        """A trusted timestamp proves when the statement existed: its key must not have been retired by then
        (a thief of a retired key can back-date created_at, not the TSA's genTime)."""
        if self.keys is None or key_id not in self.keys:
            return
        ends = self.keys[key_id]["valid_to"]
        if ends is not None and stamped > ends:
            report.fail(
                f"statement.json: timestamped {stamped:%Y-%m-%d %H:%M:%S} UTC, after key {key_id} was "
                f"retired ({ends:%Y-%m-%d %H:%M:%S} UTC): signed with a retired key"
            )
        else:
            report.ok(f"statement.json: timestamped while key {key_id} was valid")


def check_signed(
    data: bytes,
    signature: bytes,
    pem: bytes,
    named_key_id: str | None,
    at: str | None,
    trust: Trust,
    what: str,
    report: Report,
) -> bool:
    """The Ed25519 signature over ``data`` with the given key, and the key against what the court trusts."""
    from cryptography.exceptions import InvalidSignature

    try:
        key, key_id = _public_key(pem)
    except ValueError as exc:
        report.fail(f"{what}: the public key cannot be read ({exc})")
        return False
    good = True
    if named_key_id is not None and key_id != named_key_id:
        good = False
        report.fail(
            f"{what}: the enclosed public key has id {key_id}, but the signed document names key "
            f"{named_key_id} (the public key was swapped)"
        )
    if not trust.judge(key_id, at, what, report):
        good = False
    try:
        key.verify(signature, data)
        report.ok(f"{what}: the Ed25519 signature verifies")
    except InvalidSignature:
        report.fail(f"{what}: the Ed25519 signature does not verify (edited after signing, or signed by another key)")
        good = False
    return good


def _statement(bag: Bag, report: Report, trust: Trust) -> dict | None:
    for rel in ("statement.json", "statement.json.sig", "keys/platform-signing.pub.pem"):
        if rel not in bag.files:
            report.fail(f"{rel} is missing")
            return None
    raw = bag.read("statement.json")
    try:
        statement = parse_canonical(raw)
    except ValueError as exc:
        report.fail(f"statement.json: {exc}")
        try:
            statement = json.loads(raw.decode("utf-8", "replace") or "{}")
        except ValueError:
            return None
    if not isinstance(statement, dict) or statement.get("profile") != PROFILE:
        report.fail(f"statement.json: not a {PROFILE} statement")
        return None
    bundled_log = bag.read("keys/key-log.json") if "keys/key-log.json" in bag.files else None
    trust.load_log(bundled_log, "keys/key-log.json", report)
    named = (statement.get("signer") or {}).get("key_id")
    check_signed(
        raw,
        bag.read("statement.json.sig"),
        bag.read("keys/platform-signing.pub.pem"),
        named,
        statement.get("created_at"),
        trust,
        "statement.json",
        report,
    )
    return statement


def check_signed_tag_files(bag: Bag, statement: dict, report: Report) -> None:
    """Every file outside data/ is named with its SHA-256 in the signed statement, or checked on its own."""
    signed = statement.get("tag_files")
    if not isinstance(signed, dict):
        report.fail("statement.json does not sign the tag files (bag-info.txt, VERIFY.md, verifier.py, keys)")
        return
    problems = 0
    for rel in sorted(r for r in bag.files if not r.startswith("data/") and r not in SELF_EVIDENT):
        if rel not in signed:
            problems += 1
            report.fail(f"{rel}: not covered by the signature (added to the bag after signing)")
        elif bag.digests(rel, ("sha256",))["sha256"] != signed[rel]:
            problems += 1
            report.fail(f"{rel}: differs from the SHA-256 in the signed statement (changed after signing)")
    for rel in sorted(set(signed) - bag.files.keys()):
        problems += 1
        report.fail(f"{rel}: signed in the statement but missing from the bag")
    if not problems:
        report.ok(f"the signed statement covers every tag file ({len(signed)} by SHA-256, the manifests by digest)")


def _check_pinned_manifests(bag: Bag, statement: dict, report: Report) -> None:
    for alg in ALGORITHMS:
        name = f"manifest-{alg}.txt"
        if name not in bag.files:
            continue
        signed = statement.get(f"payload_manifest_{alg}")
        if hashlib.new(alg, bag.read(name)).hexdigest() != signed:
            report.fail(f"{name} is not the manifest the platform signed (payload changed after signing)")
        else:
            report.ok(f"{name} is the manifest the platform signed")


# -- the event log ------------------------------------------------------------------------------


def event_hash(prev_hash: str, body: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical_json(body)).hexdigest()


def check_events(bag: Bag, statement: dict, report: Report) -> str | None:
    """The chain, the signed count, head and root; times never decreasing; the earlier bundle's prefix.

    Returns the Merkle root of the first ``previous_export.event_count`` events (None without one)."""
    rel = "data/events.jsonl"
    if rel not in bag.files:
        report.fail(f"{rel} is missing")
        return None
    previous = statement.get("previous_export")
    prefix_size = previous.get("event_count") if isinstance(previous, dict) else None
    prefix_root = None
    tree, prev, problems, expected_seq, last_time = MerkleTree(), GENESIS, 0, 1, None
    for number, line in enumerate(bag.lines(rel), start=1):
        where = f"{rel} line {number}"
        if not line.endswith(b"\n"):
            problems += 1
            report.fail(f"{where}: no line feed at the end (the log was cut)")
        line = line.rstrip(b"\n")
        tree.add(line)
        if tree.size == prefix_size:
            prefix_root = tree.root()
        try:
            event = parse_canonical(line)
            body = {k: v for k, v in event.items() if k not in ("prev_hash", "hash")}
            seq, claimed_prev, claimed, at = event["seq"], event["prev_hash"], event["hash"], event["created_at"]
            if not (isinstance(seq, int) and isinstance(claimed_prev, str) and isinstance(claimed, str)):
                raise TypeError("seq, prev_hash or hash of the wrong type")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            problems += 1
            report.fail(f"{where}: not an event line ({exc})")
            continue
        if seq != expected_seq:
            problems += 1
            reason = "an event is missing" if seq > expected_seq else "events reordered"
            report.fail(f"{where}: event {seq} where event {expected_seq} belongs ({reason})")
        if claimed_prev != prev:
            problems += 1
            report.fail(
                f"{where}: event {seq} does not follow the event before it (prev_hash {claimed_prev[:16]}… "
                f"but the previous event's hash is {prev[:16]}…)"
            )
        if event_hash(claimed_prev, body) != claimed:
            problems += 1
            report.fail(f"{where}: event {seq} was edited (its content does not match its hash)")
        when = _time(at)
        if when is None:
            problems += 1
            report.fail(f"{where}: event {seq} has no valid UTC time")
        elif last_time is not None and when < last_time:
            problems += 1
            report.fail(f"{where}: event {seq} is dated {at}, before the event before it (times run backwards)")
        last_time = when or last_time
        prev = claimed
        expected_seq = seq + 1
    signed = statement.get("events") or {}
    if tree.size != signed.get("count"):
        problems += 1
        report.fail(f"{rel}: {tree.size} event(s), the statement signed {signed.get('count')}")
    if prev != signed.get("chain_head"):
        problems += 1
        report.fail(f"{rel}: the chain ends in {prev}, the statement signed {signed.get('chain_head')}")
    root = tree.root()
    if root != signed.get("merkle_root"):
        problems += 1
        report.fail(f"{rel}: RFC 6962 Merkle root {root} differs from the signed root {signed.get('merkle_root')}")
    if not problems:
        report.ok(f"{rel}: {tree.size} event(s) chained, times in order, Merkle root {root} as signed")
    if previous is not None:
        if prefix_root is None or prefix_root != previous.get("merkle_root"):
            report.fail(
                f"{rel}: the first {prefix_size} event(s) do not reproduce the earlier bundle's Merkle root "
                f"{previous.get('merkle_root')} (the history before it was rewritten)"
            )
        else:
            report.ok(f"{rel}: the first {prefix_size} event(s) reproduce the earlier bundle's Merkle root")
    return prefix_root


def check_previous_bundle(
    path: str, statement: dict, trust: Trust, tsa_ca: bytes | None, report: Report, bag: Bag | None = None
) -> None:
    """The earlier bundle the court holds: valid on its own, the one this bundle extends, and its key log a
    prefix of this bundle's (a platform that forked its key log in between is caught here)."""
    previous = statement.get("previous_export")
    if not isinstance(previous, dict):
        report.fail(f"--previous {path}: this bundle does not extend an earlier one")
        return
    quiet = io.StringIO()
    code = verify_bundle(path, trust.pinned, tsa_ca, out=quiet, key_log=trust.key_log)
    if code == EXIT_INVALID:
        report.fail(f"--previous {path}: the earlier bundle does not verify on its own (run the verifier on it)")
        return
    earlier_bag = Bag(path)
    earlier = parse_canonical(earlier_bag.read("statement.json"))
    theirs = {
        "bundle_id": earlier.get("bundle_id"),
        "event_count": (earlier.get("events") or {}).get("count"),
        "merkle_root": (earlier.get("events") or {}).get("merkle_root"),
    }
    ours = {k: previous.get(k) for k in theirs}
    if theirs != ours or earlier.get("case_id") != statement.get("case_id"):
        report.fail(f"--previous {path}: this bundle names earlier bundle {ours}, you hold {theirs}")
    else:
        report.ok(
            f"--previous {path}: this bundle extends the earlier bundle you hold ({theirs['event_count']} "
            f"event(s), root {theirs['merkle_root']})"
        )
    if bag is not None and "keys/key-log.json" in bag.files and "keys/key-log.json" in earlier_bag.files:
        before = json.loads(earlier_bag.read("keys/key-log.json"))["entries"]
        after = json.loads(bag.read("keys/key-log.json"))["entries"]
        if after[: len(before)] != before:
            report.fail(
                f"--previous {path}: the earlier bundle's key log is not a prefix of this bundle's "
                f"(the platform's key history was rewritten between them)"
            )
        else:
            report.ok(f"--previous {path}: the earlier bundle's key log is a prefix of this bundle's")


# -- documents: case.json, ECF hashes, deposit certificates --------------------------------------


def _entries(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def check_documents(
    bag: Bag, manifests: dict, statement: dict, trust: Trust, tsa_ca: bytes | None, report: Report
) -> None:
    sha256 = manifests.get("sha256", {})
    if "data/case.json" not in bag.files:
        report.fail("data/case.json is missing")
        return
    try:
        case = json.loads(bag.read("data/case.json"))
        if not isinstance(case, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        report.fail(f"data/case.json: not readable JSON ({exc})")
        return
    if case.get("case_id") != statement.get("case_id"):
        report.fail("data/case.json is about another case than the statement")
    problems = 0
    evidence = _entries(case.get("evidence"))
    for item in evidence + _entries(case.get("documents")):
        for rendition in _entries(item.get("renditions", [item])):
            path, digest = rendition.get("path"), rendition.get("sha256")
            if path not in sha256 or sha256[path] != digest:
                problems += 1
                report.fail(f"data/case.json: {path} is listed with SHA-256 {digest}, the manifest disagrees")
    import xml.etree.ElementTree as ET  # expat: no external entities, bounded entity expansion

    nc = "{http://release.niem.gov/niem/niem-core/4.0/}"
    ecf = "{https://docs.oasis-open.org/legalxml-courtfiling/ns/v5.0/ecf}"
    ecf_files = sorted(rel for rel in bag.files if rel.startswith("data/ecf/") and rel.endswith(".xml"))
    for rel in ecf_files:
        try:
            root = ET.fromstring(bag.read(rel))
        except ET.ParseError as exc:
            problems += 1
            report.fail(f"{rel}: not well-formed XML ({exc})")
            continue
        for node in root.iter(f"{ecf}DocumentRendition"):
            uri = node.find(f".//{nc}BinaryURI")
            digest = node.find(f"{ecf}DocumentRenditionHash")
            if uri is None or digest is None or sha256.get(uri.text) != digest.text:
                problems += 1
                report.fail(f"{rel}: DocumentRenditionHash of {getattr(uri, 'text', '?')} differs from the manifest")
    if not problems:
        report.ok(f"data/case.json and {len(ecf_files)} ECF filing(s) name the hashes in the manifest")
    check_service(bag, case, report)
    for item in evidence:
        # Checked here, not only read from the platform's flag: the bytes against the hash taken at receipt.
        label = f"evidence E{item.get('id')} ({item.get('original_name')!r}, received {item.get('uploaded_at')})"
        if item.get("path") is None:
            report.alarm(
                f"{label}: the file was lost from the platform's store after receipt; "
                f"only its receipt hash {item.get('sha256_at_receipt')} remains"
            )
        elif item.get("sha256") != item.get("sha256_at_receipt"):
            report.alarm(
                f"{label}: the exported file's SHA-256 {item.get('sha256')} differs from the SHA-256 "
                f"{item.get('sha256_at_receipt')} taken at receipt (changed while stored)"
            )
        elif item.get("integrity_alarm"):
            report.alarm(f"{label}: {item.get('integrity_alarm')}")
        cert = item.get("deposit_certificate")
        if cert:
            if cert not in bag.files:
                report.fail(f"{cert}: named in data/case.json but missing")
                continue
            check_certificate(
                bag.read(cert).decode("utf-8", "replace"),
                trust,
                tsa_ca,
                report,
                work_sha256=item.get("sha256_at_receipt"),
                label=cert,
            )


# The instants of a delivery in data/case.json and the chained event that records each.
SERVICE_STEPS = (("accepted", "accepted_at"), ("refused", "failed_at"), ("opened", "opened_at"))


def check_service(bag: Bag, case: dict, report: Report) -> None:
    """Proof of service: each delivery that data/case.json lists is the one its chained events record (the
    act_served event names it with the same addressee, channel, digest and legal text; each instant has its
    delivery_accepted, delivery_refused or delivery_opened event at the same time), so the list can be trusted
    as far as the chain is."""
    entries = _entries(case.get("service"))
    if not entries or "data/events.jsonl" not in bag.files:
        return
    wanted = {seq for entry in entries for seq in (entry.get("events") or {}).values()}
    chained: dict[int, dict] = {}
    for line in bag.lines("data/events.jsonl"):
        try:
            event = json.loads(line)
        except ValueError:
            continue  # check_events reported it
        if isinstance(event, dict) and event.get("seq") in wanted:
            chained[event["seq"]] = event
    problems = 0
    for entry in entries:
        label = f"data/case.json: delivery D{entry.get('delivery_id')} ({entry.get('act')} to {entry.get('role')})"
        refs: dict = entry["events"] if isinstance(entry.get("events"), dict) else {}
        served: dict = chained.get(refs.get("served", -1), {})
        payload: dict = served["payload"] if isinstance(served.get("payload"), dict) else {}
        listed = next(
            (d for d in _entries(payload.get("deliveries")) if d.get("delivery_id") == entry.get("delivery_id")),
            None,
        )
        if served.get("kind") != "act_served" or listed is None:
            problems += 1
            report.fail(f"{label}: no act_served event on the chain records it")
            continue
        differing = [k for k in ("role", "channel", "language", "content_sha256") if listed.get(k) != entry.get(k)]
        if differing:
            problems += 1
            report.fail(f"{label}: its {', '.join(differing)} differ(s) from the chained act_served event")
        statement = entry.get("statement")
        if isinstance(statement, dict):
            texts = {
                s.get("text")
                for s in _entries(payload.get("statements"))
                if (s.get("account_id"), s.get("party_id")) == (listed.get("account_id"), listed.get("party_id"))
            }
            if statement.get("text") not in texts:
                problems += 1
                report.fail(f"{label}: the text the law required is not the one the chain recorded as served")
        for step, field in SERVICE_STEPS:
            if entry.get(field) is None and refs.get(step) is None:
                continue
            recorded: dict = chained.get(refs.get(step, -1), {})
            body: dict = recorded["payload"] if isinstance(recorded.get("payload"), dict) else {}
            if (
                recorded.get("kind") != f"delivery_{step}"
                or body.get("delivery_id") != entry.get("delivery_id")
                or _time(body.get("at")) is None
                or _time(body.get("at")) != _time(entry.get(field))
            ):
                problems += 1
                report.fail(f"{label}: {field} {entry.get(field)} is not what the chain records")
    if not problems:
        report.ok(f"data/case.json: {len(entries)} deliveries of procedural acts match the chained proof of service")


def check_certificate(
    text: str,
    trust: Trust,
    tsa_ca: bytes | None,
    report: Report,
    work_sha256: str | None = None,
    label: str = "certificate",
) -> None:
    try:
        envelope = json.loads(text)
        certificate = envelope["certificate"]
        signed = canonical_json(certificate)
        signature = base64.b64decode(envelope["signature"], validate=True)
        pem = envelope["public_key_pem"].encode("ascii")
        signer = certificate.get("signer") or {}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        report.fail(f"{label}: not a deposit certificate ({exc})")
        return
    if certificate.get("profile") != CERTIFICATE_PROFILE:
        report.fail(f"{label}: not a {CERTIFICATE_PROFILE} certificate")
        return
    check_signed(signed, signature, pem, signer.get("key_id"), certificate.get("deposited_at"), trust, label, report)
    if work_sha256 is not None:
        if certificate.get("sha256") != work_sha256:
            report.fail(f"{label}: certifies SHA-256 {certificate.get('sha256')}, the work has {work_sha256}")
        else:
            report.ok(f"{label}: the work matches the deposited SHA-256 (deposited {certificate.get('deposited_at')})")
    if envelope.get("timestamp_token"):
        try:
            token = base64.b64decode(envelope["timestamp_token"], validate=True)
        except (ValueError, TypeError) as exc:
            report.fail(f"{label}: the timestamp token is not base64 ({exc})")
            return
        check_timestamp(token, signed, tsa_ca, label, report)


# -- RFC 3161 timestamp (a minimal DER reader; the signature is checked with cryptography) --------


class DER:
    __slots__ = ("tag", "raw", "body")

    def __init__(self, data: bytes, pos: int = 0):
        self.tag = data[pos]
        length, p = data[pos + 1], pos + 2
        if length & 0x80:
            count = length & 0x7F
            if not 1 <= count <= 4:
                raise ValueError("unsupported DER length")
            length, p = int.from_bytes(data[p : p + count], "big"), p + count
        if p + length > len(data):
            raise ValueError("truncated DER")
        self.raw, self.body = data[pos : p + length], data[p : p + length]

    def children(self) -> list[DER]:
        out, pos = [], 0
        while pos < len(self.body):
            child = DER(self.body, pos)
            out.append(child)
            pos += len(child.raw)
        return out

    def oid(self) -> str:
        first, rest, out, value = self.body[0], self.body[1:], [], 0
        out += [str(min(first // 40, 2)), str(first - 40 * min(first // 40, 2))]
        for byte in rest:
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                out.append(str(value))
                value = 0
        return ".".join(out)

    def integer(self) -> int:
        return int.from_bytes(self.body, "big", signed=True)


HASHES = {
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
    "1.3.14.3.2.26": "sha1",
}
OID_SIGNED_DATA, OID_TST_INFO = "1.2.840.113549.1.7.2", "1.2.840.113549.1.9.16.1.4"
OID_MESSAGE_DIGEST, OID_TIME_STAMPING = "1.2.840.113549.1.9.4", "1.3.6.1.5.5.7.3.8"


def parse_timestamp_response(response: bytes) -> dict:
    """Status, token, TSTInfo fields of a TimeStampResp (or a bare token)."""
    top = DER(response)
    parts = top.children()
    if parts and parts[0].tag == 0x30 and parts[0].children() and parts[0].children()[0].tag == 0x02:
        status = parts[0].children()[0].integer()
        if status not in (0, 1):
            return {"status": status}
        token = parts[1]
    else:
        status, token = 0, top
    content_type, wrapped = token.children()
    if content_type.oid() != OID_SIGNED_DATA:
        raise ValueError("the token is not CMS SignedData")
    signed_data = wrapped.children()[0].children()
    encap = signed_data[2].children()
    if encap[0].oid() != OID_TST_INFO:
        raise ValueError("the token does not hold a TSTInfo")
    tst_der = encap[1].children()[0].body
    tst = DER(tst_der).children()
    imprint_alg = HASHES.get(tst[2].children()[0].children()[0].oid(), "unknown")
    gen_time = tst[4].body.decode("ascii")
    nonce = next((c.integer() for c in tst[5:] if c.tag == 0x02), None)
    certificates = [c.raw for s in signed_data if s.tag == 0xA0 for c in s.children()]
    signer_info = signed_data[-1].children()[0]
    return {
        "status": status,
        "token": token.raw,
        "tst_info": tst_der,
        "imprint_alg": imprint_alg,
        "imprint": tst[2].children()[1].body.hex(),
        "gen_time": _generalized_time(gen_time),
        "serial": tst[3].integer(),
        "nonce": nonce,
        "certificates": certificates,
        "signer_info": signer_info,
    }


def _generalized_time(text: str) -> datetime:
    main = text.rstrip("Z").split(".")[0]
    return datetime.strptime(main, "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)


def _verify_cms_signature(parsed: dict) -> Certificate:
    """Check the SignerInfo's signature and message digest; return the signing certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

    fields = parsed["signer_info"].children()
    serial = fields[1].children()[1].integer() if fields[1].tag == 0x30 else None
    digest_alg = HASHES[fields[2].children()[0].oid()]
    attrs = fields[3]
    if attrs.tag != 0xA0:
        raise ValueError("the token has no signed attributes")
    digest = next(
        a.children()[1].children()[0].body for a in attrs.children() if a.children()[0].oid() == OID_MESSAGE_DIGEST
    )
    if digest != hashlib.new(digest_alg, parsed["tst_info"]).digest():
        raise ValueError("the TSTInfo does not match the signed message digest")
    signature = fields[5].body
    certs = [x509.load_der_x509_certificate(raw) for raw in parsed["certificates"]]
    cert = next((c for c in certs if serial is None or c.serial_number == serial), None)
    if cert is None:
        raise ValueError("the token does not carry the TSA's certificate")
    signed_bytes = b"\x31" + attrs.raw[1:]  # signed attributes are signed as a SET OF
    key = cert.public_key()
    hash_cls = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512, "sha1": hashes.SHA1}
    if isinstance(key, rsa.RSAPublicKey):
        key.verify(signature, signed_bytes, padding.PKCS1v15(), hash_cls[digest_alg]())
    elif isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, signed_bytes, ec.ECDSA(hash_cls[digest_alg]()))
    elif isinstance(key, ed25519.Ed25519PublicKey):
        key.verify(signature, signed_bytes)
    else:
        raise ValueError("unsupported TSA key type")
    return cert


def check_timestamp(response: bytes, data: bytes, tsa_ca: bytes | None, label: str, report: Report) -> datetime | None:
    """The token's checks; its genTime when it verifies and the court trusts its TSA (else None)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    where = f"{label}: RFC 3161 timestamp"
    try:
        parsed = parse_timestamp_response(response)
        if parsed["status"] not in (0, 1):
            report.fail(f"{where}: the TSA refused the request (status {parsed['status']})")
            return None
        if (
            parsed["imprint_alg"] not in HASHES.values()
            or hashlib.new(parsed["imprint_alg"], data).hexdigest() != parsed["imprint"]
        ):
            report.fail(f"{where}: the token is for other data, not for {label}")
            return None
        cert = _verify_cms_signature(parsed)
    except Exception as exc:  # noqa: BLE001 - a malformed or forged token is a failure, never a crash
        report.fail(f"{where}: the token does not verify ({exc or type(exc).__name__})")
        return None
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        timestamping = any(u.dotted_string == OID_TIME_STAMPING for u in usages)
    except x509.ExtensionNotFound:
        timestamping = False
    if not timestamping:
        report.fail(f"{where}: the signing certificate is not a time-stamping certificate")
        return None
    when = parsed["gen_time"]
    if not cert.not_valid_before_utc <= when <= cert.not_valid_after_utc:
        report.fail(f"{where}: the TSA certificate was not valid at {when:%Y-%m-%d %H:%M:%S} UTC")
        return None
    if tsa_ca is None:
        report.warn(
            f"{where}: signed {when:%Y-%m-%d %H:%M:%S} UTC by '{cert.subject.rfc4514_string()}'; "
            f"give --tsa-ca to check that this TSA is one you trust"
        )
        return None
    anchors = x509.load_pem_x509_certificates(tsa_ca)
    trusted = any(cert == ca for ca in anchors)
    for ca in anchors:
        try:
            cert.verify_directly_issued_by(ca)
            trusted = True
        except (ValueError, TypeError, InvalidSignature):
            continue
    if trusted:
        report.ok(f"{where}: issued {when:%Y-%m-%d %H:%M:%S} UTC by the trusted TSA '{cert.subject.rfc4514_string()}'")
        return when
    else:
        report.fail(f"{where}: the TSA '{cert.subject.rfc4514_string()}' is not issued by the CA you gave")
        return None


# -- entry points -------------------------------------------------------------------------------


def _stage(report: Report, what: str, check, *args):
    """Run one check; anything it cannot read becomes a failure line, never a traceback."""
    try:
        return check(*args)
    except Exception as exc:  # noqa: BLE001 - a malformed bundle must end in a verdict
        report.fail(f"{what}: cannot be checked ({type(exc).__name__}: {exc})")
        return None


def _no_trusted_key(report: Report, what: str) -> int:
    report.fail(
        "no trusted key: give --key-id with the platform key fingerprint your court pinned when its "
        "account was created (shown on the court portal). The key inside the bundle proves nothing: "
        "a forger encloses their own. To check integrity only, add --insecure-trust-bundled-key."
    )
    return report.finish(what)


def verify_bundle(
    path: str,
    trusted_key_id: str | None = None,
    tsa_ca: bytes | None = None,
    out=None,
    *,
    key_log: bytes | None = None,
    previous: str | None = None,
    insecure: bool = False,
) -> int:
    report = Report(out)
    print(f"Verifying bundle {path} ({PROFILE})", file=report.out)
    if not trusted_key_id and not insecure:
        return _no_trusted_key(report, "the bundle")
    trust = Trust(trusted_key_id, key_log, insecure)
    try:
        bag = Bag(path)
    except Exception as exc:  # noqa: BLE001 - BundleError, OSError, BadZipFile, and whatever a broken zip raises
        report.fail(f"{path}: cannot be read ({exc or type(exc).__name__})")
        return report.finish("the bundle")
    manifests = _stage(report, "the bag", check_bag, bag, report) or {}
    statement = _stage(report, "statement.json", _statement, bag, report, trust)
    if statement is None:
        if not report.failures:
            report.fail("statement.json: cannot be read")
        return report.finish("the bundle")
    _stage(report, "the tag files", check_signed_tag_files, bag, statement, report)
    _stage(report, "the payload manifests", _check_pinned_manifests, bag, statement, report)
    _stage(report, "data/events.jsonl", check_events, bag, statement, report)
    if previous:
        _stage(report, f"--previous {previous}", check_previous_bundle, previous, statement, trust, tsa_ca, report, bag)
    elif statement.get("previous_export") is not None:
        report.warn(
            "this bundle extends an earlier one; give --previous with the earlier bundle you received to "
            "check that it extends that very bundle"
        )
    _stage(report, "data/case.json", check_documents, bag, manifests, statement, trust, tsa_ca, report)
    if "statement.json.tsr" in bag.files:
        stamped = _stage(
            report,
            "statement.json.tsr",
            lambda: check_timestamp(
                bag.read("statement.json.tsr"), bag.read("statement.json"), tsa_ca, "statement.json", report
            ),
        )
        if stamped is not None:
            _stage(
                report,
                "statement.json.tsr",
                trust.check_stamped,
                (statement.get("signer") or {}).get("key_id"),
                stamped,
                report,
            )
    else:
        report.warn("statement.json has no RFC 3161 timestamp token; its time rests on the platform's word")
    return report.finish("the bundle")


def verify_certificate(
    path: str,
    work: str | None,
    trusted_key_id: str | None = None,
    tsa_ca: bytes | None = None,
    out=None,
    *,
    key_log: bytes | None = None,
    insecure: bool = False,
) -> int:
    report = Report(out)
    if not trusted_key_id and not insecure:
        return _no_trusted_key(report, "the certificate")
    trust = Trust(trusted_key_id, key_log, insecure)
    try:
        work_sha256 = None
        if work:
            digest = hashlib.sha256()
            with open(work, "rb") as fh:
                for chunk in iter(lambda: fh.read(CHUNK), b""):
                    digest.update(chunk)
            work_sha256 = digest.hexdigest()
        with open(path, encoding="utf-8", errors="replace") as fh:
            text = fh.read(MAX_TAG_FILE)
    except OSError as exc:
        report.fail(f"{path}: cannot be read ({exc})")
        return report.finish("the certificate")
    trust.load_log(None, "", report)
    _stage(report, path, check_certificate, text, trust, tsa_ca, report, work_sha256, path)
    return report.finish("the certificate")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    bundle = sub.add_parser("bundle", help="verify an export bundle (a bag folder or its zip)")
    bundle.add_argument("path")
    bundle.add_argument("--previous", help="the earlier bundle of the case you received (for a closing bundle)")
    cert = sub.add_parser("certificate", help="verify a deposit certificate")
    cert.add_argument("path")
    cert.add_argument("--work", help="the deposited file, to compare its SHA-256")
    for p in (bundle, cert):
        p.add_argument("--key-id", help="the platform key fingerprint your court pinned (never take it from a bundle)")
        p.add_argument(
            "--key-log",
            help="the platform's key log, from /.well-known/odr-key-log.json (needed when "
            "the key was rotated since you pinned it)",
        )
        p.add_argument("--tsa-ca", help="PEM file of the TSA certificate(s) or CA(s) you trust")
        p.add_argument(
            "--insecure-trust-bundled-key",
            action="store_true",
            help="INSECURE: trust whatever key the bundle encloses (integrity only, no authenticity)",
        )
    args = parser.parse_args(argv)
    try:
        tsa_ca = _read_file(args.tsa_ca)
        key_log = _read_file(args.key_log)
    except OSError as exc:
        print(f"[FAIL] {exc}")
        return EXIT_INVALID
    if args.command == "bundle":
        return verify_bundle(
            args.path,
            args.key_id,
            tsa_ca,
            key_log=key_log,
            previous=args.previous,
            insecure=args.insecure_trust_bundled_key,
        )
    return verify_certificate(
        args.path, args.work, args.key_id, tsa_ca, key_log=key_log, insecure=args.insecure_trust_bundled_key
    )


def _read_file(path: str | None) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as fh:
        return fh.read(MAX_TAG_FILE)


if __name__ == "__main__":
    sys.exit(main())
