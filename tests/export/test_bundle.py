"""The export bundle: a valid BagIt 1.0 bag, signed, its events chained, ECF that the official schemas accept."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import bagit
import pytest
from lxml import etree

from odr.cases import services
from odr.export import ecf, verifier
from odr.extensions import db
from odr.integrity.keys import platform_key
from tests.conftest import notice_data
from tests.export.conftest import PNG, stored_bundle

SCHEMAS = Path(ecf.__file__).parent / "ecf-5.0" / "schema"


def run_verifier(path, key_id=None, tsa_ca=None) -> tuple[int, str]:
    out = io.StringIO()
    code = verifier.verify_bundle(str(path), key_id or platform_key().key_id, tsa_ca, out=out)
    return code, out.getvalue()


def test_escalation_writes_a_bundle_the_verifier_accepts(escalated):
    case, export, path = escalated
    code, report = run_verifier(path, platform_key().key_id)
    assert code == 0, report
    assert "RESULT: the bundle is valid" in report
    assert export.bundle_name == f"{case.reference}-E1"
    assert export.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_bag_is_bagit_1_0_and_sha256sum_reads_its_manifest(bag):
    assert (bag / "bagit.txt").read_text() == "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    bagit.Bag(str(bag)).validate()  # an independent BagIt implementation
    check = subprocess.run(
        ["sha256sum", "--strict", "-c", "manifest-sha256.txt"], cwd=bag, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count(": OK") == len((bag / "manifest-sha256.txt").read_text().splitlines())


def test_evidence_carries_its_capture_provenance(bag, world):
    case = json.loads((bag / "data/case.json").read_text())
    # The photograph (the notice's element files, its certificate and evidence, come with it).
    (item,) = [e for e in case["evidence"] if e["original_name"] == "foto.png"]
    assert (bag / item["path"]).read_bytes() == PNG
    assert item["sha256"] == item["sha256_at_receipt"] == hashlib.sha256(PNG).hexdigest()
    assert item["original_name"] == "foto.png" and item["uploaded_from"] == "203.0.113.7"
    assert item["uploaded_by"] == {
        "account_id": world.holder.id,
        "role": "right_holder",
        "party_id": world.holder.party_id,
    }
    assert [p["role"] for p in case["participants"]] == ["claimant", "respondent"]


def test_each_filing_is_ecf_5_xml_that_validates_against_the_official_schemas(bag):
    schema = ecf.schema(SCHEMAS)
    manifest = dict(reversed(line.split("  ", 1)) for line in (bag / "manifest-sha256.txt").read_text().splitlines())
    files = sorted((bag / "data/ecf").glob("*.xml"))
    assert len(files) == 2  # the notice and the response
    for path in files:
        xml = path.read_bytes()
        assert ecf.validate(xml, schema) == []
        text = xml.decode()
        assert "<ecf:CaseParticipantRoleCode>Claimant<" in text and "<ecf:CaseParticipantRoleCode>Respondent<" in text
        root = etree.fromstring(xml)
        renditions = root.findall(".//ecf:DocumentRendition", ecf.NS)
        assert renditions
        for rendition in renditions:
            digest = rendition.findtext("ecf:DocumentRenditionHash", namespaces=ecf.NS)
            uri = rendition.findtext(".//nc:BinaryURI", namespaces=ecf.NS)
            assert digest == manifest[uri] and digest == digest.lower() and len(digest) == 64
    languages = {e.text for f in files for e in etree.parse(str(f)).iterfind(".//nc:DocumentLanguageCode", ecf.NS)}
    assert languages == {"spa", "zho"}


def test_hostile_text_is_escaped_and_still_validates(app, world):
    case = services.file_notice(world.holder, notice_data(title="</nc:CaseTitleText><script>x</script> \u202eabc")).obj
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "ar", "text": "نص <b>&amp;"})
    services.take_action(world.holder, case.id, "escalate")
    _export, path = stored_bundle(app, case.id)
    schema = ecf.schema(SCHEMAS)
    with zipfile.ZipFile(path) as archive:
        xml = [archive.read(name) for name in archive.namelist() if name.endswith(".xml")]
    assert xml and all(ecf.validate(doc, schema) == [] for doc in xml)
    assert b"&lt;/nc:CaseTitleText&gt;&lt;script&gt;" in xml[0]
    assert run_verifier(path)[0] == 0


def test_every_finished_translation_becomes_a_rendition_with_provenance(app, world):
    translation = pytest.importorskip("odr.translation.models")
    case = services.file_notice(world.holder, notice_data()).obj
    notice = case.filings[0]
    rows = {
        "machine": dict(
            origin=translation.TranslationOrigin.MACHINE,
            status=translation.TranslationStatus.DONE,
            text="Seller offers counterfeit bags.",
            engine="argos",
            model="es-en",
            model_version="tiny-1",
        ),
        "human": dict(
            origin=translation.TranslationOrigin.HUMAN,
            status=translation.TranslationStatus.DONE,
            text="The seller offers counterfeit bags with our mark.",
            translator_id=world.mediator.id,
        ),
        "pending": dict(
            origin=translation.TranslationOrigin.MACHINE,
            status=translation.TranslationStatus.PENDING,
            target_language="fr",
        ),
    }
    for fields in rows.values():
        fields.setdefault("target_language", "en")
        db.session.add(
            translation.Translation(
                filing_id=notice.id,
                source_language="es",
                source_sha256=hashlib.sha256(notice.text.encode()).hexdigest(),
                **fields,
            )
        )
    db.session.commit()
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "我们的产品是正品。"})
    services.take_action(world.holder, case.id, "escalate")
    _export, path = stored_bundle(app, case.id)
    assert run_verifier(path)[0] == 0
    with zipfile.ZipFile(path) as archive:
        root = archive.namelist()[0].split("/")[0]
        documents = json.loads(archive.read(f"{root}/data/case.json"))["documents"]
        renditions = documents[0]["renditions"]
        assert [(r["role"], r["language"]) for r in renditions] == [
            ("original", "es"),
            ("translation", "en"),
            ("translation", "en"),
        ]
        machine, human = renditions[1]["provenance"], renditions[2]["provenance"]
        assert (machine["origin"], machine["engine"], machine["model_version"]) == ("machine", "argos", "tiny-1")
        assert (human["origin"], human["translator_id"]) == ("human", world.mediator.id)
        assert all(r["derived_from"] == renditions[0]["path"] for r in renditions[1:])
        assert archive.read(f"{root}/{renditions[2]['path']}").decode() == rows["human"]["text"]
        xml = archive.read(f"{root}/data/ecf/filing-{notice.id:06d}.xml").decode()
        assert xml.count("<nc:DocumentLanguageCode>eng<") == 2 and "<nc:DocumentLanguageCode>spa<" in xml
        assert ecf.validate(xml.encode(), ecf.schema(SCHEMAS)) == []


def test_a_file_lost_from_the_store_is_reported_not_hidden(app, world):
    from pathlib import Path

    from odr.evidence import storage

    case = services.file_notice(world.holder, notice_data(), [services.Upload(io.BytesIO(PNG), "foto.png")]).obj
    storage.path_of(app.config["ODR"]["EVIDENCE_DIR"], case.evidence[0].stored_name).unlink()
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "否认。"})
    services.take_action(world.holder, case.id, "escalate")
    _export, path = stored_bundle(app, case.id)
    code, report = run_verifier(path)
    assert code == verifier.EXIT_ALARM, report
    assert "[ALARM] evidence E" in report and "the file was lost from the platform's store after receipt" in report
    with zipfile.ZipFile(path) as archive:
        evidence = json.loads(archive.read(f"{archive.namelist()[0].split('/')[0]}/data/case.json"))["evidence"]
        (item,) = [e for e in evidence if e["original_name"] == "foto.png"]
    assert item["integrity_alarm"] == "the stored file is missing" and item["sha256_at_receipt"]
    assert not list(Path(app.config["ODR"]["EXPORT_DIR"]).glob(".*.tmp"))


def test_verify_md_is_in_the_courts_language(bag):
    # The world's court is Chinese (tests/conftest.py): its instructions come in Chinese.
    text = (bag / "VERIFY.md").read_text(encoding="utf-8")
    assert text.startswith("# 如何验证本证据包")
    assert "sha256sum -c manifest-sha256.txt" in text
