"""The court export (first version): a zip with a JSON manifest, the evidence files and the timeline.

The manifest lists every filing (original language and text, with its SHA-256), every
evidence file with its SHA-256, and the hash-chained event timeline; the zip itself is
hashed and the hash recorded, so the court can check what it downloaded.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import zipfile
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from odr.accounts.models import Account, Party
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case, Event
from odr.errors import NotAllowed, NotFound
from odr.evidence import storage
from odr.export.models import CaseExport
from odr.extensions import db
from odr.models_base import utcnow

FORMAT_VERSION = "odr-zip-1"


def court_for(jurisdiction: str) -> Party | None:
    for party in db.session.scalars(select(Party).where(Party.receives_escalations_for != "")):
        if jurisdiction in party.receives_escalations_for.split(","):
            return party
    return None


def _party(p: Party) -> dict:
    return {"id": p.id, "name": p.name, "country": p.country, "language": p.preferred_language}


def manifest(case: Case, court: Party, at: datetime) -> dict:
    chain = db.session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)).all()
    return {
        "format": FORMAT_VERSION,
        "exported_at": at.isoformat(),
        "court": _party(court),
        "case": {"id": case.id, "reference": case.reference, "jurisdiction": case.jurisdiction,
                 "right_type": case.right_type.value, "title": case.title, "state": case.state,
                 "procedure": {"code": case.procedure_code, "version": case.procedure_version},
                 "remedy_sought": case.remedy_sought, "listings": [item.locator for item in case.listings],
                 "filed_at": case.created_at.isoformat()},
        "parties": {"claimant": _party(case.claimant), "respondent": _party(case.respondent)},
        "filings": [{"id": f.id, "kind": f.kind.value, "author_role": f.author_case_role,
                     "language": f.language, "text": f.text, "terms": f.terms,
                     "text_sha256": hashlib.sha256(f.text.encode("utf-8")).hexdigest(),
                     "filed_at": f.created_at.isoformat()} for f in case.filings],
        "evidence": [{"id": e.id, "path": f"evidence/{e.id}-{e.stored_name}", "sha256": e.sha256,
                      "size": e.size, "media_type": e.media_type, "uploaded_name": e.original_name,
                      "filing_id": e.filing_id, "uploaded_at": e.uploaded_at.isoformat(),
                      "uploaded_from": e.uploaded_from} for e in case.evidence],
        "events": [dict(events.event_body(ev), prev_hash=ev.prev_hash, hash=ev.hash) for ev in chain],
        "event_chain_head": chain[-1].hash if chain else events.GENESIS,
    }


def export_to_court(case: Case, at: datetime) -> CaseExport | None:
    """Write the export for the court that receives this jurisdiction's escalations."""
    court = case.court or court_for(case.jurisdiction)
    if court is None:
        events.record(case, "export_waiting_for_court", at,
                      payload={"reason": "no court receives escalations for " + case.jurisdiction})
        return None
    case.court_party_id = court.id
    events.record(case, "exported_to_court", at, payload={"court_party_id": court.id,
                                                          "format": FORMAT_VERSION})
    db.session.flush()
    cfg = current_app.config["ODR"]
    folder = Path(cfg["EXPORT_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    target = folder / stored_name
    tmp = folder / f".{stored_name}.tmp"
    body = manifest(case, court, at)
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("manifest.json", json.dumps(body, ensure_ascii=False, indent=2))
        bundle.writestr("events.jsonl", "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in body["events"]))
        for item, evidence in zip(body["evidence"], case.evidence, strict=True):
            # zipfile streams from disk in chunks, so large evidence stays out of memory.
            bundle.write(storage.path_of(cfg["EVIDENCE_DIR"], evidence.stored_name), item["path"])
    digest = hashlib.sha256()
    with open(tmp, "rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    os.replace(tmp, target)
    export = CaseExport(case_id=case.id, court_party_id=court.id, stored_name=stored_name,
                        sha256=digest.hexdigest(), size=target.stat().st_size,
                        format_version=FORMAT_VERSION, created_at=at)
    db.session.add(export)
    return export


def latest_export(account: Account, case_id: int) -> tuple[CaseExport, Path]:
    """The newest export of a case for a court (or an administrator) to download."""
    case = get_case(account, case_id)
    roles = case_roles(account, case)
    if not roles & {"court", "admin"}:
        raise NotAllowed(_("Only the court the case was exported to can download the export."),
                         code="wrong_role")
    query = select(CaseExport).where(CaseExport.case_id == case.id).order_by(CaseExport.id.desc())
    if "admin" not in roles:
        query = query.where(CaseExport.court_party_id == account.party_id)
    export = db.session.scalars(query.limit(1)).first()
    if export is None:
        raise NotFound(_("This case has not been exported yet."))
    if export.first_downloaded_at is None and "court" in roles:
        export.first_downloaded_at = utcnow()
        export.first_downloaded_by_id = account.id
        events.record(case, "export_downloaded", export.first_downloaded_at, actor=account, role="court",
                      payload={"export_id": export.id, "sha256": export.sha256})
        db.session.commit()
    return export, Path(current_app.config["ODR"]["EXPORT_DIR"]) / export.stored_name
