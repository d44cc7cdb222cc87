"""Every change to a case happens here: notices, answers, messages, offers, settlements, actions.

Each function validates everything first (raising a ServiceError that changes nothing),
then writes the change, its events and its idempotency record in one transaction, and
commits before anything is acknowledged.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, func, insert, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import IntegrityError

from odr.accounts.models import Account, Party, Role
from odr.accounts.services import find_account_by_email
from odr.cases import claims as _claims  # noqa: F401  (records on its cases that a seller joined)
from odr.cases import events, verification
from odr.cases.access import case_roles, get_case
from odr.cases.filings import record_filing, text_sha256
from odr.cases.models import (
    PRODUCT_CATEGORIES,
    Case,
    EvidenceFile,
    Filing,
    FilingKind,
    Listing,
    PendingUpload,
    RightType,
    SettlementAcceptance,
)
from odr.cases.signals import notice_refused, notice_screening, respondent_invited, settlement_reached
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.evidence import storage
from odr.extensions import db
from odr.extensions import gettext as _
from odr.i18n import locale_name
from odr.idempotency import Outcome, Submission
from odr.language import filing_language
from odr.models_base import utcnow
from odr.procedure import jurisdictions
from odr.procedure.choice import check_market, choose_procedure
from odr.procedure.notices import check_counter_notice, check_elements, check_notice_measure
from odr.procedure.services import case_day, enter_state, procedure_of, record_choice, take_transition
from odr.procedure.titles import state_label
from odr.validation import EMAIL_RE, check_country, check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

NOTICE_ROLES = {Role.RIGHT_HOLDER, Role.REPRESENTATIVE, Role.PLATFORM_CLIENT}
MAX_LISTINGS = 500
MAX_UPLOADS = 20
LISTING_MEASURES = {"keep", "remove", "modify", "geo_restrict"}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Fields that only ask the filer to confirm the language: a notice held back for them is not refused.
LANGUAGE_QUESTIONS = {"language", "language_confirmed"}


@dataclass
class Upload:
    """A file as received: a readable stream and the name the sender gave it."""

    stream: object
    filename: str | None
    # A file kept from a refused form (odr/cases/pending.py): filed as it is stored, its pending row removed.
    pending: PendingUpload | None = None
    # Stored before the transaction that records it (``keep_ahead``), so that writing and syncing it does not
    # happen while that transaction holds the database's write lock (on SQLite, every other writer waits).
    kept: storage.StoredFile | None = None


class ConfirmFirst(Exception):
    """A web form's irreversible filing passed every check but was not confirmed: nothing was recorded. The page
    says what it will do (``transition``: the step it takes, if any) and files it only when confirmed."""

    def __init__(self, transition: str | None = None):
        super().__init__(transition)
        self.transition = transition


def element_uploads(files) -> dict[str, Upload]:
    """The files sent as notice elements: multipart parts (or form inputs) named ``elements.<name>``."""
    return {
        key.split(".", 1)[1]: Upload(f.stream, f.filename)
        for key, f in files.items()
        if key.startswith("elements.") and f.filename
    }


def submission(account: Account, key: str | None, data: dict, uploads: list[Upload]) -> Submission:
    return Submission.of(account.id, key, data, [u.filename for u in uploads])


def discard(kept: list[storage.StoredFile]) -> None:
    """Remove files stored for a submission that did not commit."""
    for item in kept:
        item.discard()


# -- evidence -----------------------------------------------------------------------------------


def keep_ahead(
    uploads: list[Upload], stored: list[storage.StoredFile], *, element: str | None = None
) -> list[storage.StoredFile]:
    """The uploads as stored, in order, storing each new one now: a notice stores its files before anything of it is
    written (``file_notice``), ``store_evidence`` records them as they were stored. ``stored`` collects the new files
    to discard if the submission does not commit; a file kept from a refused form is already in the store (and is
    not discarded if it fails)."""
    limit = current_app.config["ODR"]["MAX_UPLOAD_MB"] * 1024 * 1024
    field = f"elements.{element}" if element else "evidence"
    files = []
    for upload in uploads:
        if upload.pending is not None:
            files.append(
                storage.StoredFile(
                    stored_name=upload.pending.stored_name,
                    original_name=upload.pending.original_name,
                    sha256=upload.pending.sha256,
                    size=upload.pending.size,
                    media_type=upload.pending.media_type,
                )
            )
            continue
        if upload.kept is None:
            if element and hasattr(upload.stream, "seek"):
                upload.stream.seek(0)  # read when the notice was checked; a batch's group stores it for each case
            upload.kept = storage.store(upload.stream, upload.filename, "evidence", limit, field=field)
            stored.append(upload.kept)
        files.append(upload.kept)
    return files


def store_evidence(
    case: Case,
    filing: Filing | None,
    account: Account,
    uploads: list[Upload],
    remote_addr: str,
    stored: list[storage.StoredFile],
    *,
    element: str | None = None,
) -> list[EvidenceFile]:
    """Store each upload as evidence of ``case`` (recorded on its timeline); ``stored`` collects the paths
    so that the caller can discard them if the submission does not commit. ``element``: the notice element
    the file is (the right certificate...), named on the timeline."""
    rows = []
    for upload, kept in zip(uploads, keep_ahead(uploads, stored, element=element), strict=True):
        if upload.pending is not None:
            db.session.delete(upload.pending)  # it becomes evidence in this transaction
        upload.kept = None  # recorded once: a batch's group stores its element files again for each case it opens
        rows.append(
            EvidenceFile(
                case_id=case.id,
                filing_id=filing.id if filing else None,
                stored_name=kept.stored_name,
                original_name=kept.original_name,
                sha256=kept.sha256,
                size=kept.size,
                media_type=kept.media_type,
                uploaded_by_id=account.id,
                uploaded_from=(remote_addr or "")[:64],
            )
        )
        db.session.add(rows[-1])
        events.record(
            case,
            EventKind.EVIDENCE_ADDED,
            utcnow(),
            actor=account,
            role=_role_label(account, case),
            payload={
                "sha256": kept.sha256,
                "size": kept.size,
                "media_type": kept.media_type,
                "name": kept.original_name,
                **({"element": element} if element else {}),
            },
        )
    return rows


def _check_upload_count(uploads: list[Upload], fields: dict) -> None:
    if len(uploads) > MAX_UPLOADS:
        fields["evidence"] = _("At most %(n)s files per submission.", n=MAX_UPLOADS)


def _role_label(account: Account, case: Case) -> CaseRole:
    roles = case_roles(account, case)
    for role in (CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR, CaseRole.COURT, CaseRole.ADMIN):
        if role in roles:
            return role
    return CaseRole.SYSTEM


# -- notice -------------------------------------------------------------------------------------


@dataclass
class ListingItem:
    locator: str
    title: str = ""
    product_category: str | None = None  # None: the notice's own category


def _category(raw, fields: dict, name: str) -> str | None:
    if raw in (None, ""):
        return None
    if not isinstance(raw, str) or raw not in PRODUCT_CATEGORIES:
        fields[name] = _("Choose a product category: %(codes)s.", codes=", ".join(PRODUCT_CATEGORIES))
        return None
    return raw


def _parse_listing(item, fields: dict) -> ListingItem | None:
    """A listing as text ("URL or ID", optionally " | " and its title) or as {locator, title, product_category}."""
    if isinstance(item, str):
        locator, _sep, title = item.partition(" | ")
        item = {"locator": locator, "title": title}
    if (
        not isinstance(item, dict)
        or not isinstance(item.get("locator"), str)
        or not isinstance(item.get("title", ""), str)
    ):
        fields["listings"] = _("Each listing must be a URL or a platform ID as text.")
        return None
    locator, title = item["locator"].strip(), item.get("title", "").strip()
    if len(locator) > 2000:
        fields["listings"] = _("A listing URL or ID is longer than 2000 characters.")
        return None
    if len(title) > 300:
        fields["listings"] = _("A listing title is longer than 300 characters.")
        return None
    category = _category(item.get("product_category"), fields, "listings")
    return ListingItem(locator, title, category) if locator else None


def _parse_listings(raw, fields: dict) -> list[ListingItem]:
    if isinstance(raw, str):
        items = raw.splitlines()
    elif isinstance(raw, list):
        items = raw
    else:
        items = []
    listings = []
    for item in items:
        parsed = _parse_listing(item, fields)
        if "listings" in fields:
            return []
        if parsed is not None:
            listings.append(parsed)
    if not listings:
        fields["listings"] = _("Name at least one listing (a URL or a platform ID).")
    elif len(listings) > MAX_LISTINGS:
        fields["listings"] = _("At most %(n)s listings per notice.", n=MAX_LISTINGS)
    return listings


def _respondent_party(raw, fields: dict, filer: Account, known: dict[str, Party] | None = None) -> Party | None:
    """The seller named in the notice: its existing party, or a new one for it to claim.

    An address that belongs to an account of another kind (an administrator, a court, a mediator, a right
    holder) is treated like an address without an account: the answer never tells the filer which addresses
    belong to whom (issue 20 item 8). Only the filer's own organisation is refused, which it knows already."""
    if not isinstance(raw, dict):
        fields["respondent"] = _("Name the seller: e-mail, name, country and language.")
        return None
    email = clean_text(raw.get("email"), fields, "respondent.email", max_length=254).lower()
    if email and not EMAIL_RE.match(email):
        fields["respondent.email"] = _("Enter a valid e-mail address.")
    if "respondent.email" in fields:
        return None
    if known is not None and email in known:
        return known[email]
    party = _named_party(raw, email, fields, filer)
    if known is not None and party is not None:
        known[email] = party
    return party


def _named_party(raw: dict, email: str, fields: dict, filer: Account) -> Party | None:
    existing = find_account_by_email(email)
    if existing is not None and existing.party_id is not None and existing.party_id == filer.party_id:
        fields["respondent.email"] = _("You cannot file a notice against your own organisation.")
        return None
    if existing is not None and existing.role in {Role.SELLER, Role.REPRESENTATIVE} and existing.party is not None:
        return existing.party
    party = db.session.scalar(select(Party).where(Party.contact_email == email))
    if party is not None:
        return party
    name = clean_text(raw.get("name"), fields, "respondent.name", max_length=200)
    country = check_country(raw.get("country"), fields, "respondent.country")
    language = check_language(raw.get("language"), fields, "respondent.language")
    if any(k.startswith("respondent.") for k in fields):
        return None
    return Party(
        name=name,
        country=country,
        preferred_language=language,
        time_zone="UTC",
        contact_email=email,
        invitation_sha256="",
    )


@dataclass
class NoticeDraft:
    """A notice that passed every check: what opening its case needs (nothing of it is written yet)."""

    jurisdiction: jurisdictions.Jurisdiction
    right_type: RightType
    title: str
    statement: str
    remedy: str
    found: object  # the language check (odr.language)
    listings: list[ListingItem]
    category: str
    respondent: Party
    choice: object  # odr.procedure.choice's choice of procedure
    elements: dict
    territorial: dict
    documents: dict  # the files the law asks for as elements, by element name, to store with the notice


def check_notice(
    account: Account,
    data: dict,
    at: datetime,
    uploads: list[Upload] = (),  # type: ignore[assignment]
    *,
    element_files: dict[str, Upload] | None = None,
    known: dict[str, Party] | None = None,
) -> NoticeDraft:
    """Every check of a notice, writing nothing: its draft, or ValidationFailed naming each field.

    ``known``: sellers already named in this submission, by e-mail, so that a batch names each new one once."""
    fields: dict[str, str] = {}
    jurisdiction = jurisdictions.get(data.get("jurisdiction") if isinstance(data.get("jurisdiction"), str) else "")
    if jurisdiction is None:
        fields["jurisdiction"] = _(
            "Unknown jurisdiction. Choose one of: %(codes)s.",
            codes=", ".join(sorted(jurisdictions.all_jurisdictions())),
        )
    try:
        right_type = RightType(data.get("right_type"))
    except ValueError:
        right_type = None
        fields["right_type"] = _("Choose trademark, copyright, patent or design.")
    title = clean_text(data.get("title"), fields, "title", max_length=300)
    statement = clean_text(data.get("text"), fields, "text")
    remedy = clean_text(data.get("remedy_sought"), fields, "remedy_sought", required=False, max_length=5000)
    # Declared or detected; a declared language the text contradicts is questioned.
    found = filing_language(
        data.get("language"), statement, fields, confirmed=data.get("language_confirmed"), name_of=locale_name
    )
    listings = _parse_listings(data.get("listings"), fields)
    category = _category(data.get("product_category"), fields, "product_category") or "general"
    respondent = _respondent_party(data.get("respondent"), fields, account, known)
    if respondent is not None and respondent.id is not None and respondent.id == account.party_id:
        fields["respondent.email"] = _("You cannot file a notice against your own organisation.")
    _check_upload_count(list(uploads), fields)
    market = check_market(data.get("target_market"), fields)
    choice, elements, documents, territorial = None, {}, {}, {}  # type: ignore[var-annotated]
    if jurisdiction is not None and right_type is not None and "target_market" not in fields:
        # The law that governs the notice decides what it must contain; a defective one opens no case.
        choice = choose_procedure(jurisdiction, right_type.value, market, at)
        elements = check_elements(
            choice.jurisdiction,
            right_type.value,
            data.get("elements"),
            fields,
            files=element_files or {},
            documents=documents,
            listings=[item.locator for item in listings],
            on=at.astimezone(ZoneInfo(choice.jurisdiction.time_zone)).date(),
        )
        # Where the right is held and the proportionate measure asked for, as that procedure allows.
        territorial = check_notice_measure(choice.procedure, choice.jurisdiction, market, data, fields)
    if fields:
        raise ValidationFailed(
            _("The notice is incomplete. Please correct the marked fields."),
            fields,
            details=_language_details(found, fields),
        )
    return NoticeDraft(
        jurisdiction, right_type, title, statement, remedy, found, listings, category, respondent, choice,
        elements, territorial, documents,
    )  # fmt: skip


def check_other_listings(draft: NoticeDraft, data: dict, at: datetime) -> NoticeDraft:
    """The draft of a notice that says what ``draft`` says with other listings: only its listings are checked
    (as a notice's listings, and against what its law asks of them)."""
    fields: dict[str, str] = {}
    listings = _parse_listings(data.get("listings"), fields)
    jurisdiction = draft.choice.jurisdiction  # type: ignore[attr-defined]
    if not fields:
        scratch: dict[str, str] = {}  # only the listings matter: the other elements were checked with the draft
        check_elements(
            jurisdiction,
            draft.right_type.value,
            {},
            scratch,
            listings=[item.locator for item in listings],
            on=at.astimezone(ZoneInfo(jurisdiction.time_zone)).date(),
            only_listings=True,
        )
        if "listings" in scratch:
            fields["listings"] = scratch["listings"]
    if fields:
        raise ValidationFailed(_("The notice is incomplete. Please correct the marked fields."), fields)
    return replace(draft, listings=listings)


def refuse_notice(account: Account, data: dict, refusal: ValidationFailed, at: datetime) -> None:
    """Count a refused notice in the filer's record (odr/conduct), in the open transaction; a notice held back
    only to confirm its language is not a refusal."""
    if set(refusal.fields) - LANGUAGE_QUESTIONS:
        code = data.get("jurisdiction") if isinstance(data.get("jurisdiction"), str) else ""
        known = jurisdictions.get(code or "")
        notice_refused.publish(account, jurisdiction=known.code if known else "", fields=sorted(refusal.fields), at=at)


def _notice_terms(account: Account, draft: NoticeDraft) -> dict | None:
    """The notice's elements and territorial measure, and, where the notice states the identity the platform
    verified in the filer's rights profile, the date of that verification as it stood at filing (on every
    path: the guided notice, the one-page form, the API, a batch or a spreadsheet)."""
    terms = {"elements": draft.elements} | draft.territorial if draft.elements or draft.territorial else {}
    verified = verification.verified_on(account, draft.elements or {})
    if verified:
        terms["identity_verified_on"] = verified
    return terms or None


def open_case(account: Account, draft: NoticeDraft, at: datetime) -> tuple[Case, Filing]:
    """Write the case a checked notice opens, with its listings, its notice and the seller's invitation
    (not committed; the caller starts the initial state's timers and commits)."""
    procedure = draft.choice.procedure  # type: ignore[attr-defined]
    respondent = draft.respondent
    case = Case(
        jurisdiction=draft.jurisdiction.code,
        right_type=draft.right_type,
        title=draft.title,
        remedy_sought=draft.remedy,
        product_category=draft.category,
        state=procedure.initial,
        state_entered_at=at,
        procedure_code=procedure.code,
        procedure_version=procedure.version,
        claimant=account.party,
        respondent=respondent,
        filed_by_id=account.id,
        created_at=at,
        filings=[],  # a new case has none yet: its notice joins them below, and they are never read back
    )
    listings = [
        {"locator": item.locator, "title": item.title, "product_category": item.product_category or draft.category}
        for item in draft.listings
    ]
    if len(listings) == 1:
        case.listings = [Listing(**listings[0])]
    db.session.add(case)
    # Kept with the case before its first flush: a case not yet written has no earlier choice to look up.
    record_choice(case, draft.choice)
    if len(listings) > 1:
        # A case of many listings (a batch's group: up to 500) writes them in one statement, not one each;
        # ``case.listings`` reads them back in order when next used.
        db.session.execute(insert(Listing), [dict(row, case_id=case.id) for row in listings])
    events.new_chain(case)
    notice = record_filing(
        case,
        FilingKind.NOTICE,
        author=account,
        role=CaseRole.CLAIMANT,
        language=draft.found.language,  # type: ignore[attr-defined]
        text=draft.statement,
        at=at,
        terms=_notice_terms(account, draft),
        language_check=draft.found,
        event_details={
            "jurisdiction": case.jurisdiction,
            "listings": len(draft.listings),
            "procedure": f"{procedure.code} {procedure.version}",
        },
    )
    if respondent.invitation_sha256 == "":
        code = secrets.token_urlsafe(16)
        respondent.invitation_sha256 = hashlib.sha256(code.encode()).hexdigest()
        respondent_invited.publish(case, party=respondent, invitation_code=code, claimant_name=account.party.name)
    return case, notice


def file_notice(
    account: Account,
    data: dict,
    uploads: list[Upload] = (),
    *,
    element_files: dict[str, Upload] | None = None,
    key: str | None = None,
    remote_addr: str = "",
    at: datetime | None = None,
    settle: Callable[[Case | ValidationFailed], None] | None = None,
    keep: bool = False,
) -> Outcome:
    """A right holder's notice opens a case under the procedure of its jurisdiction.

    ``element_files``: the files the law asks for as elements of the notice (the right certificate...), by
    element name; a JSON client may send them inline in ``elements`` instead. ``settle``: writes what must commit
    with the notice's outcome (an asynchronous receipt, odr/cases/received.py), called with the new case, or
    with the refusal, in the transaction that commits it; what it raises commits nothing. ``keep``: the caller
    answers from the new case as written and its session ends with the request, so the commit does not expire what
    it wrote (``Submission.commit``)."""
    uploads = list(uploads)
    element_files = dict(element_files or {})
    check_notifier(account)
    at = at or utcnow()
    notice_screening.publish(account, at=at)
    sub = submission(account, key, data, uploads + [element_files[name] for name in sorted(element_files)])
    replay = sub.replayed(Case)
    if replay is not None:
        return Outcome(replay, False)
    try:
        draft = check_notice(account, data, at, uploads, element_files=element_files)
    except ValidationFailed as refusal:
        # The refusal itself is counted in the filer's record (odr/conduct); the notice is not kept.
        db.session.rollback()
        refuse_notice(account, data, refusal, at)
        if settle is not None:
            settle(refusal)
        commit()
        raise
    stored: list[storage.StoredFile] = []
    try:
        # The files first: the case's first write takes the database's write lock until the commit.
        keep_ahead(uploads, stored)
        for name, document in draft.documents.items():
            keep_ahead([document], stored, element=name)
        case, notice = open_case(account, draft, at)
        store_evidence(case, notice, account, uploads, remote_addr, stored)
        store_documents(case, notice, account, draft, remote_addr, stored)
        # The initial state's timers start now.
        enter_state(case, case.state, at, actor=account, role=CaseRole.CLAIMANT, cause="notice")
        if settle is not None:
            settle(case)
        return sub.commit(case, on_lost_race=lambda: discard(stored), keep=keep)
    except BaseException:
        db.session.rollback()
        discard(stored)
        raise


def store_documents(
    case: Case, notice: Filing, account: Account, draft: NoticeDraft, remote_addr: str, stored: list
) -> None:
    """Store the notice's element files (a batch's group stores the same ones for each case it opens)."""
    for name, document in draft.documents.items():
        store_evidence(case, notice, account, [document], remote_addr, stored, element=name)


def check_notifier(account: Account) -> None:
    if account.role not in NOTICE_ROLES or account.party_id is None:
        raise Forbidden(_("Only right holders, their representatives and platform clients can file notices."))


# -- filings in a running case ------------------------------------------------------------------

FILER_ROLES = {CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR, CaseRole.COURT}


def _filled(raw) -> bool:
    """Whether a part of a filing (terms, elements) carries anything: a value that is not empty."""
    if isinstance(raw, dict):
        return any(value not in (None, "", False) for value in raw.values())
    return raw not in (None, "", False, [], {})


def parse_regions(raw, measure, fields: dict, name: str) -> list[str]:
    """The regions of a restriction by region (``geo_restrict``): two-letter country codes, as a list or separated
    by commas. Required with that measure, which the platform cannot apply without them; refused with any other,
    never dropped silently."""
    items = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
    named = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    if raw not in (None, "", []) and not named:
        named = [""]  # something that is no list of codes: refused below
    if measure != "geo_restrict":
        if named:
            fields[name] = _("Regions belong to a restriction by region: choose that, or empty the regions.")
        return []
    if not named:
        fields[name] = _("Name the regions where the listings may not be bought (two-letter country codes).")
        return []
    return sorted({check_country(code, fields, name) for code in named})


def parse_terms(kind: FilingKind, raw, fields: dict) -> dict | None:
    if kind not in {FilingKind.OFFER, FilingKind.SETTLEMENT}:
        if _filled(raw):
            # Never dropped silently: the filer chose the wrong kind, or typed into the wrong box.
            fields["terms"] = _(
                "Terms (amount, listing, licence) belong to an offer or a settlement proposal: choose one of "
                "those kinds, or empty the terms."
            )
        return None
    raw = raw if isinstance(raw, dict) else {}
    terms: dict = {}
    if raw.get("amount") not in (None, ""):
        try:
            amount = Decimal(str(raw["amount"]))
            if not amount.is_finite() or amount < 0 or amount > Decimal("1e12"):
                raise InvalidOperation
            terms["amount"] = str(amount.quantize(Decimal("0.01")))
        except InvalidOperation:
            fields["terms.amount"] = _("Enter an amount such as 1500 or 1500.50.")
        currency = str(raw.get("currency") or "").upper()
        if not CURRENCY_RE.match(currency):
            fields["terms.currency"] = _("Enter a three-letter currency code such as EUR.")
        terms["currency"] = currency
    measure = raw.get("listing_measure")
    if measure not in (None, ""):
        if measure not in LISTING_MEASURES:
            fields["terms.listing_measure"] = _("Choose keep, remove, modify or geo_restrict.")
        terms["listing_measure"] = measure
    regions = parse_regions(raw.get("regions"), measure, fields, "terms.regions")
    if regions:
        terms["regions"] = regions
    licence = clean_text(raw.get("licence"), fields, "terms.licence", required=False, max_length=5000)
    if licence:
        terms["licence"] = licence
    return terms


def check_filing_room(case: Case) -> None:
    """A case takes at most ``MAX_FILINGS_PER_CASE`` filings: past that, each party could no longer read its
    own case in time (and one party could drown the other's)."""
    cap = int(current_app.config["ODR"]["MAX_FILINGS_PER_CASE"])
    count = db.session.scalar(select(func.count()).select_from(Filing).where(Filing.case_id == case.id)) or 0
    if count >= cap:
        raise NotAllowed(
            _(
                "This case has reached its limit of %(cap)s filings. Ask the mediator or the platform to "
                "continue it, or file a new case.",
                cap=cap,
            ),
            code="too_many_filings",
        )


def add_filing(
    account: Account,
    case_id: int,
    data: dict,
    uploads: list[Upload] = (),
    *,
    key: str | None = None,
    remote_addr: str = "",
    at: datetime | None = None,
    confirmed: bool = True,
) -> Outcome:
    """File a response, counter-notice, message, offer, settlement proposal or decision in a case.

    A counter-notice not ``confirmed`` (the web form's first submission) is checked, then ``ConfirmFirst``."""
    uploads = list(uploads)
    case = get_case(account, case_id, for_update=True)
    sub = submission(account, key, {"case": case_id, **data}, uploads)
    replay = sub.replayed(Filing)
    if replay is not None:
        return Outcome(replay, False)

    roles = case_roles(account, case) & FILER_ROLES
    check_filing_room(case)
    at = at or utcnow()
    fields: dict[str, str] = {}
    try:
        kind = FilingKind(data.get("kind"))
        if kind == FilingKind.NOTICE:
            raise ValueError
    except ValueError:
        raise ValidationFailed(_("Unknown kind of filing."), {"kind": _("Choose a kind of filing.")}) from None
    if kind == FilingKind.DECISION:
        # Only odr.export.court.decide records decisions: with the signed document, carried out at once.
        raise NotAllowed(
            _("The court enters its decision with the decision form and the signed document."), code="use_decision_form"
        )
    if kind == FilingKind.REPORT:
        # Only odr.cases.reports records reports: with the authority or court, its case number and its document.
        raise NotAllowed(
            _("A complaint or lawsuit is reported with the report form and its document."), code="use_report_form"
        )
    procedure = procedure_of(case)
    transition = procedure.transition_for_filing(case.state, kind.value, case_day(case, at))
    if transition is not None:
        acting = transition.roles & roles
    elif kind.value in procedure.filings_allowed(case.state):
        acting = roles
    else:
        raise NotAllowed(
            _(
                "A %(kind)s cannot be filed while the case is in the state “%(state)s”.",
                kind=kind.label,
                state=_state_label(case),
            ),
            code="wrong_state",
        )
    if not acting:
        raise NotAllowed(_("Your role in this case does not allow this filing."), code="wrong_role")
    role = sorted(acting)[0]
    text = clean_text(data.get("text"), fields, "text")
    found = filing_language(
        data.get("language"), text, fields, confirmed=data.get("language_confirmed"), name_of=locale_name
    )
    terms = parse_terms(kind, data.get("terms"), fields)
    if kind != FilingKind.COUNTER_NOTICE and _filled(data.get("elements")):
        fields["elements"] = _(
            "The elements of a counter-notice belong to a counter-notice: choose that kind, or leave them empty."
        )
    if kind == FilingKind.COUNTER_NOTICE:
        # What the governing law asks of a counter-notice (jurisdictions/*.yaml), kept with it.
        elements = check_counter_notice(case, data.get("elements"), fields)
        terms = {"elements": elements} if elements else None
    caucus_party_id = _caucus_party(case, data.get("caucus"), kind, role, uploads, fields)
    _check_upload_count(uploads, fields)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields, details=_language_details(found, fields))
    if kind == FilingKind.COUNTER_NOTICE and not confirmed:
        db.session.rollback()  # nothing recorded; the row lock ends
        raise ConfirmFirst(transition.name if transition else None)

    filing = record_filing(
        case,
        kind,
        author=account,
        role=role,
        language=found.language,
        text=text,
        at=at,
        terms=terms,
        caucus_party_id=caucus_party_id,
        language_check=found,
    )
    if kind == FilingKind.SETTLEMENT:
        void_superseded_acceptances(case, filing, account, role, at)
    stored: list[storage.StoredFile] = []
    try:
        store_evidence(case, filing, account, uploads, remote_addr, stored)
        if transition is not None:
            take_transition(case, transition.name, account, {role}, at, by_filing=True)
        return sub.commit(filing, on_lost_race=lambda: discard(stored))
    except BaseException:
        db.session.rollback()
        discard(stored)
        raise


def _language_details(found, fields: dict) -> dict | None:
    """Both codes for an API client, when the declared language is what is questioned."""
    mismatch = found.mismatch()
    return {"language": mismatch} if mismatch and "language_confirmed" in fields else None


def _caucus_party(case: Case, raw, kind: FilingKind, role: str, uploads: list[Upload], fields: dict) -> int | None:
    """The one party a private caucus message is exchanged with, or None for an ordinary filing.

    A party's caucus message goes to the mediator only; the mediator names the party (claimant or respondent).
    """
    if raw in (None, "", False, "0", "false"):
        return None
    if kind != FilingKind.MESSAGE:
        fields["caucus"] = _("Only messages can be private caucus messages.")
        return None
    if case.mediator_id is None:
        fields["caucus"] = _("A private caucus needs a mediator who has accepted the case.")
        return None
    if uploads:
        fields["evidence"] = _("A caucus message cannot carry files; send files as ordinary evidence.")
    parties = {CaseRole.CLAIMANT: case.claimant_party_id, CaseRole.RESPONDENT: case.respondent_party_id}
    if role == CaseRole.MEDIATOR:
        if raw not in parties:
            fields["caucus"] = _("Choose the party this caucus message is for: claimant or respondent.")
            return None
        return parties[raw]
    if role in parties:
        return parties[role]
    fields["caucus"] = _("Only the mediator and the parties hold caucuses.")
    return None


def _state_label(case: Case) -> str:
    return state_label(case.state)


# -- settlement ---------------------------------------------------------------------------------


def void_superseded_acceptances(case: Case, proposal: Filing, account: Account, role: str, at: datetime) -> None:
    """A new settlement text replaces the last one: acceptances of the old text no longer count."""
    previous = [f for f in case.filings if f.kind == FilingKind.SETTLEMENT and f.id != proposal.id]
    if previous and previous[-1].acceptances:
        events.record(
            case,
            EventKind.SETTLEMENT_ACCEPTANCES_VOIDED,
            at,
            actor=account,
            role=role,
            payload={
                "filing_id": previous[-1].id,
                "replaced_by": proposal.id,
                "acceptances": len(previous[-1].acceptances),
            },
        )


# Built once: every case page and case document reads it.
_CURRENT_SETTLEMENT = (
    select(Filing)
    .where(Filing.case_id == bindparam("case_id"), Filing.kind == FilingKind.SETTLEMENT)
    .order_by(Filing.id.desc())
    .limit(1)
)


def current_settlement(case: Case) -> Filing | None:
    """The case's latest settlement proposal: from its filings when they are loaded, else the one row (a page that
    shows a window of a case's filings does not load them all for this)."""
    if "filings" not in sa_inspect(case).unloaded:
        proposals = [f for f in case.filings if f.kind == FilingKind.SETTLEMENT]
        return proposals[-1] if proposals else None
    return db.session.scalar(_CURRENT_SETTLEMENT, {"case_id": case.id})


def settlement_transition(case: Case, at: datetime):
    """The step that settles the case once both parties accept, if the case's stage allows settling now."""
    return next(
        (
            t
            for t in procedure_of(case).transitions_from(case.state, case_day(case, at))
            if t.when == "settlement_accepted_by_both"
        ),
        None,
    )


def check_may_accept(account: Account, case: Case, proposal: Filing, roles: set[str], at: datetime) -> None:
    """Raises NotAllowed unless the account, in these case roles, may accept this (current) proposal now."""
    if not roles & {CaseRole.CLAIMANT, CaseRole.RESPONDENT}:
        raise NotAllowed(_("Only the parties can accept a settlement."), code="wrong_role")
    if settlement_transition(case, at) is None:
        raise NotAllowed(
            _("A settlement cannot be accepted while the case is in the state “%(state)s”.", state=_state_label(case)),
            code="wrong_state",
        )
    if any(a.party_id == account.party_id for a in proposal.acceptances):
        raise NotAllowed(_("Your side has already accepted this settlement."), code="already_accepted")


def is_agreement(filing: Filing) -> bool:
    """A settlement agreement (language versions, clauses): concluded only by each party's signature."""
    return isinstance(filing.terms, dict) and "versions" in filing.terms


def check_may_accept_offer(account: Account, case: Case, offer: Filing, roles: set[str]) -> None:
    """Raises NotAllowed unless the account, in these case roles, may accept this offer: it is a party's open
    offer, made to the reader's side, while the case's stage admits a settlement agreement."""
    parties = {CaseRole.CLAIMANT, CaseRole.RESPONDENT}
    if offer.kind != FilingKind.OFFER or offer.caucus_party_id is not None or offer.author_case_role not in parties:
        raise NotAllowed(_("Only a party's offer can be accepted."), code="not_an_offer")
    if not roles & parties or offer.author_case_role in roles:
        raise NotAllowed(_("Only the party an offer was made to can accept it."), code="wrong_role")
    if FilingKind.SETTLEMENT.value not in procedure_of(case).filings_allowed(case.state):
        raise NotAllowed(_("A settlement agreement cannot be proposed at this stage of the case."), code="wrong_state")


def accept_settlement(
    account: Account,
    case_id: int,
    filing_id: int,
    digest: str | None = None,
    at: datetime | None = None,
    signature: dict[str, str] | None = None,
) -> SettlementAcceptance:
    """A party accepts the latest settlement proposal; once both have, the case settles.

    An agreement is accepted only by a signature (``odr.mediation.signing.sign_agreement``, which checks the
    signer's password or code and passes ``signature``: the typed name, capacity and place)."""
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & {CaseRole.CLAIMANT, CaseRole.RESPONDENT}
    if not roles:
        raise NotAllowed(_("Only the parties can accept a settlement."), code="wrong_role")
    proposal = current_settlement(case)
    if proposal is None or proposal.id != filing_id:
        raise NotAllowed(_("This is not the current settlement proposal; a newer one replaces it."), code="superseded")
    at = at or utcnow()
    settle = settlement_transition(case, at)
    expected = text_sha256(proposal)
    if settle is not None and digest and digest != expected:
        raise NotAllowed(_("The settlement text changed since you read it. Please read it again."), code="text_changed")
    check_may_accept(account, case, proposal, roles, at)
    if signature is None and is_agreement(proposal):
        raise NotAllowed(
            _("An agreement is accepted by signing it on its signature page, with your password or code."),
            code="signature_required",
        )
    party_id = account.party_id
    acceptance = SettlementAcceptance(
        party_id=party_id, account_id=account.id, text_sha256=expected, accepted_at=at, **(signature or {})
    )
    proposal.acceptances.append(acceptance)
    role = sorted(roles)[0]
    events.record(
        case,
        EventKind.SETTLEMENT_ACCEPTED,
        at,
        actor=account,
        role=role,
        payload={"filing_id": proposal.id, "text_sha256": expected, **(signature or {})},
    )
    db.session.flush()
    accepted_by = {a.party_id for a in proposal.acceptances}
    if {case.claimant_party_id, case.respondent_party_id} <= accepted_by:
        take_transition(case, settle.name, None, {CaseRole.SYSTEM}, at)
        settlement_reached.publish(case, proposal=proposal, at=at)
    try:
        commit()
    except IntegrityError:
        db.session.rollback()
        raise NotAllowed(_("Your side has already accepted this settlement."), code="already_accepted") from None
    return acceptance


# -- actions that are not filings ---------------------------------------------------------------


def take_action(account: Account, case_id: int, action: str, at: datetime | None = None) -> Case:
    """Request a transition such as asking for a mediator, withdrawing or escalating."""
    case = get_case(account, case_id, for_update=True)
    try:
        take_transition(case, action, account, case_roles(account, case), at or utcnow())
        commit()
    except BaseException:
        db.session.rollback()
        raise
    return case


def evidence_file(account: Account, case_id: int, evidence_id: int) -> EvidenceFile:
    """An evidence file of a case the account may see (its bytes: ``storage.blob_store()``, area
    ``evidence``)."""
    case = get_case(account, case_id)
    item = db.session.scalar(
        select(EvidenceFile).where(EvidenceFile.id == evidence_id, EvidenceFile.case_id == case.id)
    )
    if item is None:
        raise NotFound(_("This file does not exist, or you may not see it."))
    return item
