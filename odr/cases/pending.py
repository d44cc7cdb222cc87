"""Files of a refused form, kept so that it is never attached twice.

A form with files (the notice, the case page's filing form) may be refused (a missing element, a question
about the language). The files it carried are then stored at once, as a pending upload of the signed-in
account for that form, and the page shows them as already attached, each with a remove box; sending the
form again files them without a second upload. Only their uploader can use them, only on the form they came
with; they expire after ``PENDING_UPLOAD_HOURS`` and a periodic job removes them (rows and stored files).
Their names are data only (``storage.safe_display_name``); their type is sniffed, never taken from the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from odr.accounts.models import Account
from odr.cases.models import PendingUpload
from odr.cases.services import MAX_UPLOADS, Upload
from odr.errors import ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.queue import periodic_job

TOKEN_FIELD = "kept_upload"
REMOVE_FIELD = "remove_upload"
# A notice element's file (the right certificate...): one file per element, kept under its own form name.
ELEMENT_TOKEN = "kept_element."
ELEMENT_REMOVE = "remove_element."


@dataclass(frozen=True)
class KeptFile:
    """A kept file as a page shows it (plain data: rendering it sends no query)."""

    token: str
    original_name: str


def shown(rows) -> tuple[KeptFile, ...]:
    return tuple(KeptFile(row.token, row.original_name) for row in rows)


def shown_by_name(rows: dict) -> dict[str, KeptFile]:
    return {name: KeptFile(row.token, row.original_name) for name, row in rows.items()}


def notice_form() -> str:
    return "notice"


def element_form(form: str, name: str) -> str:
    """The form a notice element's file is kept for: the element's own (one file each), within ``form``."""
    return f"{form}#{name}"[:64]


def filing_form(case_id: int) -> str:
    return f"filing:{case_id}"


def decision_form(case_id: int) -> str:
    return f"decision:{case_id}"


class Kept:
    """The files one submission of ``form`` carries: those kept from its refusals and those just sent."""

    def __init__(
        self,
        account: Account,
        form: str,
        field: str = "evidence",
        token_field: str = TOKEN_FIELD,
        remove_field: str = REMOVE_FIELD,
    ):
        self.account = account
        self.form = form
        self.field = field  # the form's file input, where its errors show
        self.token_field, self.remove_field = token_field, remove_field  # the inputs naming kept files
        self.rows: list[PendingUpload] = []

    def take(self, posted, files, at: datetime | None = None, single: bool = False) -> list[Upload]:
        """Resolve the kept files named in ``posted`` (less those marked for removal), store the new ``files``
        as pending uploads (committed: they survive a refusal), and give every one as an upload to file.

        A kept file that is gone (expired, or not this account's) is refused with a clear error, never dropped."""
        now = at or utcnow()
        new = [f for f in files if f and f.filename]
        removed = set(posted.getlist(self.remove_field))
        if single and new:  # a form of one file (the signed decision): a new file replaces the kept one
            removed |= set(posted.getlist(self.token_field))
        tokens = [t for t in dict.fromkeys(posted.getlist(self.token_field)) if t and t not in removed]
        found = self._mine(tokens, now) if tokens else {}
        self.rows = [found[t] for t in tokens if t in found]
        missing = len(self.rows) < len(tokens)
        self._remove(removed)
        if len(self.rows) + len(new) > MAX_UPLOADS:
            raise ValidationFailed(
                _("At most %(n)s files per submission.", n=MAX_UPLOADS),
                {self.field: _("At most %(n)s files per submission.", n=MAX_UPLOADS)},
                code="too_many_files",
            )
        self._stash(new, now)
        if missing:
            raise ValidationFailed(
                _("A file attached earlier is no longer available: attach it again."),
                {self.field: _("A file attached earlier is no longer available: attach it again.")},
                code="upload_gone",
            )
        return [Upload(None, row.original_name, pending=row) for row in self.rows]

    def keep(self, posted) -> list[PendingUpload]:
        """The kept files named in ``posted`` that are still there, less those marked for removal (no upload)."""
        removed = set(posted.getlist(self.remove_field))
        tokens = [t for t in dict.fromkeys(posted.getlist(self.token_field)) if t and t not in removed]
        found = self._mine(tokens, utcnow()) if tokens else {}
        self.rows = [found[t] for t in tokens if t in found]
        return self.rows

    def _mine(self, tokens: list[str], now: datetime | None) -> dict[str, PendingUpload]:
        """This account's kept files of this form among ``tokens`` (unexpired at ``now``, if given)."""
        query = select(PendingUpload).where(
            PendingUpload.token.in_(tokens),
            PendingUpload.account_id == self.account.id,
            PendingUpload.form == self.form,
        )
        if now is not None:
            query = query.where(PendingUpload.expires_at > now)
        return {row.token: row for row in db.session.scalars(query)}

    def _remove(self, tokens: set[str]) -> None:
        if not tokens:
            return
        rows = list(self._mine(sorted(tokens), None).values())
        for row in rows:
            db.session.delete(row)
        db.session.commit()
        for row in rows:
            storage.blob_store().delete("evidence", row.stored_name)

    def _stash(self, files, now: datetime) -> None:
        limit = current_app.config["ODR"]["MAX_UPLOAD_MB"] * 1024 * 1024
        hours = current_app.config["ODR"]["PENDING_UPLOAD_HOURS"]
        stored: list[storage.StoredFile] = []
        try:
            for f in files:
                kept = storage.store(f.stream, f.filename, "evidence", limit)
                stored.append(kept)
                row = PendingUpload.of(kept, self.account.id, self.form, now, now + timedelta(hours=hours))
                db.session.add(row)
                self.rows.append(row)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            for item in stored:
                item.discard()
            self.rows = [row for row in self.rows if row.id is not None]
            raise


class KeptElements:
    """The element files one submission of a notice carries (multipart parts ``elements.<name>``): each kept
    from the form's refusals (hidden ``kept_element.<name>``, less a ticked ``remove_element.<name>``) or just
    sent, a new file replacing the kept one. Every new file is stored as a pending upload of its element first,
    so that a refusal of the notice keeps it."""

    def __init__(self, account: Account, form: str):
        self.account, self.form = account, form
        self.rows: dict[str, PendingUpload] = {}

    def take(self, posted, files, at: datetime | None = None) -> dict[str, Upload]:
        """The files by element name, to file with the notice; every element's problem is said at its field."""
        names = {k.split(".", 1)[1] for k, f in files.items() if k.startswith("elements.") and f and f.filename}
        names |= {k[len(ELEMENT_TOKEN) :] for k, v in posted.items() if k.startswith(ELEMENT_TOKEN) and v}
        names |= {k[len(ELEMENT_REMOVE) :] for k, v in posted.items() if k.startswith(ELEMENT_REMOVE) and v}
        taken: dict[str, Upload] = {}
        refusals: list[ValidationFailed] = []
        for name in sorted(n for n in names if n and len(n) <= 60):
            kept = Kept(
                self.account,
                element_form(self.form, name),
                field=f"elements.{name}",
                token_field=f"{ELEMENT_TOKEN}{name}",
                remove_field=f"{ELEMENT_REMOVE}{name}",
            )
            try:
                uploads = kept.take(posted, [files.get(f"elements.{name}")], at, single=True)
            except ValidationFailed as exc:
                refusals.append(exc)
            else:
                if uploads:
                    taken[name] = uploads[-1]
            if kept.rows:
                self.rows[name] = kept.rows[-1]
        if refusals:
            fields = {key: message for exc in refusals for key, message in exc.fields.items()}
            raise ValidationFailed(refusals[0].message, fields, code=refusals[0].code)
        return taken

    def discard_unused(self) -> None:
        """After the notice is filed: remove the kept files it did not file (an element its procedure does not
        ask for); those it filed became evidence."""
        ids = [row.id for row in self.rows.values() if row.id is not None]
        if not ids:
            return
        left = list(db.session.scalars(select(PendingUpload).where(PendingUpload.id.in_(ids))))
        for row in left:
            db.session.delete(row)
        db.session.commit()
        for row in left:
            storage.blob_store().delete("evidence", row.stored_name)

    def keep(self, posted) -> dict[str, PendingUpload]:
        """The kept element files named in ``posted`` that are still there (no upload)."""
        for key, value in posted.items():
            if key.startswith(ELEMENT_TOKEN) and value:
                name = key[len(ELEMENT_TOKEN) :]
                rows = Kept(
                    self.account,
                    element_form(self.form, name),
                    token_field=key,
                    remove_field=f"{ELEMENT_REMOVE}{name}",
                ).keep(posted)
                if rows:
                    self.rows[name] = rows[-1]
        return self.rows


@periodic_job("pending_upload_sweep", "Remove the kept files of refused forms that have expired.")
def sweep_expired(now: datetime | None = None) -> int:
    """Remove every expired pending upload (its row, then its stored file); how many were removed."""
    rows = list(db.session.scalars(select(PendingUpload).where(PendingUpload.expires_at <= (now or utcnow()))))
    names = [row.stored_name for row in rows]
    for row in rows:
        db.session.delete(row)
    db.session.commit()
    for name in names:
        storage.blob_store().delete("evidence", name)
    return len(names)
