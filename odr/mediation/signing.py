"""Negotiation that ends in a signature: an accepted offer becomes a draft agreement in both parties' languages,
a machine-translated version waits for a person's approval, and each party signs at its own time.

A signature is a settlement acceptance with its signature page (the full name typed, the capacity signed in,
the place; the date is the instant) and the digest of the exact text signed, given only with the signer's
password, or the code of its authenticator when the account has two-step sign-in. The agreement is concluded
when both parties have signed the same text; any new text voids earlier signatures (``draft_agreement``).
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime

from werkzeug.security import check_password_hash

from odr.accounts import second_factor
from odr.accounts.models import Account
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.filings import record_filing, text_sha256
from odr.cases.models import Filing, FilingKind, SettlementAcceptance
from odr.cases.services import (
    accept_settlement,
    check_may_accept_offer,
    current_settlement,
    void_superseded_acceptances,
)
from odr.domain_events import commit
from odr.errors import NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.mediation.agreement import awaiting_approval, party_languages
from odr.models_base import utcnow
from odr.translation.services import pipeline
from odr.validation import clean_text
from odr.vocabulary import CaseRole, EventKind

log = logging.getLogger(__name__)

PARTIES = {CaseRole.CLAIMANT, CaseRole.RESPONDENT}
OFFER_TERMS = ("amount", "currency", "listing_measure", "regions", "licence")


def _machine_translate(texts: list[str], source: str, target: str) -> list[str] | None:
    """The texts in ``target`` by the installed models, or None where no model (or no working one) exists."""
    try:
        return [result.text for result in pipeline().translate(texts, source, target)]
    except Exception as exc:  # no model for the pair, or a broken package: the parties type the version
        log.info("no machine translation %s->%s for an agreement: %s", source, target, exc)
        return None


def accept_offer(account: Account, case_id: int, offer_id: int, at: datetime | None = None) -> Filing:
    """The other party accepts an offer: its terms become a draft agreement in both parties' languages.

    The offer's own language version is its text; every other version is pre-filled by machine translation
    and marked as such until a party or the mediator approves it. Accepting the same offer again returns the
    draft already made from it."""
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & PARTIES
    offer = db.session.get(Filing, offer_id)
    if offer is None or offer.case_id != case.id or offer.kind != FilingKind.OFFER:
        raise NotFound(_("This offer does not exist in this case."))
    current = current_settlement(case)
    if current is not None and (current.terms or {}).get("offer_id") == offer.id:
        return current
    check_may_accept_offer(account, case, offer, roles)
    at = at or utcnow()
    offered = offer.terms or {}
    terms: dict = {k: offered[k] for k in OFFER_TERMS if offered.get(k)}
    versions, licences, machine = {}, {}, []
    for lang in party_languages(case):
        if lang == offer.language:
            versions[lang] = offer.text
            if terms.get("licence"):
                licences[lang] = terms["licence"]
            continue
        sources = [offer.text, *([terms["licence"]] if terms.get("licence") else [])]
        translated = _machine_translate(sources, offer.language, lang)
        versions[lang] = translated[0] if translated else offer.text
        if terms.get("licence"):
            licences[lang] = translated[1] if translated else terms["licence"]
        machine.append(lang)
    authoritative = offer.language if offer.language in versions else next(iter(versions))
    terms.update(
        {
            "authoritative_language": authoritative,
            "versions": versions,
            "measures": [],
            "offer_id": offer.id,
            "machine_translated": machine,
        }
    )
    if licences:
        terms["licences"] = licences
    role = CaseRole(sorted(roles)[0])
    filing = record_filing(
        case,
        FilingKind.SETTLEMENT,
        author=account,
        role=role,
        language=authoritative,
        text=versions[authoritative],
        at=at,
        terms=terms,
        event_details={"agreement": True, "accepted_offer": offer.id},
    )
    void_superseded_acceptances(case, filing, account, role, at)
    commit()
    return filing


def approve_version(account: Account, case_id: int, language: str, at: datetime | None = None) -> None:
    """A party or the mediator approves a machine-translated version as it stands (to change it, they propose
    a new text, which voids any signature)."""
    case = get_case(account, case_id, for_update=True)
    roles = case_roles(account, case) & {CaseRole.CLAIMANT, CaseRole.RESPONDENT, CaseRole.MEDIATOR}
    if not roles:
        raise NotAllowed(
            _("Only the parties and the mediator can approve a version of the agreement."), code="wrong_role"
        )
    filing = current_settlement(case)
    if filing is None:
        raise NotFound(_("No settlement agreement has been proposed in this case."))
    if language not in awaiting_approval(case, filing):
        raise NotAllowed(_("This version awaits no approval."), code="nothing_to_approve")
    events.record(
        case,
        EventKind.AGREEMENT_VERSION_APPROVED,
        at or utcnow(),
        actor=account,
        role=CaseRole(sorted(roles)[0]),
        payload={"filing_id": filing.id, "language": language, "text_sha256": text_sha256(filing)},
    )
    commit()


def _same_name(typed: str, name: str) -> bool:
    def norm(value: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", value).casefold().split())

    return bool(typed) and norm(typed) == norm(name)


def confirms_identity(account: Account, secret) -> bool:
    """The signer's password, or its current one-time code when two-step sign-in is on."""
    if not isinstance(secret, str) or not secret:
        return False
    if second_factor.is_on(account):
        return second_factor.take_code(account, secret)
    return check_password_hash(account.password_hash, secret)


def sign_agreement(account: Account, case_id: int, data: dict, at: datetime | None = None) -> SettlementAcceptance:
    """A party signs the current agreement: full name, capacity, place, and its password or code."""
    case = get_case(account, case_id)
    if not case_roles(account, case) & PARTIES:
        raise NotAllowed(_("Only the parties sign the agreement."), code="wrong_role")
    filing = current_settlement(case)
    if filing is None:
        raise NotFound(_("No settlement agreement has been proposed in this case."))
    waiting = awaiting_approval(case, filing)
    if waiting:
        raise NotAllowed(
            _(
                "The machine-translated version (%(languages)s) must be approved by a party or the mediator before "
                "anyone signs.",
                languages=", ".join(waiting),
            ),
            code="translation_not_approved",
        )
    fields: dict[str, str] = {}
    signed_name = clean_text(data.get("signed_name"), fields, "signed_name", max_length=200)
    capacity = clean_text(data.get("capacity"), fields, "capacity", max_length=200)
    place = clean_text(data.get("place"), fields, "place", max_length=200)
    if signed_name and not _same_name(signed_name, account.display_name):
        fields["signed_name"] = _("Type your full name as your account shows it: %(name)s.", name=account.display_name)
    if not fields and not confirms_identity(account, data.get("password")):
        fields["password"] = (
            _("This code is not right.") if second_factor.is_on(account) else _("This password is not right.")
        )
    if fields:
        raise ValidationFailed(_("The agreement is not signed. Please correct the marked fields."), fields)
    return accept_settlement(
        account,
        case_id,
        filing.id,
        data.get("text_sha256") or None,
        at,
        signature={"signed_name": signed_name, "capacity": capacity, "place": place},
    )
