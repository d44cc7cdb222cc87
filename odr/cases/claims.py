"""Claiming a case: a seller who signed up without the invitation code (or lost it) reaches the cases a notice
named it in.

Two ways, both ending in ``join_invited_party`` (the same act as signing up with the code):

- with the invitation code, entered on the profile page or sent to ``POST /api/v1/me/claims``. Holding the
  code is the proof (it was e-mailed to the address the notice named), so the account's own address may
  differ. A wrong code gets one answer, "not valid", whether or not it belongs to someone else's case, and
  wrong codes are rate-limited per account and per address (``claim_code`` in odr/accounts/limits.py).
- by a verified e-mail address: an account whose verified address is the one a pending invitation went to is
  *offered* the case, and joins when it accepts. It is not joined silently: taking part in a dispute starts
  the service of procedural acts and periods on the account, and the holder may be acting for another
  organisation (a representative), so the platform asks first.

An account whose own organisation already takes part in cases is not moved away from them: it is told so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from odr.accounts.models import Account, Party, Role
from odr.accounts.services import join_invited_party
from odr.accounts.signals import invitation_claimed
from odr.cases import events
from odr.cases.models import Case
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.vocabulary import CaseRole, EventKind

CLAIM_ROLES = {Role.SELLER, Role.REPRESENTATIVE}


def _check_role(account: Account) -> None:
    if account.role not in CLAIM_ROLES:
        raise Forbidden(_("Only seller and representative accounts can take part in a case as the seller."))


def _invited_by_code(code) -> Party | None:
    if not isinstance(code, str) or not 8 <= len(code.strip()) <= 100:
        return None
    digest = hashlib.sha256(code.strip().encode()).hexdigest()
    return db.session.scalar(select(Party).where(Party.invitation_sha256 == digest))


def claim_with_code(account: Account, code, *, at: datetime | None = None) -> Party:
    """Join the party whose invitation code this is; "not valid" for every code that is not a live invitation."""
    _check_role(account)
    party = _invited_by_code(code)
    if party is None:
        message = _("This invitation code is not valid. Check it against the e-mail that sent it.")
        raise ValidationFailed(message, {"invitation_code": message}, code="invitation_code_not_valid")
    return _join(account, party, "code", at)


@dataclass(frozen=True)
class Offer:
    """A case waiting for the account, found by its verified e-mail address."""

    party: Party
    cases: list[Case]


def offer_for(account: Account) -> Offer | None:
    """The pending invitation sent to the account's address, once that address is verified."""
    if account.role not in CLAIM_ROLES or account.email_verified_at is None:
        return None
    party = db.session.scalar(
        select(Party)
        .where(
            Party.contact_email == account.email.lower(),
            Party.invitation_sha256.is_not(None),
            Party.invitation_sha256 != "",
            Party.id != (account.party_id or 0),
        )
        .order_by(Party.id)
        .limit(1)
    )
    if party is None:
        return None
    cases = list(db.session.scalars(select(Case).where(Case.respondent_party_id == party.id).order_by(Case.id)))
    return Offer(party, cases)


def accept_offer(account: Account, party_id, *, at: datetime | None = None) -> Party:
    """Join the party offered to the account's verified address (checked again now, not when it was shown)."""
    _check_role(account)
    offer = offer_for(account)
    if offer is None or isinstance(party_id, bool) or offer.party.id != party_id:
        raise NotAllowed(
            _("No case waits for your e-mail address. Confirm your address first, or enter the invitation code."),
            code="nothing_to_claim",
        )
    return _join(account, offer.party, "verified_email", at)


def _join(account: Account, party: Party, how: str, at: datetime | None) -> Party:
    own = account.party
    if own is not None and own.id != party.id and _takes_part(own):
        raise NotAllowed(
            _(
                "Your account already takes part in cases for %(name)s, and it cannot leave them. Ask the "
                "platform's administrators to bring the two together.",
                name=own.name,
            ),
            code="party_has_cases",
        )
    join_invited_party(account, party, how=how, at=at)
    commit()
    return party


def _takes_part(party: Party) -> bool:
    query = select(Case.id).where(or_(Case.claimant_party_id == party.id, Case.respondent_party_id == party.id))
    return db.session.scalar(query.limit(1)) is not None


@invitation_claimed.in_transaction.connect
def _record_join(account: Account, *, party: Party, how: str, at: datetime, **_data) -> None:
    """Each case of the party records that its seller joined (one event per case, on its chain)."""
    for case in db.session.scalars(select(Case).where(Case.respondent_party_id == party.id).order_by(Case.id)):
        events.record(
            case,
            EventKind.RESPONDENT_JOINED,
            at or utcnow(),
            actor=account,
            role=CaseRole.RESPONDENT,
            payload={"how": how},
        )
