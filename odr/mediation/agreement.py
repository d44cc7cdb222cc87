"""Settlement agreements in both parties' languages, as HTML and PDF, signed by recorded acceptance.

An agreement is a settlement filing: its ``text`` is the authoritative version and its
``terms`` carry every language version, the money and licence terms and the measures.
The SHA-256 a party accepts (``odr.cases.services.text_sha256``) covers all of it, so
any change to any version is a new filing, and the acceptances of the old one no longer
count. Each acceptance is a signature act: who, when, and the digest of the exact text.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from odr.accounts.models import Account
from odr.cases.access import case_roles, get_case
from odr.cases.filings import record_filing, text_sha256
from odr.cases.models import Case, Event, Filing, FilingKind, SettlementAcceptance
from odr.cases.services import current_settlement, parse_terms, void_superseded_acceptances
from odr.config import UI_LOCALES
from odr.domain_events import commit
from odr.errors import NotAllowed, NotFound, ServiceError, ValidationFailed
from odr.evidence.storage import blob_store
from odr.extensions import db
from odr.extensions import gettext as _
from odr.i18n import isolate, locale_name
from odr.mediation.measures import measure_title, parse_measures
from odr.models_base import utcnow
from odr.procedure.services import procedure_of
from odr.procedure.titles import listing_measure_label
from odr.validation import check_language, clean_text
from odr.vocabulary import CaseRole, EventKind

RTL_LANGUAGES = {"ar", "he", "fa", "ur"}


def party_languages(case: Case) -> list[str]:
    """The languages the agreement must be in: the claimant's, then the respondent's if different."""
    langs = [case.claimant.preferred_language]
    if case.respondent.preferred_language not in langs:
        langs.append(case.respondent.preferred_language)
    return langs


def draft_agreement(account: Account, case_id: int, data: dict, at: datetime | None = None) -> Filing:
    """Propose the agreement text in every party's language; it replaces any earlier proposal."""
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & {CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR}
    if not roles:
        raise NotAllowed(_("Only the parties and the mediator can propose a settlement agreement."), code="wrong_role")
    if FilingKind.SETTLEMENT.value not in procedure_of(case).filings_allowed(case.state):
        raise NotAllowed(_("A settlement agreement cannot be proposed at this stage of the case."), code="wrong_state")
    fields: dict[str, str] = {}
    needed = party_languages(case)
    raw_texts = data.get("texts") if isinstance(data.get("texts"), dict) else {}
    texts = {}
    for lang in needed:
        texts[lang] = clean_text(raw_texts.get(lang), fields, f"texts.{lang}", max_length=20000)
    authoritative = check_language(data.get("authoritative_language"), fields, "authoritative_language")
    if "authoritative_language" not in fields and authoritative not in needed:
        fields["authoritative_language"] = _(
            "The authoritative text must be one of the parties' languages: %(languages)s.", languages=", ".join(needed)
        )
    terms = parse_terms(FilingKind.SETTLEMENT, data.get("terms"), fields) or {}
    measures = parse_measures(data.get("measures"), case, fields)
    if fields:
        raise ValidationFailed(_("The agreement is incomplete. Please correct the marked fields."), fields)
    at = at or utcnow()
    role = sorted(roles)[0]
    terms.update({"authoritative_language": authoritative, "versions": texts, "measures": measures})
    filing = record_filing(
        case,
        FilingKind.SETTLEMENT,
        author=account,
        role=role,
        language=authoritative,
        text=texts[authoritative],
        at=at,
        terms=terms,
        event_details={"agreement": True},
    )
    void_superseded_acceptances(case, filing, account, role, at)
    commit()
    return filing


def approvals(case: Case, filing: Filing) -> set[str]:
    """The machine-translated versions of this agreement a party or the mediator has approved."""
    found = db.session.scalars(
        select(Event).where(Event.case_id == case.id, Event.kind == EventKind.AGREEMENT_VERSION_APPROVED.value)
    )
    return {str(e.payload["language"]) for e in found if e.payload.get("filing_id") == filing.id}


def awaiting_approval(case: Case, filing: Filing) -> list[str]:
    """The versions still as the machine translated them: nobody signs until a person has approved them."""
    marked = (filing.terms or {}).get("machine_translated") or []
    done = approvals(case, filing) if marked else set()
    return [lang for lang in marked if lang not in done]


def ui_locale(language: str) -> str:
    return next((loc for loc in UI_LOCALES if loc.split("_")[0] == language), "en")


def _version(case: Case, filing: Filing, language: str, text: str, waiting: list[str]) -> dict:
    """One language version: its clauses rendered in that language, so each party reads its own."""
    terms = filing.terms or {}
    authoritative = terms.get("authoritative_language", filing.language)
    licence = (terms.get("licences") or {}).get(language) or terms.get("licence")
    machine = language in (terms.get("machine_translated") or [])
    with force_locale(ui_locale(language)):
        clauses = []
        if terms.get("amount"):
            clauses.append(
                _(
                    "The seller pays the right holder %(amount)s %(currency)s.",
                    amount=terms["amount"],
                    currency=terms.get("currency", ""),
                )
            )
        if licence:
            clauses.append(_("Licence: %(licence)s", licence=isolate(licence)))
        if terms.get("listing_measure") and not terms.get("measures"):
            listings = ", ".join(isolate(listing.locator) for listing in case.listings)
            regions = ", ".join(terms.get("regions") or [])
            clauses.append(
                _(
                    "Listings %(listings)s: %(measure)s",
                    listings=listings,
                    measure=listing_measure_label(terms["listing_measure"]),
                )
                + (f" ({regions})" if regions else "")
            )
        for m in terms.get("measures", []):
            extra = (
                m.get("element")
                or m.get("instructions")
                or ", ".join(m.get("regions", []))
                or (f"{m['security_amount']} {m['currency']}" if m.get("security_amount") else "")
            )
            clauses.append(
                _("Listing %(listing)s: %(measure)s", listing=isolate(m["listing"]), measure=measure_title(m["kind"]))
                + (f" ({extra})" if extra else "")
            )
        return {
            "language": language,
            "dir": "rtl" if language in RTL_LANGUAGES else "ltr",
            "authoritative": language == authoritative,
            "text": text,
            "clauses": clauses,
            "machine_translated": machine,
            "awaiting_approval": language in waiting,
            "translation_line": (
                (
                    _("Machine translation, not yet approved by a party or the mediator.")
                    if language in waiting
                    else _("Machine translation, approved by a party or the mediator.")
                )
                if machine
                else ""
            ),
            "heading": _("Settlement agreement"),
            "between": _(
                "Between %(claimant)s (right holder) and %(respondent)s (seller), case %(reference)s.",
                claimant=isolate(case.claimant.name),
                respondent=isolate(case.respondent.name),
                reference=case.reference,
            ),
            "status_line": (
                _("This is the authoritative text.")
                if language == authoritative
                else _(
                    "This is a translation; the %(language)s text is authoritative.",
                    language=locale_name(authoritative),
                )
            ),
        }


def agreement_context(case: Case) -> dict:
    """Everything the agreement pages, the PDF and the API show: versions, digest, signature acts."""
    filing = current_settlement(case)
    if filing is None:
        raise NotFound(_("No settlement agreement has been proposed in this case."))
    terms = filing.terms or {}
    versions = terms.get("versions") or {filing.language: filing.text}
    earlier = [f for f in case.filings if f.kind == FilingKind.SETTLEMENT and f.id != filing.id]
    voided = [a for f in earlier for a in f.acceptances]
    waiting = awaiting_approval(case, filing)
    return {
        "awaiting_approval": waiting,
        "case": case,
        "filing": filing,
        "text_sha256": text_sha256(filing),
        "versions": [_version(case, filing, lang, text, waiting) for lang, text in versions.items()],
        "concluded": {case.claimant_party_id, case.respondent_party_id} <= {a.party_id for a in filing.acceptances},
        "acceptances": [_signature(a) for a in filing.acceptances],
        "voided": [_signature(a) for a in voided],
    }


def _signature(acceptance: SettlementAcceptance) -> dict:
    account = db.session.get(Account, acceptance.account_id)
    return {
        "filing_id": acceptance.filing_id,
        "party_id": acceptance.party_id,
        "signed_by": account.display_name if account else "",
        "account_id": acceptance.account_id,
        "accepted_at": acceptance.accepted_at.isoformat(),
        "text_sha256": acceptance.text_sha256,
        "signed_name": acceptance.signed_name,
        "capacity": acceptance.capacity,
        "place": acceptance.place,
    }


def agreement_for(account: Account, case_id: int) -> dict:
    return agreement_context(get_case(account, case_id))


VERSION_FIELDS = ("language", "authoritative", "text", "clauses", "machine_translated", "awaiting_approval")


def agreement_json(context: dict) -> dict:
    filing = context["filing"]
    return {
        "filing_id": filing.id,
        "text_sha256": context["text_sha256"],
        "authoritative_language": (filing.terms or {}).get("authoritative_language", filing.language),
        "versions": [{k: v[k] for k in VERSION_FIELDS} for v in context["versions"]],
        "awaiting_approval": context["awaiting_approval"],
        "concluded": context["concluded"],
        "terms": {k: v for k, v in (filing.terms or {}).items() if k != "versions"},
        "acceptances": context["acceptances"],
        "voided_acceptances": context["voided"],
    }


def agreement_html(context: dict) -> str:
    return render_template("mediation/agreement_document.html", **context)


def agreement_pdf(context: dict) -> bytes:
    """The agreement as PDF, rendered once per text and stored (area ``agreements``, named by the SHA-256 of
    the HTML it is made from): rendering takes seconds of CPU, so every later download reads the stored file.
    A new version, an acceptance or another reader's language makes another HTML, so another PDF."""
    html = agreement_html(context)
    name = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]
    blobs = blob_store()
    try:
        with blobs.open("agreements", name) as stored:
            return stored.read()
    except FileNotFoundError:
        pass
    pdf = render_pdf(html)
    staged = blobs.staging_dir("agreements") / f".pdf-{name}"
    staged.write_bytes(pdf)
    blobs.put("agreements", name, staged)
    return pdf


def render_pdf(html: str) -> bytes:
    """HTML to PDF (WeasyPrint: Pango shapes Arabic and CJK with the Noto fonts)."""
    try:
        from weasyprint import HTML  # heavy import, only when a PDF is asked for
    except OSError:
        # WeasyPrint loads Pango when imported; a server without it can still show the HTML agreement.
        raise PdfUnavailable(
            _(
                "PDF agreements need the Pango library on the server; the HTML version is "
                "available. Ask the operator to install libpango (Debian: libpango-1.0-0)."
            ),
            code="pdf_unavailable",
        ) from None
    return HTML(string=html).write_pdf()


class PdfUnavailable(ServiceError):
    status = 503


def pdf_name(context: dict) -> str:
    return f"{context['case'].reference}-agreement-{context['text_sha256'][:12]}.pdf"
