"""The export bundle (profile odr-case-bundle/1.0): a BagIt 1.0 bag in one zip, written in one pass.

The bag is written by this module, not by bagit-python (whose release writes BagIt 0.97):
every payload file is hashed with SHA-256 and SHA-512 while it is copied into the archive,
in chunks, so memory does not grow with the size of the evidence. The layout is documented
in docs/bundle-format.md; odr/export/verifier.py checks it.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from babel.support import Translations
from flask import current_app
from sqlalchemy import select

from odr.accounts.models import Party
from odr.cases import events
from odr.cases.access import visible_filings
from odr.cases.models import Case, Event, EvidenceFile, Filing
from odr.conduct.services import claim_json, claims_of_case
from odr.evidence import storage
from odr.export import ecf, verifier
from odr.export.documents import deposit_certificate_for, translate_missing, translations_of
from odr.extensions import db
from odr.i18n import ui_locale_for
from odr.integrity.canonical import canonical_json
from odr.integrity.keys import key_log_bytes, platform_key
from odr.integrity.merkle import MerkleTree
from odr.integrity.timestamp import TimestampError, timestamp
from odr.notifications.models import Delivery
from odr.securities.services import securities_of, security_json
from odr.vocabulary import CaseRole, EventKind

PROFILE = verifier.PROFILE
CHUNK = 1024 * 1024
EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "video/mp4": "mp4",
    "application/zip": "zip",
    "text/plain": "txt",
}


@dataclass
class BuiltBundle:
    bundle_id: str
    name: str
    sha256: str
    size: int
    merkle_root: str
    chain_head: str
    event_count: int
    key_id: str
    timestamped: bool
    timestamp_problem: str = ""


@dataclass
class _Writer:
    """Adds files to the zip and remembers their digests for the manifests."""

    archive: zipfile.ZipFile
    root: str
    when: tuple
    payload: dict[str, dict[str, str]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    octets: int = 0

    def _info(self, rel: str, stored: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(f"{self.root}/{rel}", date_time=self.when)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def _record(self, rel: str, digests: dict[str, str], size: int) -> None:
        if rel.startswith("data/"):
            self.payload[rel] = digests
            self.octets += size
        else:
            self.tags[rel] = digests

    def add_bytes(self, rel: str, data: bytes) -> dict[str, str]:
        self.archive.writestr(self._info(rel, stored=False), data)
        digests = {alg: hashlib.new(alg, data).hexdigest() for alg in verifier.ALGORITHMS}
        self._record(rel, digests, len(data))
        return digests | {"size": len(data)}

    def add_file(self, rel: str, source: Path) -> dict[str, str]:
        with open(source, "rb") as src:
            # Evidence is stored, not deflated: it is usually compressed already, and export stays fast.
            return self.add_stream(rel, iter(lambda: src.read(CHUNK), b""), stored=True)

    def add_stream(self, rel: str, chunks, stored: bool = False) -> dict[str, str]:
        hashers = {alg: hashlib.new(alg) for alg in verifier.ALGORITHMS}
        size = 0
        with self.archive.open(self._info(rel, stored=stored), "w", force_zip64=True) as dst:
            for chunk in chunks:
                for h in hashers.values():
                    h.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        digests = {alg: h.hexdigest() for alg, h in hashers.items()}
        self._record(rel, digests, size)
        return digests | {"size": size}


def _gettext_for(language: str | None):
    """gettext in the court's language, whatever the request's (exports also run in the sweeper)."""
    # A court's language (zh) maps to the catalog that serves it (zh_Hans).
    translations = Translations.load(
        current_app.config["BABEL_TRANSLATION_DIRECTORIES"], [ui_locale_for(language) or "en"]
    )

    def gettext(text: str, **values) -> str:
        text = translations.gettext(text)
        return text % values if values else text

    return gettext


def _manifest(entries: dict[str, dict[str, str]], alg: str) -> bytes:
    return "".join(f"{d[alg]}  {rel}\n" for rel, d in sorted(entries.items())).encode("utf-8")


def _iso(at: datetime) -> str:
    return at.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _party(party: Party, role: str, xml_id: str) -> dict:
    return {
        "kind": "organization",
        "xml_id": xml_id,
        "participant_id": f"party-{party.id}",
        "role": role,
        "name": party.name,
        "country": party.country,
        "language": party.preferred_language,
    }


def participants(case: Case) -> list[dict]:
    people = [_party(case.claimant, "claimant", "P1"), _party(case.respondent, "respondent", "P2")]
    if case.mediator is not None:
        people.append(
            {
                "kind": "person",
                "xml_id": "M1",
                "participant_id": f"account-{case.mediator.id}",
                "role": "mediator",
                "name": case.mediator.display_name,
                "country": "",
                "language": case.mediator.reading_languages[0] if case.mediator.reading_languages else "",
                "languages": case.mediator.reading_languages,
            }
        )
    return people


# The chained events that prove each delivery: served, then what became of it (docs/bundle-format.md).
SERVICE_EVENTS = {
    EventKind.ACT_SERVED: "served",
    EventKind.DELIVERY_ACCEPTED: "accepted",
    EventKind.DELIVERY_REFUSED: "refused",
    EventKind.DELIVERY_OPENED: "opened",
}


def service(case: Case) -> list[dict]:
    """Proof of service: every delivery of a procedural act in the case (never one of a caucus message),
    with its addressee, channel, instants, content digest and the text the law required it to say, and the
    sequence numbers of the chained events that record it."""
    chained: dict[int, dict[str, int]] = {}
    for seq, kind, payload in db.session.execute(
        select(Event.seq, Event.kind, Event.payload)
        .where(Event.case_id == case.id, Event.kind.in_([str(k) for k in SERVICE_EVENTS]))
        .order_by(Event.seq)
    ):
        step = SERVICE_EVENTS[EventKind(kind)]
        ids = (
            [d.get("delivery_id") for d in payload.get("deliveries", [])]
            if step == "served"
            else [payload.get("delivery_id")]
        )
        for delivery_id in ids:
            chained.setdefault(delivery_id, {})[step] = seq
    private = set(
        db.session.scalars(select(Filing.id).where(Filing.case_id == case.id, Filing.caucus_party_id.is_not(None)))
    )
    found = []
    for row in db.session.scalars(select(Delivery).where(Delivery.case_id == case.id).order_by(Delivery.id)):
        if row.id not in chained or row.filing_id in private:
            continue  # a note to the platform's users (a failed delivery), not the service of an act
        found.append(
            {
                "delivery_id": row.id,
                "act": row.act,
                "filing_id": row.filing_id,
                "role": row.role,
                "participant_id": f"account-{row.account_id}" if row.account_id else f"party-{row.party_id}",
                "language": row.language,
                "time_zone": row.time_zone,
                "channel": row.channel,
                "address": row.address,
                "content_sha256": row.content_sha256,
                "statement": row.statement,
                "made_available_at": _iso(row.made_available_at),
                "accepted_at": _iso(row.accepted_at) if row.accepted_at else None,
                "failed_at": _iso(row.failed_at) if row.failed_at else None,
                "failure": row.failure,
                "opened_at": _iso(row.opened_at) if row.opened_at else None,
                "events": chained[row.id],
            }
        )
    return found


def _write_events(writer: _Writer, case: Case) -> tuple[int, str, str]:
    """data/events.jsonl: one canonical line per event, the body and its chain links."""
    tree, heads = MerkleTree(), [events.GENESIS]

    def lines():
        query = select(Event).where(Event.case_id == case.id).order_by(Event.seq).execution_options(yield_per=500)
        for event in db.session.scalars(query):
            line = canonical_json(dict(events.event_body(event), prev_hash=event.prev_hash, hash=event.hash))
            tree.add(line)
            heads[0] = event.hash
            yield line + b"\n"

    writer.add_stream("data/events.jsonl", lines())
    return tree.size, heads[0], tree.root()


def _write_documents(writer: _Writer, filing: Filing, made_at_export: list[dict]) -> list[dict]:
    """The filing's text in its original language and in every translation, with provenance."""
    base = f"data/documents/F{filing.id}"
    original = writer.add_bytes(f"{base}/original.{filing.language}.txt", filing.text.encode("utf-8"))
    renditions = [
        {
            "role": "original",
            "language": filing.language,
            "path": f"{base}/original.{filing.language}.txt",
            "sha256": original["sha256"],
            "size": original["size"],
            "derived_from": None,
            "provenance": {
                "author_account_id": filing.author_id,
                "author_role": filing.author_case_role,
                "filed_at": _iso(filing.created_at),
            },
        }
    ]
    for translation in translations_of(filing) + made_at_export:
        rel = f"{base}/translation.{translation['name']}.txt"
        digest = writer.add_bytes(rel, translation["text"].encode("utf-8"))
        renditions.append(
            {
                "role": "translation",
                "language": translation["language"],
                "path": rel,
                "sha256": digest["sha256"],
                "size": digest["size"],
                "derived_from": renditions[0]["path"],
                "provenance": translation["provenance"],
            }
        )
    return renditions


def _write_claim(writer: _Writer, claim) -> list[dict]:
    """A wrongful-notice claim's grounds (the seller's words) and the finding's reasons, as filed."""
    base = f"data/documents/W{claim.id}"
    parts = [("grounds", claim.language, claim.grounds, claim.claimed_by_id, "respondent", claim.created_at)]
    if claim.decided_at is not None:
        parts.append(
            (
                "finding",
                claim.reasons_language,
                claim.reasons,
                claim.decided_by_id,
                claim.decider_role,
                claim.decided_at,
            )
        )
    renditions = []
    for name, language, text, author_id, role, at in parts:
        rel = f"{base}/{name}.original.{language}.txt"
        digest = writer.add_bytes(rel, text.encode("utf-8"))
        renditions.append(
            {
                "role": "original",
                "part": name,
                "language": language,
                "path": rel,
                "sha256": digest["sha256"],
                "size": digest["size"],
                "derived_from": None,
                "provenance": {"author_account_id": author_id, "author_role": role, "filed_at": _iso(at)},
            }
        )
    return renditions


def _write_evidence(writer: _Writer, item: EvidenceFile) -> dict:
    ext = EXTENSIONS.get(item.media_type, "bin")
    rel = f"data/evidence/E{item.id}/original.{ext}"
    with storage.blob_store().local_path("evidence", item.stored_name) as source:
        digest = writer.add_file(rel, source) if source is not None else None
    if digest is not None:
        renditions = [{"role": "original", "path": rel, "sha256": digest["sha256"], "size": digest["size"]}]
    else:
        # Lost from the store: the court still learns what was received, and that the bytes are gone.
        rel, digest, renditions = None, {"sha256": None, "size": None}, []
    entry = {
        # The court's signed decision is a court document, not a party's evidence.
        "kind": "court_document" if item.uploaded_by.role.value == "court" else "evidence",
        "filer_role": _filer_role(item),
        "id": item.id,
        "filing_id": item.filing_id,
        "path": rel,
        "sha256": digest["sha256"],
        "size": digest["size"],
        "media_type_detected": item.media_type,
        "original_name": item.original_name,
        "renditions": renditions,
        # Capture provenance, as the platform recorded it when the file arrived.
        "uploaded_at": _iso(item.uploaded_at),
        "uploaded_by": {
            "account_id": item.uploaded_by_id,
            "role": item.uploaded_by.role.value,
            "party_id": item.uploaded_by.party_id,
        },
        "uploaded_from": item.uploaded_from,
        "sha256_at_receipt": item.sha256,
    }
    if rel is None:
        entry["integrity_alarm"] = "the stored file is missing"
    elif digest["sha256"] != item.sha256:
        # The stored bytes changed since receipt: exported as they are now, and flagged to the court.
        entry["integrity_alarm"] = "the stored file no longer matches the SHA-256 computed at receipt"
    certificate = deposit_certificate_for(item.sha256, {item.case.claimant_party_id, item.case.respondent_party_id})
    if certificate is not None:
        cert_rel = f"data/evidence/E{item.id}/deposit-certificate.json"
        writer.add_bytes(cert_rel, certificate.encode("utf-8"))
        entry["deposit_certificate"] = cert_rel
    return entry


def _filer_role(item: EvidenceFile) -> str | None:
    account, case = item.uploaded_by, item.case
    if account.role.value == "court":
        return "court"
    if case.mediator is not None and account.id == case.mediator.id:
        return "mediator"
    return {case.claimant_party_id: "claimant", case.respondent_party_id: "respondent"}.get(account.party_id)


def _languages_for_court(case: Case, court: Party, filings: list[Filing]) -> tuple[dict, list[dict]]:
    """Translations the court and the parties need and the translation domain has not finished yet."""
    wanted = {court.preferred_language, case.claimant.preferred_language, case.respondent.preferred_language}
    needs: dict[tuple[str, str], list[Filing]] = {}
    for filing in filings:
        have = {t["language"] for t in translations_of(filing)} | {filing.language}
        for language in sorted(wanted - have):
            needs.setdefault((filing.language, language), []).append(filing)
    return translate_missing(needs, current_app.config["ODR"]["EXPORT_TRANSLATION_WAIT_SECONDS"])


def build(
    case: Case, court: Party, export_seq: int, at: datetime, target: Path, previous: dict | None = None
) -> BuiltBundle:
    """Write the bundle of ``case`` for ``court`` to ``target`` (atomically) and describe it."""
    key = platform_key()
    bundle_id = str(uuid.uuid4())
    name = f"{case.reference}-E{export_seq}"
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        built = _write(case, court, export_seq, at, tmp, key, bundle_id, name, previous)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return built


def _write(
    case: Case,
    court: Party,
    export_seq: int,
    at: datetime,
    tmp: Path,
    key,
    bundle_id: str,
    name: str,
    previous: dict | None,
) -> BuiltBundle:
    cfg = current_app.config["ODR"]
    with zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
        writer = _Writer(archive, name, at.astimezone(timezone.utc).timetuple()[:6])
        people = participants(case)
        case_view = {
            "reference": case.reference,
            "title": case.title,
            "participants": people,
            "right_type": case.right_type.value,
            "remedy_sought": case.remedy_sought,
        }
        court_view = {"identifier": f"party-{court.id}", "name": court.name}
        filings = list(visible_filings(CaseRole.COURT, case))  # never a caucus
        made_at_export, translation_gaps = _languages_for_court(case, court, filings)
        evidence_by_filing: dict[int | None, list[dict]] = {}
        evidence = []
        for item in case.evidence:
            entry = _write_evidence(writer, item)
            evidence.append(entry)
            evidence_by_filing.setdefault(item.filing_id, []).append(entry)
        documents = []
        served = service(case)
        platform_url = cfg.get("PUBLIC_URL") or "urn:odr-platform"
        for filing in filings:
            renditions = _write_documents(
                writer, filing, [t for (filing_id, _lang), t in made_at_export.items() if filing_id == filing.id]
            )
            documents.append(
                {
                    "filing_id": filing.id,
                    "kind": filing.kind.value,
                    "author_role": filing.author_case_role,
                    "filed_at": _iso(filing.created_at),
                    "terms": filing.terms,
                    "renditions": renditions,
                }
            )
            filed = [
                dict(e, uploaded_at=datetime.fromisoformat(e["uploaded_at"].replace("Z", "+00:00")))
                for e in evidence_by_filing.get(filing.id, [])
            ]
            xml = ecf.filing_message(
                case_view,
                {
                    "id": filing.id,
                    "kind": filing.kind.value,
                    "author_role": filing.author_case_role,
                    "filed_at": filing.created_at,
                    "renditions": renditions,
                },
                filed,
                court_view,
                platform_url,
                [entry for entry in served if entry["filing_id"] == filing.id],
            )
            writer.add_bytes(f"data/ecf/filing-{filing.id:06d}.xml", xml)
        wrongful_notice = []
        for claim in claims_of_case(case):
            entry = claim_json(claim)
            entry["renditions"] = _write_claim(writer, claim)
            wrongful_notice.append(entry)
            if claim.decided_at is not None:
                # The finding goes to the court as a filing of its own (where the seller sues, it is on file).
                xml = ecf.filing_message(
                    case_view,
                    {
                        "id": f"W{claim.id}",
                        "kind": "wrongful_notice_finding",
                        "author_role": claim.decider_role,
                        "filed_at": claim.decided_at,
                        "renditions": entry["renditions"],
                    },
                    [],
                    court_view,
                    platform_url,
                )
                writer.add_bytes(f"data/ecf/wrongful-notice-{claim.id:06d}.xml", xml)
        count, head, root = _write_events(writer, case)
        alarms = [{"evidence_id": e["id"], "alarm": e["integrity_alarm"]} for e in evidence if "integrity_alarm" in e]
        case_json = {
            "profile": PROFILE,
            "case_id": case.id,
            "reference": case.reference,
            "title": case.title,
            "jurisdiction": case.jurisdiction,
            "right_type": case.right_type.value,
            "procedure": {"code": case.procedure_code, "version": case.procedure_version},
            "state": case.state,
            "state_entered_at": _iso(case.state_entered_at),
            "filed_at": _iso(case.created_at),
            "remedy_sought": case.remedy_sought,
            "listings": [item.locator for item in case.listings],
            "participants": people,
            "court": {
                "party_id": court.id,
                "identifier": court_view["identifier"],
                "name": court.name,
                "country": court.country,
                "language": court.preferred_language,
            },
            "documents": documents,
            "evidence": evidence,
            "evidence_alarms": alarms,
            # Languages the court or a party needs that the bundle could not carry, and why.
            "translation_gaps": translation_gaps,
            # Proof of service: every delivery of a procedural act, tied to the chained events that record it.
            "service": served,
            # A seller's claim that the notice was wrong, and the finding on it with its consequence in law.
            "wrongful_notice": wrongful_notice,
            # A seller's security to stay online (Platform Rule 22): the offer, the decision with reasons, and what
            # the outcome did with it (forfeited to the right holder or returned); its document is among the evidence.
            "seller_security": [security_json(s) for s in securities_of(case)],
        }
        writer.add_bytes("data/case.json", canonical_json(case_json))

        manifests = {alg: _manifest(writer.payload, alg) for alg in verifier.ALGORITHMS}
        # Every tag file is made before the statement, which names each by SHA-256: the signature covers them.
        tag_files: dict[str, bytes] = {
            "bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            "bag-info.txt": (
                f"Source-Organization: ODR platform\nExternal-Identifier: {case.reference}\n"
                f"Bag-Group-Identifier: case:{case.id}\nInternal-Sender-Identifier: export:{bundle_id}\n"
                f"Bagging-Date: {at.astimezone(timezone.utc):%Y-%m-%d}\n"
                f"Payload-Oxum: {writer.octets}.{len(writer.payload)}\n"
                f"BagIt-Profile-Identifier: {PROFILE}\nODR-Export-Sequence: {export_seq}\n"
            ).encode("utf-8"),
            "keys/platform-signing.pub.pem": key.public_pem,
            "keys/key-log.json": key_log_bytes(),
            "verifier.py": Path(verifier.__file__).read_bytes(),
            # Rendered without the request's context processors: exports also run in the sweeper.
            "VERIFY.md": current_app.jinja_env.get_template("export/VERIFY.md")
            .render(
                _=_gettext_for(court.preferred_language),
                reference=case.reference,
                name=name,
                merkle_root=root,
                event_count=count,
                previous=previous,
                translation_gaps=translation_gaps,
                platform_url=platform_url,
            )
            .encode("utf-8"),
        }
        statement = {
            "profile": PROFILE,
            "bundle_id": bundle_id,
            "case_id": case.id,
            "case_reference": case.reference,
            "export_seq": export_seq,
            "created_at": _iso(at),
            "platform": {"name": "odr", "instance": platform_url},
            "court": {"party_id": court.id, "name": court.name},
            "hash_algs": list(verifier.ALGORITHMS),
            "payload_manifest_sha256": hashlib.sha256(manifests["sha256"]).hexdigest(),
            "payload_manifest_sha512": hashlib.sha512(manifests["sha512"]).hexdigest(),
            "tag_files": {rel: hashlib.sha256(data).hexdigest() for rel, data in tag_files.items()},
            "events": {"count": count, "chain_head": head, "merkle_root": root},
            "document_count": len(documents),
            "evidence_count": len(evidence),
            "evidence_alarms": len(alarms),
            "previous_export": previous,
            "signer": {"alg": "Ed25519", "key_id": key.key_id},
        }
        statement_bytes = canonical_json(statement)
        tag_files.update(
            {
                "manifest-sha256.txt": manifests["sha256"],
                "manifest-sha512.txt": manifests["sha512"],
                "statement.json": statement_bytes,
                "statement.json.sig": key.sign(statement_bytes),
            }
        )
        problem = ""
        try:
            token = timestamp(statement_bytes)
        except TimestampError as exc:
            token, problem = None, str(exc)
        if token:
            tag_files["statement.json.tsr"] = token
        for rel, data in tag_files.items():
            writer.add_bytes(rel, data)
        tags = dict(writer.tags)
        for alg in verifier.ALGORITHMS:
            writer.add_bytes(f"tagmanifest-{alg}.txt", _manifest(tags, alg))
    digest = hashlib.sha256()
    with open(tmp, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    return BuiltBundle(
        bundle_id=bundle_id,
        name=name,
        sha256=digest.hexdigest(),
        size=tmp.stat().st_size,
        merkle_root=root,
        chain_head=head,
        event_count=count,
        key_id=key.key_id,
        timestamped=bool(token),
        timestamp_problem=problem,
    )


def statement_of(path: Path) -> dict:
    """The signed statement inside a stored bundle."""
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith("/statement.json"))
        return json.loads(archive.read(name))
