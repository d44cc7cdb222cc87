"""Notices from a spreadsheet: a right holder uploads a CSV of listings, sees what filing it would do, confirms.

The file is read (``bulk.read_csv``) and, if it can be, kept server-side as a pending upload of its account
(``odr/cases/pending.py``'s rows, form ``CSV_FORM``, swept when they expire), never in the browser. The
preview (``bulk.preview``) and the filing (``bulk.file_notices``, the batch API's path and checks) both read
it from there. Each row is keyed by the file's content and its position (or by its ``item_key`` column), so
confirming twice, or uploading the same file again, files each row once.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from odr.accounts.models import Account
from odr.cases import bulk
from odr.cases.models import PendingUpload
from odr.cases.services import check_notifier
from odr.errors import NotFound, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.models_base import utcnow

CSV_FORM = "notices_csv"


def csv_limit() -> int:
    return min(bulk.MAX_CSV_MB, current_app.config["ODR"]["MAX_UPLOAD_MB"]) * 1024 * 1024


def stash(account: Account, stream, filename: str | None) -> PendingUpload:
    """Read an uploaded CSV and keep it for its account's preview and confirmation (committed).

    A file that cannot be read as a CSV of listings (too large, another encoding, no or unknown columns, too
    many rows) is refused whole and nothing is kept."""
    check_notifier(account)
    if stream is None or not filename:
        raise ValidationFailed(
            _("Choose a CSV file to upload."), {"csv": _("Choose a CSV file to upload.")}, code="csv_missing"
        )
    limit = csv_limit()
    content = stream.read(limit + 1)
    if len(content) > limit:
        message = _("The upload is too large: the limit is %(limit)s MB.", limit=limit // (1024 * 1024))
        raise ValidationFailed(message, {"csv": message}, code="too_large")
    bulk.read_csv(content)  # refused whole before anything is kept
    kept = storage.store(io.BytesIO(content), filename, "evidence", limit, field="csv")
    now = utcnow()
    row = PendingUpload(
        token=secrets.token_hex(16),
        account_id=account.id,
        form=CSV_FORM,
        stored_name=kept.stored_name,
        original_name=kept.original_name,
        sha256=kept.sha256,
        size=kept.size,
        media_type="text/csv",
        created_at=now,
        expires_at=now + timedelta(hours=current_app.config["ODR"]["PENDING_UPLOAD_HOURS"]),
    )
    try:
        db.session.add(row)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        kept.discard()
        raise
    return row


def pending_file(account: Account, token: str) -> PendingUpload:
    """The account's own uploaded CSV under ``token``, unexpired; another's answers like a missing one."""
    row = db.session.scalar(
        db.select(PendingUpload).where(
            PendingUpload.token == token,
            PendingUpload.account_id == account.id,
            PendingUpload.form == CSV_FORM,
            PendingUpload.expires_at > utcnow(),
        )
    )
    if row is None:
        raise NotFound(_("This upload is no longer available: upload the file again."))
    return row


def _items(row: PendingUpload) -> list[bulk.Item]:
    with storage.blob_store().open("evidence", row.stored_name) as f:
        return bulk.read_csv(f.read())


def _request_key(row: PendingUpload) -> str:
    """Rows without an ``item_key`` are keyed by the file's content and their position in it."""
    return f"csv:{row.sha256}"


@dataclass
class CsvPreview:
    upload: PendingUpload
    planned: bulk.Planned


def preview(account: Account, token: str) -> CsvPreview:
    """What confirming the upload would file (and what it filed already), writing nothing."""
    check_notifier(account)
    row = pending_file(account, token)
    return CsvPreview(row, bulk.preview(account, _items(row), request_key=_request_key(row)))


def confirm(account: Account, token: str) -> bulk.BatchResult:
    """File the upload's rows through the batch path; rows filed already are answered, not filed again. Rows
    with errors are left out (the filer saw them in the preview): not counted as refused notices."""
    check_notifier(account)
    row = pending_file(account, token)
    return bulk.file_notices(account, _items(row), request_key=_request_key(row), count_refusals=False)
