"""ECF 5.0 ``filing:FilingMessage`` XML for each filing: the court's view of the case file.

Profile decisions (docs/bundle-format.md): ``nc:BinaryURI`` is the bag-relative path of the
rendition instead of a ``cid:`` attachment; ``ecf:DocumentRenditionHash`` is lowercase hex
SHA-256 of exactly those bytes; every language of a document (the original and each
translation) is a rendition with its ISO 639-3 ``nc:DocumentLanguageCode`` and its provenance
(machine: engine and model; human: translator) in ``nc:DocumentDescriptionText``. Every document
names its ``ecf:DocumentFiler`` (a reference to the case party, mediator or court) and its
``ecf:DocumentTypeCode``; evidence whose bytes changed or were lost after receipt carries an
``ecf:DocumentStatus`` alarm. The court is identified by its ODR party id, the right and the remedy
by ``ecf:CauseOfActionCode`` and ``civil:ReliefTypeCode``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from lxml import etree

NS = {
    "filing": "https://docs.oasis-open.org/legalxml-courtfiling/ns/v5.0/filing",
    "ecf": "https://docs.oasis-open.org/legalxml-courtfiling/ns/v5.0/ecf",
    "civil": "https://docs.oasis-open.org/legalxml-courtfiling/ns/v5.0/civil",
    "nc": "http://release.niem.gov/niem/niem-core/4.0/",
    "j": "http://release.niem.gov/niem/domains/jxdm/6.1/",
    "structures": "http://release.niem.gov/niem/structures/4.0/",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
PROFILE_CODE = "urn:oasis:names:tc:legalxml-courtfiling:schema:xsd:WebServicesMessaging-5.0"
# The platform's filing languages (ISO 639-1) as the ISO 639-3 codes NIEM's code list holds.
ISO_639_3 = {
    "en": "eng",
    "zh": "zho",
    "es": "spa",
    "fr": "fra",
    "de": "deu",
    "ja": "jpn",
    "ko": "kor",
    "pt": "por",
    "ru": "rus",
    "ar": "ara",
    "it": "ita",
    "nl": "nld",
    "pl": "pol",
    "tr": "tur",
    "vi": "vie",
    "th": "tha",
    "id": "ind",
    "hi": "hin",
}
# Case roles as ECF CaseParticipantRoleCode values.
ROLE_CODES = {"claimant": "Claimant", "respondent": "Respondent", "mediator": "Mediator"}
# The structures:id of each case role in the message (the court's is on j:CaseCourt).
ROLE_IDS = {"claimant": "P1", "respondent": "P2", "mediator": "M1", "court": "C1"}
CAUSES_OF_ACTION = {
    "trademark": "trademark infringement",
    "copyright": "copyright infringement",
    "patent": "patent infringement",
    "design": "design right infringement",
}


def _el(parent, tag: str, text: str | None = None, **attrs):
    prefix, name = tag.split(":")
    node = etree.SubElement(parent, f"{{{NS[prefix]}}}{name}")
    for key, value in attrs.items():
        p, n = key.split("__")
        node.set(f"{{{NS[p]}}}{n}", value)
    if text is not None:
        node.text = text
    return node


def _ident(parent, tag: str, value: str, category: str | None = None):
    node = _el(parent, tag)
    _el(node, "nc:IdentificationID", value)
    if category:
        _el(node, "nc:IdentificationCategoryDescriptionText", category)
    return node


def _when(at: datetime) -> str:
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def provenance_text(rendition: dict) -> str:
    """Who made this rendition: the original's author, or the machine (engine, model) or human translator."""
    provenance = rendition.get("provenance") or {}
    if rendition["role"] == "original":
        return "original"
    if provenance.get("origin") == "human":
        return f"human translation by account {provenance.get('translator_id')}"
    model = provenance.get("model") or "?"
    version = provenance.get("model_version") or "?"
    return f"machine translation; engine {provenance.get('engine') or '?'}; model {model} version {version}"


def _rendition(parent, rendition: dict):
    node = _el(parent, "ecf:DocumentRendition")
    _el(node, "nc:DocumentDescriptionText", provenance_text(rendition))
    _ident(node, "nc:DocumentIdentification", rendition["path"], "bag path")
    if rendition.get("language") in ISO_639_3:
        _el(node, "nc:DocumentLanguageCode", ISO_639_3[rendition["language"]])
    _el(node, "ecf:DocumentRenditionHash", rendition["sha256"])
    attachment = _el(node, "nc:Attachment")
    _el(attachment, "nc:BinaryURI", rendition["path"])
    _el(attachment, "nc:BinarySizeValue", str(rendition["size"]))
    return node


def _document(
    parent,
    tag: str,
    doc_id: str,
    description: str,
    renditions: list[dict],
    sequence: int,
    filed_at: datetime,
    *,
    filer: str | None,
    type_code: str,
    alarm: str | None = None,
    parent_id: str | None = None,
):
    node = _el(parent, tag, structures__id=doc_id)
    _el(node, "nc:DocumentDescriptionText", description)
    _el(_el(node, "nc:DocumentFiledDate"), "nc:DateTime", _when(filed_at))
    _ident(node, "nc:DocumentIdentification", doc_id)
    _el(node, "nc:DocumentSequenceID", str(sequence))
    augmentation = _el(node, "ecf:DocumentAugmentation")
    filer_node = _el(augmentation, "ecf:DocumentFiler")
    if filer in ROLE_IDS:
        tag = "nc:EntityPerson" if filer == "mediator" else "nc:EntityOrganization"
        _el(filer_node, tag, structures__ref=ROLE_IDS[filer], xsi__nil="true")
    else:  # filed by the platform itself
        _el(_el(filer_node, "nc:EntityOrganization"), "nc:OrganizationName", "ODR platform")
    for rendition in renditions:
        _rendition(augmentation, rendition)
    if alarm:
        status = _el(augmentation, "ecf:DocumentStatus")
        _el(status, "nc:StatusText", "integrity_alarm")
        _el(status, "nc:StatusDescriptionText", alarm)
    _el(augmentation, "ecf:DocumentTypeCode", type_code)
    if parent_id:
        association = _el(augmentation, "nc:DocumentAssociation")
        _el(association, "nc:PrimaryDocument", structures__ref=parent_id, xsi__nil="true")
        _el(_el(association, "ecf:DocumentAssociationAugmentation"), "ecf:DocumentRelatedCode", "parent")
    return node


def _party(parent, party: dict):
    holder = _el(parent, "ecf:CaseParty")
    if party["kind"] == "organization":
        entity = _el(holder, "nc:EntityOrganization", structures__id=party["xml_id"])
        _el(entity, "nc:OrganizationName", party["name"])
        augmentation = _el(entity, "ecf:OrganizationAugmentation")
    else:
        entity = _el(holder, "nc:EntityPerson", structures__id=party["xml_id"])
        _el(_el(entity, "nc:PersonName"), "nc:PersonFullName", party["name"])
        augmentation = _el(entity, "ecf:PersonAugmentation")
    _el(augmentation, "ecf:CaseParticipantRoleCode", ROLE_CODES[party["role"]])
    _ident(augmentation, "ecf:ParticipantID", party["participant_id"])


# How each delivery channel reached the addressee, as an ECF receiving-MDE profile code of this platform.
SERVICE_PROFILES = {"inbox": "urn:odr-platform:service:inbox", "email": "urn:odr-platform:service:email"}


def service_text(entry: dict) -> str:
    """The instants and the digest of one delivery, on one line (ECF 5.0 has no elements for them)."""
    parts = [f"made available {entry['made_available_at']}"]
    if entry.get("accepted_at"):
        parts.append(f"accepted by the mail server {entry['accepted_at']}")
    if entry.get("failed_at"):
        parts.append(f"refused {entry['failed_at']} ({entry.get('failure') or 'no reason given'})")
    if entry.get("opened_at"):
        parts.append(f"opened {entry['opened_at']}")
    parts.append(f"content SHA-256 {entry['content_sha256']}")
    return "; ".join(parts)


def _service(parent, entry: dict):
    """One delivery of the filing as ecf:ElectronicServiceInformation (the certificate of electronic service)."""
    node = _el(parent, "ecf:ElectronicServiceInformation", structures__id=f"D{entry['delivery_id']}")
    location = _el(node, "ecf:ReceivingMDELocationID")
    if entry["channel"] == "email" and entry.get("address"):
        _el(location, "nc:IdentificationID", f"mailto:{entry['address']}")
    else:
        _el(location, "nc:IdentificationID", f"urn:odr-platform:inbox:{entry['participant_id']}")
    _el(location, "nc:IdentificationCategoryDescriptionText", entry["channel"])
    _el(node, "ecf:ReceivingMDEProfileCode", SERVICE_PROFILES.get(entry["channel"], entry["channel"]))
    recipient = _el(node, "ecf:ServiceRecipientID")
    _el(recipient, "nc:IdentificationID", entry["participant_id"])
    _el(recipient, "nc:IdentificationCategoryDescriptionText", entry["role"])
    _el(recipient, "nc:IdentificationSourceText", service_text(entry))
    return node


def filing_message(
    case: dict, filing: dict, evidence: list[dict], court: dict, platform_url: str, served: Sequence[dict] = ()
) -> bytes:
    """The FilingMessage of one filing: its text in every language, the evidence filed with it, and its
    service on each addressee (``served``: the filing's entries of case.json's ``service``)."""
    root = etree.Element(f"{{{NS['filing']}}}FilingMessage", nsmap=NS)
    _ident(root, "nc:DocumentIdentification", f"{case['reference']}/filing/{filing['id']}", "messageID")
    _ident(root, "ecf:SendingMDELocationID", platform_url)
    _el(root, "ecf:ServiceInteractionProfileCode", PROFILE_CODE)
    court_node = _el(root, "j:CaseCourt", structures__id=ROLE_IDS["court"])
    _ident(court_node, "nc:OrganizationIdentification", court["identifier"], "ODR court party id")
    _el(court_node, "nc:OrganizationName", court["name"])
    _el(court_node, "j:CourtName", court["name"])
    _el(_el(root, "nc:DocumentPostDate"), "nc:DateTime", _when(filing["filed_at"]))
    for entry in served:
        _service(root, entry)
    for index, item in enumerate(evidence, start=1):
        court_document = item.get("kind") == "court_document"
        label = "court document (signed)" if court_document else "evidence"
        _document(
            root,
            "filing:FilingConnectedDocument",
            f"E{item['id']}",
            f"{label}: {item['original_name']}",
            item["renditions"],
            index,
            item["uploaded_at"],
            filer=item.get("filer_role"),
            type_code="court_decision_document" if court_document else "evidence",
            alarm=item.get("integrity_alarm"),
            parent_id=f"F{filing['id']}",
        )
    _document(
        root,
        "filing:FilingLeadDocument",
        f"F{filing['id']}",
        f"{filing['kind']} by {filing['author_role']}",
        filing["renditions"],
        0,
        filing["filed_at"],
        filer=filing["author_role"],
        type_code="court_decision" if filing["kind"] == "decision" else filing["kind"],
    )
    case_node = _el(root, "nc:Case")
    _el(case_node, "nc:CaseTitleText", case["title"])
    augmentation = _el(case_node, "ecf:CaseAugmentation")
    for party in case["participants"]:
        _party(augmentation, party)
    _ident(augmentation, "ecf:CaseTrackingID", case["reference"])
    _el(augmentation, "ecf:CaseTypeCode", "civil")
    civil = _el(case_node, "civil:CaseAugmentation")
    _el(civil, "civil:ReliefTypeCode", case["remedy_sought"] or "not stated")
    _el(civil, "ecf:CauseOfActionCode", CAUSES_OF_ACTION.get(case["right_type"], case["right_type"]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def schema(folder: str | Path) -> etree.XMLSchema:
    """The official ECF 5.0 schemas (through their driver), loaded without network or entities."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.parse(str(Path(folder) / "_driver.xsd"), parser))


def validate(xml: bytes, xml_schema: etree.XMLSchema) -> list[str]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    document = etree.fromstring(xml, parser)
    if xml_schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in xml_schema.error_log]
