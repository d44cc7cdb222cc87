"""The verifier never crashes: truncated, bit-flipped and malformed bundles, zipped or unpacked, each end in a
failure line and exit status 2, never a traceback."""

from __future__ import annotations

import contextlib
import io
import random
import shutil
import zipfile
import zlib
from pathlib import Path

import pytest

from odr.export import verifier
from odr.integrity.keys import platform_key

SEED = 20261202


def run(path: Path) -> tuple[int, str]:
    """The verifier's command line, in this process, so that any exception would reach the test."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = verifier.main(["bundle", str(path), "--key-id", platform_key().key_id])
    return code, out.getvalue()


def assert_refused(path: Path) -> None:
    code, report = run(path)
    assert code == 2, report
    assert "[FAIL] " in report and "RESULT: the bundle is NOT valid" in report


def test_truncated_zips(escalated, tmp_path):
    _case, _export, path = escalated
    data = path.read_bytes()
    rng = random.Random(SEED)
    for index, cut in enumerate(
        [0, 1, 21, 100, len(data) // 2, len(data) - 22, len(data) - 1] + rng.sample(range(len(data)), 20)
    ):
        target = tmp_path / f"cut-{index}.zip"
        target.write_bytes(data[:cut])
        assert_refused(target)


def _member_data_ranges(data: bytes, path: Path) -> list[range]:
    """Where each member's (possibly compressed) bytes lie in the archive."""
    ranges = []
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            start = info.header_offset
            name_length = int.from_bytes(data[start + 26 : start + 28], "little")
            extra_length = int.from_bytes(data[start + 28 : start + 30], "little")
            begin = start + 30 + name_length + extra_length
            if info.compress_size:
                ranges.append(range(begin, begin + info.compress_size))
    return ranges


def test_bit_flips_in_any_file_of_the_archive(escalated, tmp_path):
    _case, _export, path = escalated
    data = path.read_bytes()
    rng = random.Random(SEED)
    ranges = _member_data_ranges(data, path)
    for index in range(60):
        flipped = bytearray(data)
        for _ in range(rng.choice([1, 1, 2, 8])):
            position = rng.choice(rng.choice(ranges))
            flipped[position] ^= 1 << rng.randrange(8)
        target = tmp_path / f"flip-{index}.zip"
        target.write_bytes(bytes(flipped))
        if _same_files(path, target):
            # The flip hit bits a deflate stream does not use (the padding of its last byte): every file reads
            # back byte for byte as before, so the bundle is the one the platform signed and verifies.
            assert run(target)[0] == 0
        else:
            assert_refused(target)


def _same_files(original: Path, flipped: Path) -> bool:
    """Whether every member of the flipped archive reads back (CRC checked) exactly as in the original."""
    try:
        with zipfile.ZipFile(original) as before, zipfile.ZipFile(flipped) as after:
            return all(before.read(info) == after.read(info.filename) for info in before.infolist())
    except (zipfile.BadZipFile, zlib.error, OSError, KeyError, EOFError):
        return False


def test_bit_flips_anywhere_in_the_archive(escalated, tmp_path):
    _case, _export, path = escalated
    data = path.read_bytes()
    rng = random.Random(SEED)
    for index in range(60):
        flipped = bytearray(data)
        for _ in range(rng.choice([1, 1, 2, 8])):
            position = rng.randrange(len(flipped))
            flipped[position] ^= 1 << rng.randrange(8)
        target = tmp_path / f"flip-{index}.zip"
        target.write_bytes(bytes(flipped))
        code, report = run(target)
        # A flip in zip bookkeeping no file's bytes depend on (a modification time, an unused field) changes
        # nothing the court relies on; the bundle still verifies then. Anything else fails with a line.
        assert code in (0, 2), report
        assert code == 0 or "[FAIL] " in report


def test_a_bit_flip_in_any_file_of_a_bag_folder(bag, tmp_path):
    rng = random.Random(SEED)
    for index, rel in enumerate(sorted(p.relative_to(bag) for p in bag.rglob("*") if p.is_file())):
        copy = tmp_path / f"copy-{index}" / bag.name
        shutil.copytree(bag, copy)
        data = bytearray((copy / rel).read_bytes())
        position = rng.randrange(len(data))
        data[position] ^= 1 << rng.randrange(8)
        (copy / rel).write_bytes(bytes(data))
        code, report = run(copy)
        assert code == 2, (rel, report)
        assert "[FAIL] " in report


def truncate_each_file(bag: Path, tmp_path: Path):
    for index, rel in enumerate(sorted(p.relative_to(bag) for p in bag.rglob("*") if p.is_file())):
        copy = tmp_path / f"cut-{index}" / bag.name
        shutil.copytree(bag, copy)
        data = (copy / rel).read_bytes()
        (copy / rel).write_bytes(data[: len(data) // 2])
        yield rel, copy


def test_a_truncated_file_in_a_bag_folder(bag, tmp_path):
    for rel, copy in truncate_each_file(bag, tmp_path):
        code, report = run(copy)
        assert code == 2, (rel, report)


def _rezip(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, f"{folder.name}/{file.relative_to(folder).as_posix()}")
    return target


MALFORMED = {
    "ecf-not-xml": ("data/ecf", lambda p: [f.write_bytes(b"<filing:FilingMessage><unclosed") for f in p.glob("*.xml")]),
    "ecf-entity-bomb": (
        "data/ecf",
        lambda p: [
            f.write_bytes(
                b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                b"<x>&b;</x>"
            )
            for f in p.glob("*.xml")
        ],
    ),
    "case-json-garbage": ("data/case.json", lambda p: p.write_bytes(b"\xff\xfe{not json")),
    "case-json-wrong-shapes": (
        "data/case.json",
        lambda p: p.write_bytes(b'{"case_id":[1],"evidence":"x","documents":[1,{"renditions":7}]}'),
    ),
    "events-not-json": ("data/events.jsonl", lambda p: p.write_bytes(b"\x00\x01\x02\n{]\n")),
    "events-wrong-types": (
        "data/events.jsonl",
        lambda p: p.write_bytes(b'{"seq":"1","prev_hash":5,"hash":null,"created_at":7}\n'),
    ),
    "statement-not-json": ("statement.json", lambda p: p.write_bytes(b"\x89PNG")),
    "statement-a-list": ("statement.json", lambda p: p.write_bytes(b"[1,2,3]")),
    "statement-wrong-shapes": (
        "statement.json",
        lambda p: p.write_bytes(
            b'{"events":7,"previous_export":"x","profile":"odr-case-bundle/1.0","signer":[],"tag_files":[]}'
        ),
    ),
    "signature-empty": ("statement.json.sig", lambda p: p.write_bytes(b"")),
    "key-not-pem": ("keys/platform-signing.pub.pem", lambda p: p.write_bytes(b"-----BEGIN nonsense")),
    "key-log-garbage": ("keys/key-log.json", lambda p: p.write_bytes(b'{"profile":"odr-key-log/1.0","entries":[7]}')),
    "manifest-binary": ("manifest-sha256.txt", lambda p: p.write_bytes(b"\xff\xff\xff  data/x\n")),
    "tag-manifest-missing": ("tagmanifest-sha256.txt", lambda p: p.unlink()),
    "bagit-missing": ("bagit.txt", lambda p: p.unlink()),
    "timestamp-garbage": ("statement.json", lambda p: (p.parent / "statement.json.tsr").write_bytes(b"\x30\x82\xff")),
    "certificate-garbage": (
        "data/case.json",
        lambda p: p.write_bytes(
            b'{"case_id":1,"evidence":[{"path":"x","sha256":"y","sha256_at_receipt":"y",'
            b'"deposit_certificate":"bagit.txt"}]}'
        ),
    ),
}


@pytest.mark.parametrize("damage", sorted(MALFORMED))
@pytest.mark.parametrize("packing", ["folder", "zip"])
def test_malformed_bundles(bag, tmp_path, damage, packing):
    rel, act = MALFORMED[damage]
    act(bag / rel)
    target = bag if packing == "folder" else _rezip(bag, tmp_path / "malformed.zip")
    assert_refused(target)


def test_not_a_bundle_at_all(app, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "text.zip").write_text("not a zip")
    (tmp_path / "two-bags.zip").write_bytes(b"")
    with zipfile.ZipFile(tmp_path / "two-bags.zip", "w") as archive:
        archive.writestr("a/bagit.txt", "x")
        archive.writestr("b/bagit.txt", "x")
    for target in ("empty", "text.zip", "two-bags.zip", "does-not-exist"):
        assert_refused(tmp_path / target)


def test_a_bag_folder_copied_with_a_stray_directory(bag, tmp_path):
    shutil.copytree(bag / "keys", bag / "data" / "keys-copy")
    assert_refused(bag)
