"""The one way a filing enters a case: ``record_filing`` builds the row, records its event on the
timeline and announces it (``cases.signals.filing_recorded``: translations and, later, deliveries).

Every path that files something (notices, answers, messages, offers, agreements, blind bidding,
neutral evaluation, court decisions) calls it, so none can forget the event or the announcement.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from odr.accounts.models import Account
from odr.cases import events
from odr.cases.models import Case, Filing, FilingKind
from odr.cases.signals import filing_recorded
from odr.cases.terms import check_terms
from odr.extensions import db
from odr.vocabulary import CaseRole, EventKind


def record_filing(
    case: Case,
    kind: FilingKind,
    *,
    author: Account,
    role: CaseRole,
    language: str,
    text: str,
    at: datetime,
    terms: dict[str, Any] | None = None,
    caucus_party_id: int | None = None,
    event_details: dict[str, Any] | None = None,
    language_check: Any = None,
) -> Filing:
    """Record a filing in ``case``; the caller validates first and commits with ``domain_events.commit``.

    The event of a private caucus message carries nothing of the message (not even its id or digest),
    so the shared timeline and the court bundle built from it reveal no trace of its content.
    ``language_check`` (an ``odr.language.LanguageFinding``) records what was declared and detected.
    """
    check_terms(kind, terms)
    # Through the relationship: a case whose filings were read (a new case's: none) has this one among them too,
    # without reading them again.
    filing = Filing(
        case=case,
        kind=kind,
        author_id=author.id,
        author_case_role=CaseRole(role).value,
        language=language,
        text=text,
        terms=terms,
        caucus_party_id=caucus_party_id,
        created_at=at,
    )
    if language_check is not None:
        filing.language_declared = language_check.declared
        filing.language_detected = language_check.detected
        filing.language_confidence = language_check.confidence
    db.session.add(filing)
    db.session.flush()
    if caucus_party_id is not None:
        events.record(case, EventKind.CAUCUS_MESSAGE_FILED, at, actor=author, role=role)
    else:
        # A settlement's digest covers its terms too: it is what each party accepts.
        digest = text_sha256(filing) if kind == FilingKind.SETTLEMENT else hashlib.sha256(text.encode()).hexdigest()
        payload = {"filing_id": filing.id, "language": language, "text_sha256": digest, **(event_details or {})}
        events.record(case, EventKind.filed(kind.value), at, actor=author, role=role, payload=payload)
    filing_recorded.publish(filing)
    return filing


def text_sha256(filing: Filing) -> str:
    """The digest a party accepts: the exact text and terms of the proposal."""
    body = json.dumps({"text": filing.text, "terms": filing.terms or {}}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
