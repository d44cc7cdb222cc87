"""A right holder's rights profile: what it says of itself on every notice, written once and reused.

The profile (its identity, its registrations, its contact details, who signs) and its documents (the
registration certificate, the authorisation to act for the holder) belong to the account that wrote them. A
guided notice's elements step offers to fill in from it (``prefill_draft``): the elements the draft leaves
empty get the profile's words, and the documents are copied to the draft's own kept files (the certificate as
the ``right_certificate`` element, the authorisation as evidence), so that filing the notice moves the copies and
the profile keeps its own. Nothing the notice asks is taken from the profile without the filer seeing it on the
next pages; every check of the notice still applies.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from odr.accounts.models import Account
from odr.cases import drafts, pending, services, verification
from odr.cases.models import PendingUpload, RightsDocument, RightsProfile
from odr.errors import ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.validation import clean_text

DOCUMENT_KINDS = ("right_certificate", "authorisation")
DOCUMENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/webp"}
TEXT_FIELDS = {"identity": 5000, "registrations": 5000, "contact": 5000, "signatory": 300}
# Which notice element each part of the profile fills in (jurisdictions/*.yaml names them).
ELEMENTS = {"identity": "identity", "registrations": "right", "contact": "contact", "signatory": "signature"}


def get_profile(account: Account) -> RightsProfile | None:
    return db.session.scalar(select(RightsProfile).where(RightsProfile.account_id == account.id))


def documents(account: Account) -> dict[str, RightsDocument]:
    rows = db.session.scalars(select(RightsDocument).where(RightsDocument.account_id == account.id))
    return {row.kind: row for row in rows}


def save_profile(account: Account, data: dict, files: dict, remove=(), at: datetime | None = None) -> RightsProfile:
    """Write the account's profile and store its documents (each replacing the one before); ``remove``: the kinds
    of document to remove. Checked first (a document must be a PDF, PNG, JPEG or WebP, by its content)."""
    services.check_notifier(account)
    at = at or utcnow()
    fields: dict[str, str] = {}
    values = {
        name: clean_text(data.get(name), fields, name, required=False, max_length=limit)
        for name, limit in TEXT_FIELDS.items()
    }
    sent: dict = {}
    for kind in DOCUMENT_KINDS:
        upload = files.get(kind)
        if upload is not None and upload.filename:
            sent[kind] = upload
    for kind, upload in sent.items():
        if storage.peek_media_type(upload.stream) not in DOCUMENT_TYPES:
            fields[kind] = _(
                "This file is not a PDF, PNG, JPEG or WebP document (its content was checked, not its name)."
            )
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    limit = current_app.config["ODR"]["MAX_UPLOAD_MB"] * 1024 * 1024
    stored: list[storage.StoredFile] = []
    replaced: list[str] = []
    try:
        for kind, upload in sent.items():
            stored.append(storage.store(upload.stream, upload.filename, "evidence", limit, field=kind))
        profile = get_profile(account) or RightsProfile(account_id=account.id)
        current = documents(account)
        changed = bool(sent) or bool(set(remove) & set(current)) or profile.id is None
        changed |= any((getattr(profile, name) or "") != values[name] for name in verification.CHECKED_FIELDS)
        for name, value in values.items():
            setattr(profile, name, value)
        if changed or (profile.review_status == "" and profile.identity):
            verification.on_change(profile, at)
        profile.updated_at = at
        db.session.add(profile)
        for kind in set(remove) & set(DOCUMENT_KINDS) | set(sent):
            if kind in current:
                replaced.append(current[kind].stored_name)
                db.session.delete(current[kind])
        db.session.flush()
        for kind, kept in zip(sent, stored, strict=True):
            db.session.add(
                RightsDocument(
                    account_id=account.id,
                    kind=kind,
                    stored_name=kept.stored_name,
                    original_name=kept.original_name,
                    sha256=kept.sha256,
                    size=kept.size,
                    media_type=kept.media_type,
                    uploaded_at=at,
                )
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for item in stored:
            item.discard()
        raise
    for name in replaced:
        storage.blob_store().delete("evidence", name)
    return profile


def _copy(document: RightsDocument, account: Account, form: str, expires_at: datetime, at: datetime) -> PendingUpload:
    """A copy of a profile document as a kept file of a draft's form (filing it moves the copy)."""
    limit = current_app.config["ODR"]["MAX_UPLOAD_MB"] * 1024 * 1024
    stream = storage.blob_store().open("evidence", document.stored_name)
    try:
        kept = storage.store(stream, document.original_name, "evidence", limit)
    finally:
        stream.close()
    row = PendingUpload.of(kept, account.id, form, at, expires_at)
    db.session.add(row)
    return row


def prefill_draft(account: Account, draft_id: int, at: datetime | None = None) -> list[str]:
    """Fill the draft's empty elements from the account's profile and attach copies of its documents the draft
    lacks; the names of the fields filled in (none without a profile)."""
    at = at or utcnow()
    draft = drafts.get_draft(account, draft_id, at)
    profile = get_profile(account)
    if profile is None:
        return []
    data = dict(draft.data or {})
    fields = dict(data.get("fields") or {})
    filled = []
    for part, element in ELEMENTS.items():
        value = getattr(profile, part) or ""
        if value and not fields.get(f"elements.{element}"):
            fields[f"elements.{element}"] = value
            filled.append(f"elements.{element}")
    form = drafts.draft_form(draft)
    expires_at = at + timedelta(days=drafts.DRAFT_DAYS)
    element_files = dict(data.get("element_files") or {})
    evidence = list(data.get("evidence") or [])
    copies: list[str] = []
    try:
        for kind, document in documents(account).items():
            if kind == "right_certificate" and "right_certificate" not in element_files:
                row = _copy(document, account, pending.element_form(form, "right_certificate"), expires_at, at)
                element_files["right_certificate"] = row.token
            elif kind == "authorisation" and len(evidence) < services.MAX_UPLOADS:
                row = _copy(document, account, form, expires_at, at)
                evidence.append(row.token)
            else:
                continue
            copies.append(row.stored_name)
            filled.append(kind)
        draft.data = {**data, "fields": fields, "element_files": element_files, "evidence": evidence}
        draft.updated_at, draft.expires_at = at, expires_at
        if drafts.reached(draft, "summary"):  # the elements changed: they are checked again before the summary
            draft.step = "elements"
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for name in copies:
            storage.blob_store().delete("evidence", name)
        raise
    return filled
