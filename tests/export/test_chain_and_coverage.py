"""Every byte of a bundle is under the signature; a closing bundle extends the first; times never run backwards;
evidence that changed after receipt raises an alarm in the verifier, case.json and the ECF."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from odr.cases import events
from odr.cases.models import Event
from odr.cases.services import Upload
from odr.evidence import storage
from odr.export import court, verifier
from odr.extensions import db
from odr.integrity.keys import platform_key
from tests.export.conftest import escalate, stored_bundle
from tests.export.test_court_portal import DECISION, PDF
from tests.export.test_tampering import rehash


def verify(path, **options) -> tuple[int, str]:
    out = io.StringIO()
    return verifier.verify_bundle(str(path), platform_key().key_id, out=out, **options), out.getvalue()


def unpack(path: Path, where: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        archive.extractall(where)
    (folder,) = where.iterdir()
    return folder


def resign(bag: Path) -> None:
    """What a thief of the platform key could do: re-sign a rewritten bag with the genuine key."""
    statement = json.loads((bag / "statement.json").read_bytes())
    for alg in ("sha256", "sha512"):
        statement[f"payload_manifest_{alg}"] = hashlib.new(alg, (bag / f"manifest-{alg}.txt").read_bytes()).hexdigest()
    raw = verifier.canonical_json(statement)
    (bag / "statement.json").write_bytes(raw)
    (bag / "statement.json.sig").write_bytes(platform_key().sign(raw))
    rehash(bag)


@pytest.mark.parametrize(
    "change", ["bag-info", "extra-tag-file", "backdoored-verifier", "verify-md", "key-id", "uppercase-tag-manifest"]
)
def test_every_tag_file_is_covered_by_the_signature(bag, change):
    if change == "bag-info":
        with open(bag / "bag-info.txt", "a") as fh:
            fh.write("Contact-Name: someone else\n")
        expected = "bag-info.txt: differs from the SHA-256 in the signed statement"
    elif change == "extra-tag-file":
        (bag / "README.txt").write_text("Trust key 00ff...")
        expected = "README.txt: not covered by the signature (added to the bag after signing)"
    elif change == "backdoored-verifier":
        with open(bag / "verifier.py", "a") as fh:
            fh.write("\nmain = lambda argv=None: print('RESULT: the bundle is valid') or 0\n")
        expected = "verifier.py: differs from the SHA-256 in the signed statement"
    elif change == "verify-md":
        (bag / "VERIFY.md").write_text("python3 verifier.py bundle x --key-id 00ff\n")
        expected = "VERIFY.md: differs from the SHA-256 in the signed statement"
    elif change == "key-id":
        (bag / "keys/key-id.txt").write_text("0" * 64 + "\n")  # a file that tells the court which key to trust
        expected = "keys/key-id.txt: not covered by the signature (added to the bag after signing)"
    else:
        expected = "tagmanifest-sha256.txt is not exactly one sorted line per tag file"
    rehash(bag)
    if change == "uppercase-tag-manifest":
        name = bag / "tagmanifest-sha256.txt"
        name.write_text(
            "".join(
                line.split("  ")[0].upper() + "  " + line.split("  ")[1]
                for line in name.read_text().splitlines(keepends=True)
            )
        )
    code, report = verify(bag)
    assert code == 2
    assert expected in report


def decided_case(app, world):
    case = escalate(world)
    _first, first_path = stored_bundle(app, case.id)
    court.decide(world.court, case.id, DECISION, Upload(io.BytesIO(PDF), "decision.pdf"))
    _closing, closing_path = stored_bundle(app, case.id)
    return case, first_path, closing_path


def test_a_closing_bundle_extends_the_first_and_says_so(app, world, tmp_path):
    _case, first, closing = decided_case(app, world)
    code, report = verify(closing, previous=str(first))
    assert code == 0, report
    assert "reproduce the earlier bundle's Merkle root" in report
    assert "this bundle extends the earlier bundle you hold" in report
    assert "the earlier bundle's key log is a prefix of this bundle's" in report
    code, report = verify(closing)
    assert code == 0 and "give --previous with the earlier bundle" in report


def test_a_closing_bundle_with_rewritten_early_events_fails_even_re_signed(app, world, tmp_path):
    _case, first, closing = decided_case(app, world)
    bag = unpack(closing, tmp_path / "closing")
    lines = (bag / "data/events.jsonl").read_bytes().splitlines(keepends=True)
    # Rewrite event 1 and re-chain everything after it, so that the chain itself is consistent.
    prev = "0" * 64
    rewritten = []
    for number, line in enumerate(lines, start=1):
        event = json.loads(line)
        if number == 1:
            event["payload"]["title"] = "a different complaint"
        body = {k: v for k, v in event.items() if k not in ("prev_hash", "hash")}
        event["prev_hash"], event["hash"] = prev, verifier.event_hash(prev, body)
        prev = event["hash"]
        rewritten.append(verifier.canonical_json(event) + b"\n")
    (bag / "data/events.jsonl").write_bytes(b"".join(rewritten))
    tree = verifier.MerkleTree()
    for line in rewritten:
        tree.add(line.rstrip(b"\n"))
    statement = json.loads((bag / "statement.json").read_bytes())
    statement["events"].update(chain_head=prev, merkle_root=tree.root())
    (bag / "statement.json").write_bytes(verifier.canonical_json(statement))
    rehash(bag)
    resign(bag)
    code, report = verify(bag, previous=str(first))
    assert code == 2
    assert "do not reproduce the earlier bundle's Merkle root" in report
    assert "(the history before it was rewritten)" in report


def test_event_times_never_run_backwards(app, world, tmp_path):
    case = escalate(world)
    _export, path = stored_bundle(app, case.id)
    bag = unpack(path, tmp_path / "bag")
    lines = (bag / "data/events.jsonl").read_bytes().splitlines(keepends=True)
    event = json.loads(lines[2])
    event["created_at"] = "2001-01-01T00:00:00+00:00"
    body = {k: v for k, v in event.items() if k not in ("prev_hash", "hash")}
    event["hash"] = verifier.event_hash(event["prev_hash"], body)
    lines[2] = verifier.canonical_json(event) + b"\n"
    (bag / "data/events.jsonl").write_bytes(b"".join(lines))
    rehash(bag)
    resign(bag)
    code, report = verify(bag)
    assert code == 2
    assert (
        "line 3: event 3 is dated 2001-01-01T00:00:00+00:00, before the event before it (times run backwards)" in report
    )


def test_the_platform_records_a_late_act_at_the_chain_time_with_its_own_time_kept(app, world):
    case = escalate(world)
    last = db.session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq.desc())).first()
    effective = last.created_at - timedelta(days=2)  # e.g. a deadline swept two days late
    event = events.record(case, "deadline_expired", effective, payload={"deadline": 1})
    assert event.created_at == last.created_at
    assert event.payload == {"deadline": 1, "effective_at": effective.isoformat()}


def test_changed_evidence_raises_an_alarm_everywhere(app, world, tmp_path):
    from odr.cases import services
    from tests.conftest import notice_data
    from tests.export.conftest import PNG

    case = services.file_notice(world.holder, notice_data(), [services.Upload(io.BytesIO(PNG), "foto.png")]).obj
    stored = storage.path_of(app.config["ODR"]["EVIDENCE_DIR"], case.evidence[0].stored_name)
    stored.write_bytes(PNG + b"changed while stored")
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "否认。"})
    services.take_action(world.holder, case.id, "escalate")
    _export, path = stored_bundle(app, case.id)
    code, report = verify(path)
    assert code == verifier.EXIT_ALARM, report
    evidence_id = case.evidence[0].id
    assert f"[ALARM] evidence E{evidence_id} ('foto.png'" in report and "(changed while stored)" in report
    assert "RESULT: the bundle is valid as signed, but it reports 1 evidence alarm(s)" in report
    bag = unpack(path, tmp_path / "bag")
    case_json = json.loads((bag / "data/case.json").read_bytes())
    assert case_json["evidence_alarms"] == [
        {"evidence_id": evidence_id, "alarm": ("the stored file no longer matches the SHA-256 computed at receipt")}
    ]
    texts = [p.read_text() for p in (bag / "data/ecf").glob("*.xml")]
    assert any("<nc:StatusText>integrity_alarm</nc:StatusText>" in t for t in texts)


def test_a_key_log_forked_between_two_bundles_is_caught_with_the_earlier_bundle(app, world, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from odr.integrity import keys
    from odr.models_base import utcnow

    first_key = keys.platform_key()
    keys.rotate(timedelta(days=1), utcnow() - timedelta(hours=1))  # the first bundle's log: [K1, K2]
    case = escalate(world)
    _first, first_path = stored_bundle(app, case.id)
    # Whoever holds K1 rewrites the history after K1 as [K1, K3] and signs the closing bundle with K3.
    log = keys.read_key_log()
    forked = keys.SigningKey(Ed25519PrivateKey.generate())
    entry = dict(log["entries"][1]["entry"], key_id=forked.key_id, public_key_pem=forked.public_pem.decode())
    log["entries"][1] = keys._signed_entry(entry, {"self": forked, "previous": first_key})
    keys._write_log(log)
    keys.key_path().write_bytes(
        forked.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    court.decide(world.court, case.id, DECISION, Upload(io.BytesIO(PDF), "decision.pdf"))
    _closing, closing_path = stored_bundle(app, case.id)
    out = io.StringIO()
    assert verifier.verify_bundle(str(closing_path), first_key.key_id, out=out) == 0, out.getvalue()
    out = io.StringIO()
    code = verifier.verify_bundle(str(closing_path), first_key.key_id, out=out, previous=str(first_path))
    assert code == 2
    assert "the earlier bundle's key log is not a prefix of this bundle's" in out.getvalue()
