"""A notice prepared step by step, kept as a draft between its steps (the guided notice, issue 16).

The steps: (1) the right and the listings (``right``), (2) the procedure that applies and why (``procedure``),
(3) only that procedure's elements, the statement and the evidence (``elements``), (4) a summary to confirm
(``summary``), then filing. Each step's input is saved in the draft (``NoticeDraft.data["fields"]``, as the form
sent it) before it is checked, so a refused step keeps what was typed; its files are kept as pending uploads of
the draft's own forms (odr/cases/pending.py), named in the draft by token, and live as long as the draft.

Every check is the notice's own (``services.check_notice``, which writes nothing): a step shows the problems of
its own fields. Filing goes through ``services.file_notice`` like the single-page form, under the draft's own
idempotency key, so a double submission opens one case. Only its owner can read or change a draft; it is
deleted when filed, and the periodic sweep removes it (with its files) once it has expired.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from odr.accounts.models import Account
from odr.cases import pending, services
from odr.cases.models import Case, NoticeDraft, PendingUpload
from odr.errors import NotFound, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.idempotency import Outcome, Submission
from odr.models_base import utcnow
from odr.queue import periodic_job

STEPS = ("right", "procedure", "elements", "summary")
DRAFT_DAYS = 14  # a draft (and the files kept for it) lasts this long after its last save

# The form fields of the first step (the right, the listings, the seller); the service's names of their errors.
RIGHT_FIELDS = (
    "jurisdiction",
    "right_type",
    "title",
    "listings",
    "product_category",
    "target_market",
    "respondent_email",
    "respondent_name",
    "respondent_country",
    "respondent_language",
)
RIGHT_ERRORS = (
    "jurisdiction",
    "right_type",
    "title",
    "listings",
    "product_category",
    "target_market",
    "respondent",
    "respondent.email",
    "respondent.name",
    "respondent.country",
    "respondent.language",
)
# The third step's fields besides the elements and the measure (``elements.*``, ``measure.*``).
STATEMENT_FIELDS = ("text", "language", "language_confirmed", "remedy_sought", "territories")


def notice_data(form: Mapping) -> dict:
    """A notice form's fields (the single page's or a draft's) as the notice service reads them."""
    data: dict[str, object] = {
        k: form.get(k)
        for k in (
            "jurisdiction",
            "right_type",
            "title",
            "text",
            "language",
            "remedy_sought",
            "listings",
            "language_confirmed",
            "product_category",
        )
    }
    data["respondent"] = {k: form.get(f"respondent_{k}") for k in ("email", "name", "country", "language")}
    data["target_market"] = form.get("target_market")
    data["elements"] = {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("elements.")}
    data["territories"] = form.get("territories")
    data["measure"] = {k.split(".", 1)[1]: v for k, v in form.items() if k.startswith("measure.")}
    return data


def draft_form(draft: NoticeDraft) -> str:
    """The form name the draft's files are kept under (its elements': ``draft:<id>#<element>``)."""
    return f"draft:{draft.id}"


def fields_of(draft: NoticeDraft) -> dict[str, str]:
    return dict((draft.data or {}).get("fields") or {})


def reached(draft: NoticeDraft, step: str) -> bool:
    """Whether the draft's input has passed the steps before ``step``."""
    return STEPS.index(step) <= STEPS.index(draft.step if draft.step in STEPS else "right")


# -- reading and starting -------------------------------------------------------------------------


def own_drafts(account: Account, at: datetime | None = None) -> list[NoticeDraft]:
    """The account's drafts still kept, the latest changed first."""
    return list(
        db.session.scalars(
            select(NoticeDraft)
            .where(NoticeDraft.account_id == account.id, NoticeDraft.expires_at > (at or utcnow()))
            .order_by(NoticeDraft.updated_at.desc(), NoticeDraft.id.desc())
        )
    )


def get_draft(account: Account, draft_id: int, at: datetime | None = None) -> NoticeDraft:
    """The account's own draft; another's, an expired or a filed one answers like a missing one."""
    draft = db.session.get(NoticeDraft, draft_id)
    if draft is None or draft.account_id != account.id or draft.expires_at <= (at or utcnow()):
        raise NotFound(_("This draft does not exist, or it has expired."))
    return draft


def start_draft(account: Account, at: datetime | None = None, start_key: str | None = None) -> NoticeDraft:
    """A new, empty draft of the account (only notifiers file notices). ``start_key``: the first page's own key,
    so that the first step sent twice (a double click) starts one draft."""
    services.check_notifier(account)
    at = at or utcnow()
    start_key = (start_key or "")[:64] or None
    if start_key:
        started = next((d for d in own_drafts(account, at) if (d.data or {}).get("start_key") == start_key), None)
        if started is not None:
            return started
    draft = NoticeDraft(
        account_id=account.id,
        step="right",
        data={
            "fields": {},
            "key": f"draft-{uuid.uuid4().hex}",
            "evidence": [],
            "element_files": {},
            "start_key": start_key,
        },
        created_at=at,
        updated_at=at,
        expires_at=at + timedelta(days=DRAFT_DAYS),
    )
    db.session.add(draft)
    db.session.commit()
    return draft


def _save(draft: NoticeDraft, fields: dict, step: str, at: datetime, **extra) -> None:
    draft.data = {**(draft.data or {}), "fields": fields, **extra}
    draft.step = step
    draft.updated_at = at
    draft.expires_at = at + timedelta(days=DRAFT_DAYS)
    # The files kept for the draft last as long as it does.
    for row in _kept_rows(draft):
        row.expires_at = draft.expires_at
    db.session.commit()


def _kept_rows(draft: NoticeDraft) -> list[PendingUpload]:
    form = draft_form(draft)
    return list(
        db.session.scalars(
            select(PendingUpload).where(
                PendingUpload.account_id == draft.account_id,
                or_(PendingUpload.form == form, PendingUpload.form.like(f"{form}#%")),
            )
        )
    )


def _refusal(account: Account, fields: dict, at: datetime, shown, uploads=(), element_files=None) -> dict:
    """The notice's own checks on what the draft holds: the problems with the fields ``shown`` (all: None)."""
    try:
        services.check_notice(account, notice_data(fields), at, list(uploads), element_files=element_files or {})
    except ValidationFailed as refusal:
        return {k: v for k, v in refusal.fields.items() if shown is None or k in shown}
    finally:
        db.session.rollback()  # nothing the checks loaded stays in the session (a seller named, not yet a party)
    return {}


def _step_fields(posted: Mapping, names) -> dict[str, str]:
    return {k: str(posted.get(k) or "") for k in names}


# -- the steps ------------------------------------------------------------------------------------


def save_right(account: Account, draft_id: int, posted: Mapping, at: datetime | None = None) -> NoticeDraft:
    """Step 1: the right, the listings and the seller, saved, then checked; the next step is the procedure."""
    at = at or utcnow()
    draft = get_draft(account, draft_id, at)
    fields = fields_of(draft) | _step_fields(posted, RIGHT_FIELDS)
    _save(draft, fields, "right", at)
    errors = _refusal(account, fields, at, RIGHT_ERRORS)
    if errors:
        raise ValidationFailed(_("Please correct the marked fields."), errors)
    draft = get_draft(account, draft_id, at)
    _save(draft, fields, "procedure", at)
    return draft


def confirm_procedure(account: Account, draft_id: int, at: datetime | None = None) -> NoticeDraft:
    """Step 2: the filer has read which procedure applies and why; the next step asks for its elements."""
    at = at or utcnow()
    draft = get_draft(account, draft_id, at)
    if not reached(draft, "procedure"):
        raise ValidationFailed(_("Please correct the marked fields."), {"jurisdiction": _("Choose the jurisdiction.")})
    _save(draft, fields_of(draft), "elements", at)
    return draft


def _elements_fields(posted: Mapping) -> dict[str, str]:
    fields = _step_fields(posted, STATEMENT_FIELDS)
    fields |= {k: str(v) for k, v in posted.items() if k.startswith(("elements.", "measure.")) and v}
    return fields


def _files(account: Account, draft: NoticeDraft, posted, files, at: datetime):
    """The draft's evidence and element files: those kept (less any removed) and those just sent, kept in turn."""
    form = draft_form(draft)
    kept = pending.Kept(account, form)
    elements = pending.KeptElements(account, form)
    refusals = []
    uploads: list[services.Upload] = []
    element_files: dict[str, services.Upload] = {}
    try:
        uploads = kept.take(posted, files.getlist("evidence") if files else [], at)
    except ValidationFailed as exc:
        refusals.append(exc)
    try:
        element_files = elements.take(posted, files or {}, at)
    except ValidationFailed as exc:
        refusals.append(exc)
    return kept, elements, uploads, element_files, refusals


def save_elements(
    account: Account, draft_id: int, posted, files=None, at: datetime | None = None, *, check: bool = True
) -> NoticeDraft:
    """Step 3: the procedure's elements, the statement and the evidence, saved with their files, then checked
    as the whole notice; the next step is the summary. ``check`` False: saved only (the way back)."""
    at = at or utcnow()
    draft = get_draft(account, draft_id, at)
    fields = {k: v for k, v in fields_of(draft).items() if k in RIGHT_FIELDS} | _elements_fields(posted)
    kept, elements, uploads, element_files, refusals = _files(account, draft, posted, files, at)
    step = "elements" if reached(draft, "elements") else draft.step
    _save(
        draft,
        fields,
        step,
        at,
        evidence=[row.token for row in kept.rows],
        element_files={name: row.token for name, row in elements.rows.items()},
    )
    if not check:
        return draft
    errors = {k: v for exc in refusals for k, v in exc.fields.items()}
    if not errors:
        errors = _refusal(account, fields, at, None, uploads, element_files)
    if errors:
        raise ValidationFailed(_("The notice is incomplete. Please correct the marked fields."), errors)
    draft = get_draft(account, draft_id, at)
    _save(draft, fields, "summary", at)
    return draft


def save_back(account: Account, draft_id: int, step: str, posted, files=None, at: datetime | None = None) -> str:
    """The way back from ``step``: what it shows is saved as typed (not checked); the step before it."""
    at = at or utcnow()
    draft = get_draft(account, draft_id, at)
    if step == "right":
        _save(draft, fields_of(draft) | _step_fields(posted, RIGHT_FIELDS), draft.step, at)
    elif step == "elements":
        save_elements(account, draft_id, posted, files, at, check=False)
    index = STEPS.index(step) if step in STEPS else 1
    return STEPS[max(index - 1, 0)]


def kept_files(account: Account, draft: NoticeDraft) -> tuple[tuple, dict]:
    """The draft's kept evidence files and element files, as pages show them (no upload)."""
    form = draft_form(draft)
    data = draft.data or {}
    evidence = pending.Kept(account, form).keep(
        MultiDict([(pending.TOKEN_FIELD, t) for t in data.get("evidence") or []])
    )
    element_tokens = MultiDict(
        [(f"{pending.ELEMENT_TOKEN}{name}", token) for name, token in (data.get("element_files") or {}).items()]
    )
    elements = pending.KeptElements(account, form).keep(element_tokens)
    return pending.shown(evidence), pending.shown_by_name(elements)


# -- filing ---------------------------------------------------------------------------------------


def filed_case(account: Account, key: str | None) -> Case | None:
    """The case a draft's notice opened under ``key``, if it was filed (a second submission after the first)."""
    if not key:
        return None
    record = Submission.recorded(account.id, [key]).get(key)
    if record is None or record.result_kind != Case.__tablename__:
        return None
    return db.session.get(Case, record.result_id)


def file_draft(account: Account, draft_id: int, *, remote_addr: str = "", at: datetime | None = None) -> Outcome:
    """File the draft's notice through the notice service itself (every check again, its idempotency key: a
    second submission answers the first case), then delete the draft and what is left of its files."""
    at = at or utcnow()
    draft = get_draft(account, draft_id, at)
    if not reached(draft, "summary"):
        raise ValidationFailed(
            _("The notice is incomplete. Please correct the marked fields."),
            {"elements": _("Complete the step with the elements of the procedure first.")},
        )
    data = draft.data or {}
    posted = MultiDict([(pending.TOKEN_FIELD, t) for t in data.get("evidence") or []])
    posted.update({f"{pending.ELEMENT_TOKEN}{n}": t for n, t in (data.get("element_files") or {}).items()})
    kept, elements, uploads, element_files, refusals = _files(account, draft, posted, None, at)
    if refusals:
        raise ValidationFailed(refusals[0].message, {k: v for e in refusals for k, v in e.fields.items()})
    data_of_notice = notice_data(fields_of(draft))
    outcome = services.file_notice(
        account,
        data_of_notice,
        uploads,
        element_files=element_files,
        key=data.get("key"),
        remote_addr=remote_addr,
        at=at,
    )
    delete_draft(draft)
    return outcome


def delete_draft(draft: NoticeDraft) -> None:
    """Remove the draft and the files still kept for it (those filed became evidence)."""
    rows = _kept_rows(draft)
    names = [row.stored_name for row in rows]
    for row in rows:
        db.session.delete(row)
    db.session.delete(draft)
    db.session.commit()
    for name in names:
        storage.blob_store().delete("evidence", name)


def discard_draft(account: Account, draft_id: int) -> None:
    """The owner gives a draft up."""
    delete_draft(get_draft(account, draft_id))


@periodic_job("notice_draft_sweep", "Remove the notice drafts that have expired, with the files kept for them.")
def sweep_expired_drafts(now: datetime | None = None) -> int:
    """Remove every expired draft and its kept files; how many drafts were removed."""
    drafts = list(db.session.scalars(select(NoticeDraft).where(NoticeDraft.expires_at <= (now or utcnow()))))
    for draft in drafts:
        delete_draft(draft)
    return len(drafts)
