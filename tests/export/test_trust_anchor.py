"""The key a court trusts comes from outside the bundle: the fingerprint pinned at the court account's creation,
extended to rotated keys only by the platform's key log. A bundle signed with any other key fails every path."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from odr.accounts.models import Account
from odr.export import verifier
from odr.export.models import CourtKeyPin
from odr.export.services import pin_platform_key
from odr.extensions import db
from odr.integrity import keys
from odr.integrity.keys import key_log_bytes, platform_key
from odr.models_base import utcnow
from tests.conftest import PASSWORD
from tests.export.conftest import escalate, stored_bundle
from tests.export.test_standalone_verifier import run_alone
from tests.export.test_tampering import rehash


def verify(path, key_id, **options) -> tuple[int, str]:
    out = io.StringIO()
    return verifier.verify_bundle(str(path), key_id, out=out, **options), out.getvalue()


def forge(bag, key: Ed25519PrivateKey, *, with_key_log: bool = True) -> str:
    """What a forger does: edit, re-sign with their own key, enclose that key (and a key log of it), rehash."""
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _k, key_id = verifier._public_key(pem)
    (bag / "keys/platform-signing.pub.pem").write_bytes(pem)
    if with_key_log:
        entry = {
            "seq": 1,
            "prev": "0" * 64,
            "key_id": key_id,
            "alg": "Ed25519",
            "public_key_pem": pem.decode(),
            "valid_from": None,
            "previous_key_id": None,
            "previous_valid_to": None,
        }
        signature = base64.b64encode(key.sign(verifier.canonical_json(entry))).decode()
        log = {"profile": "odr-key-log/1.0", "entries": [{"entry": entry, "signatures": {"self": signature}}]}
        (bag / "keys/key-log.json").write_bytes(verifier.canonical_json(log))
    (bag / "VERIFY.md").write_text(f"python3 verifier.py bundle x.zip --key-id {key_id}\n")
    rehash(bag)
    statement = json.loads((bag / "statement.json").read_bytes())
    statement["case_reference"] = "ODR-2026-999999"
    statement["signer"]["key_id"] = key_id
    for rel in statement["tag_files"]:
        statement["tag_files"][rel] = verifier.hashlib.sha256((bag / rel).read_bytes()).hexdigest()
    for alg in ("sha256", "sha512"):
        statement[f"payload_manifest_{alg}"] = verifier.hashlib.new(
            alg, (bag / f"manifest-{alg}.txt").read_bytes()
        ).hexdigest()
    raw = verifier.canonical_json(statement)
    (bag / "statement.json").write_bytes(raw)
    (bag / "statement.json.sig").write_bytes(key.sign(raw))
    rehash(bag)
    return key_id


def test_verify_md_never_names_the_key_to_trust(bag):
    text = (bag / "VERIFY.md").read_text(encoding="utf-8")
    assert platform_key().key_id not in text
    assert "--key-id <" in text and "/.well-known/odr-key-log.json" in text


def test_the_verifier_refuses_without_a_trusted_key_unless_told_loudly(bag, tmp_path):
    out = io.StringIO()
    assert verifier.verify_bundle(str(bag), None, out=out) == 2
    assert "[FAIL] no trusted key: give --key-id" in out.getvalue()
    result = run_alone(tmp_path, "bundle", str(bag))
    assert result.returncode == 2 and "no trusted key" in result.stdout, result.stdout + result.stderr
    insecure = run_alone(tmp_path, "bundle", str(bag), "--insecure-trust-bundled-key")
    assert insecure.returncode == 0, insecure.stdout
    assert "[WARN] statement.json: INSECURE: trusting key" in insecure.stdout


def test_a_forgery_signed_with_another_key_fails_every_documented_path(bag, tmp_path):
    pinned = platform_key().key_id
    forge(bag, Ed25519PrivateKey.generate())
    assert verify(bag, pinned, insecure=False)[0] == 2
    # The standalone verifier with the pinned fingerprint, as the court portal and VERIFY.md say.
    result = run_alone(tmp_path, "bundle", str(bag), "--key-id", pinned)
    assert result.returncode == 2
    assert "the key log does not contain the key you pinned" in result.stdout
    assert "not with the platform key you trust" in result.stdout
    # ... with the platform's published key log instead of the forged one in the bag.
    published = tmp_path / "published-log.json"
    published.write_bytes(key_log_bytes())
    result = run_alone(tmp_path, "bundle", str(bag), "--key-id", pinned, "--key-log", str(published))
    assert result.returncode == 2 and "nor any key in its key log" in result.stdout
    # The manual path checks the signature with the pinned public key, never the one in the bag.
    pinned_key = serialization.load_pem_public_key(platform_key().public_pem)
    with pytest.raises(InvalidSignature):
        pinned_key.verify((bag / "statement.json.sig").read_bytes(), (bag / "statement.json").read_bytes())


def test_a_forged_key_log_that_claims_the_pinned_key_fails(bag):
    pinned = platform_key().key_id
    log = json.loads((bag / "keys/key-log.json").read_bytes())
    forger = Ed25519PrivateKey.generate()
    pem = forger.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    _k, forger_id = verifier._public_key(pem)
    first = log["entries"][0]
    entry = {
        "seq": 2,
        "prev": verifier.hashlib.sha256(verifier.canonical_json(first["entry"])).hexdigest(),
        "key_id": forger_id,
        "alg": "Ed25519",
        "public_key_pem": pem.decode(),
        "valid_from": "2000-01-01T00:00:00Z",
        "previous_key_id": pinned,
        "previous_valid_to": "2000-01-01T00:00:00Z",
    }
    signature = base64.b64encode(forger.sign(verifier.canonical_json(entry))).decode()  # not the pinned key's
    log["entries"].append({"entry": entry, "signatures": {"self": signature, "previous": signature}})
    out = io.StringIO()
    keys_found = verifier.check_key_log(verifier.canonical_json(log), pinned, "log", verifier.Report(out))
    assert keys_found is None
    assert "a key log signature does not verify" in out.getvalue()


def test_a_rotated_key_keeps_old_bundles_valid_and_new_ones_verify_through_the_log(app, world, tmp_path):
    first_key = platform_key().key_id
    old_case = escalate(world)
    _export, old_bundle = stored_bundle(app, old_case.id)
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--overlap-days", "7"])
    assert result.exit_code == 0, result.output
    new_key = platform_key().key_id
    assert new_key != first_key and f"new signing key {new_key}" in result.output
    assert list(keys.key_path().parent.glob(f"*.retired-{first_key[:16]}.pem"))
    history = keys.key_history(keys.read_key_log())
    assert [k["key_id"] for k in history] == [first_key, new_key]
    assert history[0]["rotated_by"] == new_key and history[0]["valid_to"] is not None

    new_case = escalate(world)
    _export, new_bundle = stored_bundle(app, new_case.id)
    published = key_log_bytes()
    # A court that pinned the first key follows the log to the new one (the log travels in the new bundle).
    code, report = verify(new_bundle, first_key)
    assert code == 0, report
    assert "is linked by the key log to the platform key you trust" in report
    # A court created after the rotation pinned the new key; the old bundle still verifies with the published log.
    assert verify(old_bundle, new_key)[0] == 2  # the old bundle's own log does not know the new key yet
    code, report = verify(old_bundle, new_key, key_log=published)
    assert code == 0, report
    # The CLI lists both keys with their validity.
    listing = app.test_cli_runner().invoke(args=["keys", "log"]).output
    assert f"{first_key}  from -  to " in listing and f"rotated by {new_key}" in listing and "(current)" in listing


def test_a_retired_key_cannot_sign_after_its_validity(app, world):
    case = escalate(world)
    old = platform_key()
    keys.rotate(timedelta(days=1), utcnow() - timedelta(days=30))
    _export, path = stored_bundle(app, case.id)
    folder = path.parent / "late"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    (bag,) = folder.iterdir()
    (bag / "keys/key-log.json").write_bytes(key_log_bytes())
    statement = json.loads((bag / "statement.json").read_bytes())
    statement["tag_files"]["keys/key-log.json"] = verifier.hashlib.sha256(key_log_bytes()).hexdigest()
    raw = verifier.canonical_json(statement)
    (bag / "statement.json").write_bytes(raw)
    (bag / "statement.json.sig").write_bytes(old.sign(raw))  # the thief of the retired key signs "today"
    rehash(bag)
    code, report = verify(bag, old.key_id)
    assert code == 2
    assert f"outside the validity of key {old.key_id} in the key log" in report


def test_the_key_log_is_published_at_a_well_known_address(client):
    response = client.get("/.well-known/odr-key-log.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    log = json.loads(response.data)
    assert log["profile"] == "odr-key-log/1.0"
    assert log["entries"][0]["entry"]["key_id"] == platform_key().key_id


def test_a_court_account_pins_the_platform_key_at_creation(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "accounts",
            "create",
            "--email",
            "registry@court.example",
            "--name",
            "Registry",
            "--organisation",
            "Beijing Internet Court",
            "--role",
            "court",
            "--country",
            "CN",
            "--language",
            "zh",
            "--password",
            PASSWORD,
        ],
        input=None,
    )
    assert result.exit_code == 0, result.output
    assert f"platform key fingerprint pinned for this court: {platform_key().key_id}" in result.output
    account = db.session.query(Account).filter_by(email="registry@court.example").one()
    assert db.session.query(CourtKeyPin).filter_by(account_id=account.id).one().key_id == platform_key().key_id


def test_the_court_portal_shows_the_pinned_fingerprint(app, world, browser):
    pin_platform_key(world.court)
    db.session.commit()
    page = browser(world.court).get("/court")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert platform_key().key_id in text and "--key-id " + platform_key().key_id in text


def test_the_court_api_names_the_pinned_fingerprint(app, world, api):
    pin_platform_key(world.court)
    db.session.commit()
    assert api(world.court).get("/court/exports").get_json()["pinned_key_id"] == platform_key().key_id


def test_a_deposit_certificate_signed_before_a_rotation_verifies_through_the_key_log(app, world, tmp_path):
    from odr.deposits import services as deposits
    from tests.export.conftest import PNG

    deposit, _new = deposits.deposit_work(world.holder, "Logo", io.BytesIO(PNG), "logo.png", key="r1")
    (tmp_path / "cert.json").write_text(deposit.certificate)
    keys.rotate(timedelta(days=7), utcnow())
    new_key = platform_key().key_id
    out = io.StringIO()
    assert verifier.verify_certificate(str(tmp_path / "cert.json"), None, None, out=out) == 2
    assert "no trusted key" in out.getvalue()
    out = io.StringIO()
    assert verifier.verify_certificate(str(tmp_path / "cert.json"), None, new_key, out=out) == 2
    assert "a rotated key needs --key-log" in out.getvalue()
    out = io.StringIO()
    code = verifier.verify_certificate(str(tmp_path / "cert.json"), None, new_key, out=out, key_log=key_log_bytes())
    assert code == 0, out.getvalue()
    assert "is linked by the key log to the platform key you trust" in out.getvalue()


def test_a_trusted_timestamp_after_a_keys_retirement_fails(app):
    old = platform_key().key_id
    now = utcnow()
    keys.rotate(timedelta(days=1), now - timedelta(days=30))
    trust = verifier.Trust(old, key_log_bytes())
    report = verifier.Report(io.StringIO())
    trust.load_log(None, "", report)
    trust.check_stamped(old, now - timedelta(days=29, hours=12), report)
    assert not report.failures
    trust.check_stamped(old, now, report)
    assert report.failures == [
        f"statement.json: timestamped {now:%Y-%m-%d %H:%M:%S} UTC, after key {old} was "
        f"retired ({now - timedelta(days=29):%Y-%m-%d %H:%M:%S} UTC): signed with a retired key"
    ]
