"""The platform verifies a right holder's rights profile once; each notice filled in from it carries the fact.

A profile that states an identity waits for an administrator (``waiting``), who reads it with its documents and
marks it ``verified`` or ``refused`` (with the reason the holder reads on its profile page); who decided and when
are kept. A change of the identity, the registrations or a document sets the profile back to ``waiting``
(``on_change``): the verification covered what the administrator saw. A notice filed while the profile is
verified, stating the identity the administrator saw (``verified_on``), records the date of
the verification in its own terms, so that a later change of the profile does not rewrite what was filed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import bindparam, select

from odr.accounts.models import Account, Role
from odr.cases.models import RightsDocument, RightsProfile
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.pagination import Page, keyset
from odr.validation import clean_text

WAITING, VERIFIED, REFUSED = "waiting", "verified", "refused"
CHECKED_FIELDS = ("identity", "registrations")  # with the documents: what a verification covers
REASON_LIMIT = 2000


def on_change(profile: RightsProfile, at: datetime) -> None:
    """The profile's identity, registrations or documents changed: it waits for a new check (nothing to check
    while it states no identity)."""
    profile.review_status = WAITING if (profile.identity or "").strip() else ""
    profile.waiting_since = at if profile.review_status else None
    profile.reviewed_by_id, profile.reviewed_at, profile.refusal_reason = None, None, ""


def check_reviewer(account: Account) -> None:
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator can verify rights profiles."))


def waiting_profiles(account: Account, *, cursor: str | None = None, limit: int = 50) -> Page[RightsProfile]:
    """The profiles waiting for a check, the longest waiting first."""
    check_reviewer(account)
    query = select(RightsProfile).where(RightsProfile.review_status == WAITING)
    return keyset(query, [RightsProfile.waiting_since, RightsProfile.id], limit=limit, cursor=cursor, descending=False)


def profile_for_review(account: Account, profile_id: int) -> RightsProfile:
    check_reviewer(account)
    profile = db.session.get(RightsProfile, profile_id)
    if profile is None:
        raise NotFound(_("There is no such rights profile."))
    return profile


def review_document(account: Account, profile_id: int, kind: str) -> RightsDocument:
    """A document of a profile, for the administrator reviewing it."""
    profile = profile_for_review(account, profile_id)
    document = db.session.scalar(
        select(RightsDocument).where(RightsDocument.account_id == profile.account_id, RightsDocument.kind == kind)
    )
    if document is None:
        raise NotFound(_("There is no such document."))
    return document


def seen_mark(profile: RightsProfile) -> str:
    """What names the version of a profile the administrator reads (it changes with each change to check)."""
    return profile.waiting_since.isoformat() if profile.waiting_since else ""


def check_decision(
    account: Account, profile_id: int, decision: str, reason: str | None, seen: str | None = None
) -> tuple[RightsProfile, str]:
    """Validate an administrator's decision on a waiting profile; the profile and the reason (refusals only).

    ``seen``: the version the administrator read (``seen_mark``); a profile changed since is not decided."""
    profile = profile_for_review(account, profile_id)
    if profile.review_status != WAITING or (seen is not None and seen != seen_mark(profile)):
        raise NotAllowed(_("This rights profile is not waiting for a check (it was decided, or changed meanwhile)."))
    fields: dict[str, str] = {}
    if decision not in (VERIFIED, REFUSED):
        raise ValidationFailed(_("Choose whether to verify or to refuse."), {"decision": _("Choose one.")})
    text = clean_text(reason, fields, "reason", required=decision == REFUSED, max_length=REASON_LIMIT)
    if decision == REFUSED and not fields and not text:
        fields["reason"] = _("Say why, so that the right holder can correct the profile.")
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    return profile, text if decision == REFUSED else ""


def do_decide(
    account: Account,
    profile_id: int,
    decision: str,
    reason: str | None = None,
    at: datetime | None = None,
    seen: str | None = None,
) -> RightsProfile:
    """An administrator verifies (``verified``) or refuses (``refused``, with a reason) a waiting profile."""
    profile, text = check_decision(account, profile_id, decision, reason, seen)
    profile.review_status = decision
    profile.reviewed_by_id, profile.reviewed_at, profile.refusal_reason = account.id, at or utcnow(), text
    db.session.commit()
    return profile


_PROFILE_OF = select(RightsProfile).where(RightsProfile.account_id == bindparam("account_id"))  # every notice asks


def verified_on(account: Account, elements: Mapping[str, object]) -> str | None:
    """The date (ISO) the platform verified the account's profile, if the profile is verified (unchanged since)
    and the notice's elements state the identity it verified; None otherwise."""
    profile = db.session.scalar(_PROFILE_OF, {"account_id": account.id})
    if profile is None or profile.review_status != VERIFIED or profile.reviewed_at is None:
        return None
    identity = (profile.identity or "").strip()
    if not identity or str(elements.get("identity") or "").strip() != identity:
        return None
    return profile.reviewed_at.date().isoformat()
