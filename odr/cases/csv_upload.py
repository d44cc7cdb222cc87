"""Notices from a spreadsheet: a right holder uploads a CSV of listings, sees what filing it would do, confirms.

The file is read (``bulk.read_csv``) and, if it can be, kept server-side as a pending upload of its account
(``odr/cases/pending.py``'s rows, form ``CSV_FORM``, swept when they expire), never in the browser. The
preview (``bulk.preview``) and the filing (``bulk.file_notices``, the batch API's path and checks) both read
it from there. Each row is keyed by the file's content and its position (or by its ``item_key`` column), so
confirming twice, or uploading the same file again, files each row once.

A CSV cannot hold files, so the files a jurisdiction's law asks of a notice (China's right certificate and
evidence file) are uploaded with it, and a row's ``elements.<name>`` cell names one by its file name. They are
kept as pending uploads of the CSV's own (``files_form``) and expire with it; their names are data only, matched
as the uploader's browser sent them (``storage.safe_display_name``), never used as paths.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app

from odr.accounts.models import Account
from odr.cases import bulk
from odr.cases.models import PendingUpload
from odr.cases.services import MAX_UPLOADS, Upload, check_notifier
from odr.errors import NotFound, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow

CSV_FORM = "notices_csv"


def csv_limit() -> int:
    return min(bulk.MAX_CSV_MB, current_app.config["ODR"]["MAX_UPLOAD_MB"]) * 1024 * 1024


def files_form(token: str) -> str:
    """The form the files uploaded with a CSV are kept for: that CSV's own."""
    return f"{CSV_FORM}:{token}"


def _named_files(files) -> list:
    """The files sent with the CSV (a file input left empty sends a part without a name), each under its own
    name: the rows name them, so two of one name are refused rather than one of them chosen."""
    sent = [f for f in files if f is not None and f.filename]
    if len(sent) > MAX_UPLOADS:
        message = _("At most %(n)s files can be uploaded with a CSV.", n=MAX_UPLOADS)
        raise ValidationFailed(message, {"files": message}, code="too_many_files")
    names: set[str] = set()
    for upload in sent:
        name = storage.safe_display_name(upload.filename)
        if name in names:
            message = _(
                "Two files are named “%(name)s”: rename one, since the rows name files by their names.", name=name
            )
            raise ValidationFailed(message, {"files": message}, code="duplicate_file_name")
        names.add(name)
    return sent


def stash(account: Account, stream, filename: str | None, files=()) -> PendingUpload:
    """Read an uploaded CSV and keep it, with the files uploaded with it, for its account's preview and
    confirmation (committed).

    A file that cannot be read as a CSV of listings (too large, another encoding, no or unknown columns, too
    many rows), or files that cannot be told apart by their names, are refused whole and nothing is kept."""
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
    sent = _named_files(files)
    now = utcnow()
    expires_at = now + timedelta(hours=current_app.config["ODR"]["PENDING_UPLOAD_HOURS"])
    token = secrets.token_hex(16)
    stored: list[storage.StoredFile] = []

    def pending_row(kept: storage.StoredFile, form: str, media_type: str) -> PendingUpload:
        stored.append(kept)
        first = {"token": token} if form == CSV_FORM else {}
        return PendingUpload.of(kept, account.id, form, now, expires_at, media_type=media_type, **first)

    try:
        row = pending_row(
            storage.store(io.BytesIO(content), filename, "evidence", limit, field="csv"), CSV_FORM, "text/csv"
        )
        file_limit = current_app.config["ODR"]["MAX_UPLOAD_MB"] * 1024 * 1024
        for upload in sent:
            kept = storage.store(upload.stream, upload.filename, "evidence", file_limit, field="files")
            db.session.add(pending_row(kept, files_form(token), kept.media_type))
        db.session.add(row)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for kept in stored:
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


def files_of(row: PendingUpload) -> dict[str, PendingUpload]:
    """The files uploaded with the CSV, by name."""
    query = db.select(PendingUpload).where(
        PendingUpload.account_id == row.account_id, PendingUpload.form == files_form(row.token)
    )
    return {f.original_name: f for f in db.session.scalars(query.order_by(PendingUpload.id))}


def _read(row: PendingUpload) -> bytes:
    with storage.blob_store().open("evidence", row.stored_name) as f:
        return f.read()


def _items(row: PendingUpload) -> list[bulk.Item]:
    """The CSV's rows, each with the files its element cells name (read once; their number and size are bounded
    by the upload's). A name no file has is left in the cell, and the row's check says so."""
    items = bulk.read_csv(_read(row))
    files = files_of(row)
    contents: dict[str, bytes] = {}
    for item in items:
        elements = item.data.get("elements") if isinstance(item.data, dict) else None
        if not isinstance(elements, dict):
            continue
        for element, value in elements.items():
            if isinstance(value, str) and value in files:
                if value not in contents:
                    contents[value] = _read(files[value])
                item.element_files[element] = Upload(io.BytesIO(contents[value]), value)
    return items


def _request_key(row: PendingUpload) -> str:
    """Rows without an ``item_key`` are keyed by the file's content and their position in it."""
    return f"csv:{row.sha256}"


@dataclass
class CsvPreview:
    upload: PendingUpload
    planned: bulk.Planned
    files: list[str]  # the names of the files uploaded with the CSV
    unnamed_files: list[str]  # those no row names: they are not filed


def preview(account: Account, token: str) -> CsvPreview:
    """What confirming the upload would file (and what it filed already), writing nothing."""
    check_notifier(account)
    row = pending_file(account, token)
    items = _items(row)
    files = list(files_of(row))
    named = {upload.filename for item in items for upload in item.element_files.values()}
    return CsvPreview(
        row,
        bulk.preview(account, items, request_key=_request_key(row)),
        files,
        [name for name in files if name not in named],
    )


def confirm(account: Account, token: str) -> bulk.BatchResult:
    """File the upload's rows through the batch path; rows filed already are answered, not filed again. Rows
    with errors are left out (the filer saw them in the preview): not counted as refused notices."""
    check_notifier(account)
    row = pending_file(account, token)
    return bulk.file_notices(account, _items(row), request_key=_request_key(row), count_refusals=False)
