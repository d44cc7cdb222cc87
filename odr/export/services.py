"""Exports of escalated cases to a court: the bundle is written when the case enters `escalated`.

The bundle (docs/bundle-format.md) is signed and pins the event chain up to and including
the "exported_to_court" event; its row is written in the same transaction as that event, so
a case is either escalated with its bundle or not at all.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask import current_app
from sqlalchemy import Select, false, select

from odr.accounts.models import Account, Party, Role
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case
from odr.errors import NotAllowed, NotFound
from odr.evidence.storage import blob_store
from odr.export import bundle
from odr.export.models import CaseExport, CourtDecision, CourtKeyPin
from odr.extensions import db
from odr.extensions import gettext as _
from odr.integrity.keys import platform_key
from odr.models_base import utcnow
from odr.procedure.signals import escalation_required
from odr.vocabulary import CaseRole, EventKind

FORMAT_VERSION = bundle.PROFILE


def court_for(jurisdiction: str) -> Party | None:
    for party in db.session.scalars(select(Party).where(Party.receives_escalations_for != "")):
        if jurisdiction in party.receives_escalations_for.split(","):
            return party
    return None


@escalation_required.in_transaction.connect
def _on_escalation(case: Case, *, at: datetime, **_data) -> None:
    export_to_court(case, at)


def export_to_court(case: Case, at: datetime) -> CaseExport | None:
    """Write the bundle for the court that receives this jurisdiction's escalations."""
    court = case.court or court_for(case.jurisdiction)
    if court is None:
        events.record(
            case,
            EventKind.EXPORT_WAITING_FOR_COURT,
            at,
            payload={"reason": "no court receives escalations for " + case.jurisdiction},
        )
        return None
    case.court_party_id = court.id
    previous = db.session.scalars(
        select(CaseExport).where(CaseExport.case_id == case.id).order_by(CaseExport.export_seq.desc()).limit(1)
    ).first()
    seq = previous.export_seq + 1 if previous else 1
    events.record(
        case,
        EventKind.EXPORTED_TO_COURT,
        at,
        payload={"court_party_id": court.id, "format": FORMAT_VERSION, "export_seq": seq},
    )
    db.session.flush()
    blobs = blob_store()
    stored_name = secrets.token_hex(16)
    prior = (
        {"bundle_id": previous.bundle_id, "event_count": previous.event_count, "merkle_root": previous.merkle_root}
        if previous
        else None
    )
    staged = blobs.staging_dir("exports") / f".bundle-{stored_name}"
    built = bundle.build(case, court, seq, at, staged, prior)
    blobs.put("exports", stored_name, staged)
    if built.timestamp_problem:
        current_app.logger.warning("bundle of case %s not timestamped: %s", case.id, built.timestamp_problem)
    export = CaseExport(
        case_id=case.id,
        court_party_id=court.id,
        stored_name=stored_name,
        sha256=built.sha256,
        size=built.size,
        format_version=FORMAT_VERSION,
        created_at=at,
        export_seq=seq,
        bundle_id=built.bundle_id,
        bundle_name=built.name,
        merkle_root=built.merkle_root,
        event_count=built.event_count,
        key_id=built.key_id,
        timestamped=built.timestamped,
    )
    db.session.add(export)
    return export


def exports_for_court(account: Account) -> list[tuple[CaseExport, Case, CourtDecision | None]]:
    """The court's inbox: every bundle exported to the account's court, newest first."""
    rows = db.session.execute(court_exports_query(account).order_by(CaseExport.created_at.desc(), CaseExport.id.desc()))
    return [tuple(row) for row in rows]


def court_exports_query(account: Account) -> Select:
    """The query of ``exports_for_court``, unordered (rows of export, case and decision), for a page of it."""
    query = (
        select(CaseExport, Case, CourtDecision)
        .join(Case, Case.id == CaseExport.case_id)
        .outerjoin(CourtDecision, CourtDecision.case_id == Case.id)
    )
    if account.role != Role.COURT or account.party_id is None:
        return query.where(false())
    return query.where(CaseExport.court_party_id == account.party_id)


def _court_export(account: Account, case_id: int, *, for_update: bool = False) -> tuple[Case, CaseExport, set]:
    case = get_case(account, case_id, for_update=for_update)
    roles = case_roles(account, case)
    if not roles & {CaseRole.COURT, CaseRole.ADMIN}:
        raise NotAllowed(_("Only the court the case was exported to can download the export."), code="wrong_role")
    query = select(CaseExport).where(CaseExport.case_id == case.id).order_by(CaseExport.export_seq.desc())
    if CaseRole.ADMIN not in roles:
        query = query.where(CaseExport.court_party_id == account.party_id)
    export = db.session.scalars(query.limit(1)).first()
    if export is None:
        raise NotFound(_("This case has not been exported yet."))
    return case, export, roles


def latest_export(account: Account, case_id: int) -> CaseExport:
    """The newest bundle of a case for its court (or an administrator) to download.

    The court's first download is an event; every download by an administrator is one too, since
    nobody but the court has a reason to read the bundle."""
    case, export, roles = _court_export(account, case_id)
    now = utcnow()
    if CaseRole.COURT in roles:
        if export.first_downloaded_at is None:
            export.first_downloaded_at = now
            export.first_downloaded_by_id = account.id
            events.record(
                case,
                EventKind.EXPORT_DOWNLOADED,
                now,
                actor=account,
                role=CaseRole.COURT,
                payload={"export_id": export.id, "sha256": export.sha256},
            )
            db.session.commit()
    else:
        events.record(
            case,
            EventKind.EXPORT_DOWNLOADED,
            now,
            actor=account,
            role=CaseRole.ADMIN,
            payload={"export_id": export.id, "sha256": export.sha256},
        )
        db.session.commit()
    return export


def acknowledge(account: Account, case_id: int, sha256: str | None = None) -> CaseExport:
    """The court confirms it received the bundle (optionally naming the SHA-256 it computed)."""
    case, export, roles = _court_export(account, case_id, for_update=True)
    if CaseRole.COURT not in roles:
        raise NotAllowed(_("Only the court the case was exported to can acknowledge receipt."), code="wrong_role")
    if sha256 and sha256.strip().lower() != export.sha256:
        raise NotAllowed(
            _(
                "The SHA-256 you computed differs from the bundle the platform sent. "
                "Download it again and do not rely on the copy you have."
            ),
            code="hash_mismatch",
        )
    if export.acknowledged_at is None:
        export.acknowledged_at = utcnow()
        export.acknowledged_by_id = account.id
        events.record(
            case,
            EventKind.EXPORT_ACKNOWLEDGED,
            export.acknowledged_at,
            actor=account,
            role=CaseRole.COURT,
            payload={"export_id": export.id, "bundle_id": export.bundle_id, "sha256": export.sha256},
        )
        db.session.commit()
    return export


def pin_platform_key(account: Account) -> CourtKeyPin:
    """Fix the platform key fingerprint a court account trusts (once; the caller commits)."""
    pin = db.session.scalars(select(CourtKeyPin).where(CourtKeyPin.account_id == account.id)).first()
    if pin is None:
        pin = CourtKeyPin(account_id=account.id, key_id=platform_key().key_id, pinned_at=utcnow())
        db.session.add(pin)
    return pin


def pinned_key_id(account: Account) -> str | None:
    """The fingerprint the court pinned at its account's creation (None for other accounts)."""
    if account.role != Role.COURT:
        return None
    return db.session.scalars(select(CourtKeyPin.key_id).where(CourtKeyPin.account_id == account.id)).first()
