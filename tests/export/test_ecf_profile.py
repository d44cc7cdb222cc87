"""What a court's case management system reads from the ECF and case.json: who filed each document, the right
and remedy, the court by its identifier, where each translation came from, the decision as a court document,
and which languages the bundle could not carry."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from lxml import etree

from odr.cases.services import Upload
from odr.export import court, ecf
from odr.extensions import db
from tests.export.conftest import escalate, stored_bundle
from tests.export.test_court_portal import DECISION, PDF

SCHEMAS = Path(ecf.__file__).parent / "ecf-5.0" / "schema"


def closing_bundle(app, world, tmp_path) -> Path:
    case = escalate(world)
    case.mediator_id = world.mediator.id
    db.session.commit()
    court.decide(world.court, case.id, DECISION, Upload(io.BytesIO(PDF), "decision.pdf"))
    _export, path = stored_bundle(app, case.id)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "closing")
    (folder,) = (tmp_path / "closing").iterdir()
    return folder


def test_every_document_names_its_filer_and_type_and_the_case_its_right_remedy_and_court(app, world, tmp_path):
    bag = closing_bundle(app, world, tmp_path)
    schema = ecf.schema(SCHEMAS)
    for path in sorted((bag / "data/ecf").glob("*.xml")):
        xml = path.read_bytes()
        assert ecf.validate(xml, schema) == [], path.name
        root = etree.fromstring(xml)
        documents = root.findall("filing:FilingLeadDocument", ecf.NS) + root.findall(
            "filing:FilingConnectedDocument", ecf.NS
        )
        for document in documents:
            filer = document.find("ecf:DocumentAugmentation/ecf:DocumentFiler/*", ecf.NS)
            assert filer is not None, etree.tostring(document)
            assert document.findtext("ecf:DocumentAugmentation/ecf:DocumentTypeCode", namespaces=ecf.NS)
        court_node = root.find("j:CaseCourt", ecf.NS)
        assert (
            court_node.findtext("nc:OrganizationIdentification/nc:IdentificationID", namespaces=ecf.NS)
            == f"party-{world.court.party_id}"
        )
        assert court_node.findtext("j:CourtName", namespaces=ecf.NS) == world.court.party.name
        civil = root.find("nc:Case/civil:CaseAugmentation", ecf.NS)
        assert civil.findtext("civil:ReliefTypeCode", namespaces=ecf.NS) == "Retirada"
        assert civil.findtext("ecf:CauseOfActionCode", namespaces=ecf.NS) == "trademark infringement"


def test_the_decision_is_a_court_document_filed_by_the_court(app, world, tmp_path):
    bag = closing_bundle(app, world, tmp_path)
    case_json = json.loads((bag / "data/case.json").read_bytes())
    decision = next(d for d in case_json["documents"] if d["kind"] == "decision")
    root = etree.parse(str(bag / f"data/ecf/filing-{decision['filing_id']:06d}.xml")).getroot()
    lead = root.find("filing:FilingLeadDocument", ecf.NS)
    assert lead.findtext("ecf:DocumentAugmentation/ecf:DocumentTypeCode", namespaces=ecf.NS) == "court_decision"
    assert (
        lead.find("ecf:DocumentAugmentation/ecf:DocumentFiler/nc:EntityOrganization", ecf.NS).get(
            f"{{{ecf.NS['structures']}}}ref"
        )
        == "C1"
    )
    (signed,) = root.findall("filing:FilingConnectedDocument", ecf.NS)
    assert signed.findtext("nc:DocumentDescriptionText", namespaces=ecf.NS).startswith("court document (signed)")
    assert (
        signed.findtext("ecf:DocumentAugmentation/ecf:DocumentTypeCode", namespaces=ecf.NS) == "court_decision_document"
    )
    (entry,) = [e for e in case_json["evidence"] if e["filing_id"] == decision["filing_id"]]
    assert (entry["kind"], entry["filer_role"]) == ("court_document", "court")
    assert all(e["kind"] == "evidence" for e in case_json["evidence"] if e is not entry)


def test_the_mediator_reads_languages_as_a_list(app, world, tmp_path):
    bag = closing_bundle(app, world, tmp_path)
    case_json = json.loads((bag / "data/case.json").read_bytes())
    (mediator,) = [p for p in case_json["participants"] if p["role"] == "mediator"]
    assert mediator["languages"] == world.mediator.reading_languages
    assert mediator["language"] == world.mediator.reading_languages[0] and "," not in mediator["language"]


def test_a_language_the_bundle_cannot_carry_is_named_in_case_json_and_verify_md(app, world, tmp_path):
    # No translation model is installed in these tests: the decision (zh) cannot reach the claimant (es).
    bag = closing_bundle(app, world, tmp_path)
    case_json = json.loads((bag / "data/case.json").read_bytes())
    decision = next(d for d in case_json["documents"] if d["kind"] == "decision")
    assert {
        "filing_id": decision["filing_id"],
        "language": "es",
        "code": "no_model",
        "reason": "no translation model installed for zh to es",
    } in case_json["translation_gaps"]
    verify_md = (bag / "VERIFY.md").read_text(encoding="utf-8")
    # In the court's language (Chinese), from the gap's code.
    assert f"{decision['filing_id']}" in verify_md and "没有安装这对语言的翻译模型" in verify_md


def test_translation_provenance_tells_machine_from_human():
    machine = {
        "role": "translation",
        "provenance": {
            "origin": "machine",
            "engine": "argostranslate 1.11",
            "model": "es-en → en-zh",
            "model_version": "1.0 → 1.0",
        },
    }
    human = {"role": "translation", "provenance": {"origin": "human", "translator_id": 7}}
    assert ecf.provenance_text(machine) == (
        "machine translation; engine argostranslate 1.11; model es-en → en-zh version 1.0 → 1.0"
    )
    assert ecf.provenance_text(human) == "human translation by account 7"
    assert ecf.provenance_text({"role": "original"}) == "original"
