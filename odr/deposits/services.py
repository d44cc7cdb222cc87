"""Depositing a work: store the bytes, sign a certificate over their hash, timestamp it if a TSA is set."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone

from flask import current_app
from sqlalchemy import Select, select

from odr.accounts.models import PARTY_ROLES, Account
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.evidence import storage
from odr.export.verifier import CERTIFICATE_PROFILE
from odr.extensions import db
from odr.extensions import gettext as _
from odr.idempotency import Submission
from odr.integrity.canonical import canonical_json
from odr.integrity.keys import platform_key
from odr.integrity.timestamp import TimestampError, timestamp
from odr.models_base import utcnow
from odr.validation import clean_text

from .models import Deposit


def _envelope(body: dict) -> tuple[str, bool]:
    key = platform_key()
    body = dict(body, signer={"alg": "Ed25519", "key_id": key.key_id})
    signed = canonical_json(body)
    envelope = {
        "certificate": body,
        "signature": base64.b64encode(key.sign(signed)).decode("ascii"),
        "public_key_pem": key.public_pem.decode("ascii"),
    }
    try:
        token = timestamp(signed)
    except TimestampError as exc:
        current_app.logger.warning("deposit certificate not timestamped: %s", exc)
        token = None
    if token:
        envelope["timestamp_token"] = base64.b64encode(token).decode("ascii")
    return json.dumps(envelope, ensure_ascii=False, indent=2) + "\n", bool(token)


def deposit_work(
    account: Account, title, upload_stream, filename: str | None, *, key: str | None = None, at: datetime | None = None
) -> tuple[Deposit, bool]:
    """Deposit an original work; returns the deposit and whether it is new (a retried key is not)."""
    if account.role not in PARTY_ROLES or account.party is None:
        raise Forbidden(_("Only parties can deposit works."))
    sub = Submission.of(account.id, key, {"title": title}, [filename])
    previous = sub.replayed(Deposit)
    if previous is not None:
        return previous, False
    fields: dict[str, str] = {}
    title = clean_text(title, fields, "title", max_length=300)
    if upload_stream is None:
        fields["work"] = _("Choose the file of the work to deposit.")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    cfg = current_app.config["ODR"]
    kept = storage.store(upload_stream, filename, "evidence", cfg["MAX_UPLOAD_MB"] * 1024 * 1024, field="work")
    at = (at or utcnow()).astimezone(timezone.utc)
    certificate_id = str(uuid.uuid4())
    body = {
        "profile": CERTIFICATE_PROFILE,
        "certificate_id": certificate_id,
        "title": title,
        "sha256": kept.sha256,
        "size": kept.size,
        "media_type": kept.media_type,
        "original_name": kept.original_name,
        "depositor": {
            "party_id": account.party_id,
            "name": account.party.name,
            "country": account.party.country,
            "account_id": account.id,
        },
        "deposited_at": at.isoformat().replace("+00:00", "Z"),
        "platform": cfg.get("PUBLIC_URL") or "urn:odr-platform",
    }
    try:
        certificate, timestamped = _envelope(body)
        deposit = Deposit(
            certificate_id=certificate_id,
            party_id=account.party_id,
            account_id=account.id,
            title=title,
            original_name=kept.original_name,
            stored_name=kept.stored_name,
            sha256=kept.sha256,
            size=kept.size,
            media_type=kept.media_type,
            deposited_at=at,
            certificate=certificate,
            timestamped=timestamped,
        )
        db.session.add(deposit)
        db.session.flush()
        outcome = sub.commit(deposit, on_lost_race=kept.discard)
    except BaseException:
        db.session.rollback()
        kept.discard()
        raise
    return outcome.obj, outcome.created


def deposits_of(account: Account) -> list[Deposit]:
    if account.party_id is None:
        return []
    return list(db.session.scalars(deposits_query(account).order_by(Deposit.deposited_at.desc(), Deposit.id.desc())))


def deposits_query(account: Account) -> Select:
    """The party's deposits, unordered, for a page of them (``odr.pagination.keyset``)."""
    return select(Deposit).where(Deposit.party_id == account.party_id)


def get_deposit(account: Account, deposit_id: int) -> Deposit:
    deposit = db.session.get(Deposit, deposit_id)
    if deposit is None or account.party_id is None or deposit.party_id != account.party_id:
        raise NotFound(_("This deposit does not exist, or you may not see it."))
    return deposit


def as_json(deposit: Deposit) -> dict:
    return {
        "id": deposit.id,
        "certificate_id": deposit.certificate_id,
        "title": deposit.title,
        "sha256": deposit.sha256,
        "size": deposit.size,
        "media_type": deposit.media_type,
        "original_name": deposit.original_name,
        "deposited_at": deposit.deposited_at.isoformat(),
        "timestamped": deposit.timestamped,
    }
