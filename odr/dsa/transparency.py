"""Statements of reasons for the Commission's DSA Transparency Database (DSA Art. 24(5)).

Each statement becomes one JSON record with the field names and value codes of that database's statement API,
checked against the JSON Schema kept beside this module (transparency-sor.schema.json) before it leaves. The
records contain no personal data (Art. 24(5)): no names of the seller or the notifier, only the platform's
unique identifier of the statement. Submitting them over the network is optional and off by default
(``DSA_TDB_URL``/``DSA_TDB_TOKEN`` in the configuration); the batch file is always available
(``odr transparency sor --since DATE``).
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import jsonschema
from sqlalchemy import or_, select

from odr.extensions import db

from .models import StatementOfReasons

SCHEMA_PATH = Path(__file__).with_name("transparency-sor.schema.json")

# The restriction each measure kind is, in the database's codes.
VISIBILITY = {
    "take_down": "DECISION_VISIBILITY_CONTENT_REMOVED",
    "not_purchasable_in": "DECISION_VISIBILITY_CONTENT_DISABLED",
    "remove_element": "DECISION_VISIBILITY_CONTENT_REMOVED",
    "modify": "DECISION_VISIBILITY_OTHER",
}
KEYWORDS = {
    "trademark": "KEYWORD_TRADEMARK_INFRINGEMENT",
    "copyright": "KEYWORD_COPYRIGHT_INFRINGEMENT",
    "patent": "KEYWORD_PATENT_INFRINGEMENT",
    "design": "KEYWORD_DESIGN_INFRINGEMENT",
}
AUTOMATED_DECISION = {
    "fully": "AUTOMATED_DECISION_FULLY",
    "partially": "AUTOMATED_DECISION_PARTIALLY",
    "not_automated": "AUTOMATED_DECISION_NOT_AUTOMATED",
}
RIGHT_NAMES = {"trademark": "trade mark", "copyright": "copyright", "patent": "patent", "design": "design"}


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


class InvalidRecord(ValueError):
    """A record the database would refuse; the message names the field."""


def validate(record: dict) -> None:
    errors = sorted(jsonschema.Draft202012Validator(schema()).iter_errors(record), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path) or "(record)"
        raise InvalidRecord(f"{where}: {first.message}")


def _day(value: str | None) -> str | None:
    return datetime.fromisoformat(value).date().isoformat() if value else None


def record(statement: StatementOfReasons) -> dict:
    """The database's record of one statement of reasons, validated against the schema."""
    content = statement.content
    ground = content.get("ground") or {}
    right = ground.get("right_type") or content.get("facts", {}).get("right_type")
    visibility = sorted({VISIBILITY.get(kind, "DECISION_VISIBILITY_OTHER") for kind in content.get("measure", [])})
    facts = content.get("facts") or {}
    automated = content.get("automated_means") or {}
    trusted = facts.get("source") == "trusted_flagger"
    out: dict = {
        "decision_visibility": visibility or ["DECISION_VISIBILITY_OTHER"],
        "account_type": "ACCOUNT_TYPE_BUSINESS",  # sellers on a marketplace act as traders
        "category": "STATEMENT_CATEGORY_INTELLECTUAL_PROPERTY_INFRINGEMENTS",
        "category_specification": [KEYWORDS[right]] if right in KEYWORDS else ["KEYWORD_OTHER"],
        "content_type": ["CONTENT_TYPE_PRODUCT"],
        "territorial_scope": sorted(content.get("territorial_scope") or []),
        "application_date": _day((content.get("duration") or {}).get("from"))
        or statement.created_at.date().isoformat(),
        "decision_facts": _facts(content)[:5000],
        "source_type": "SOURCE_TRUSTED_FLAGGER" if trusted else "SOURCE_ARTICLE_16",
        "automated_detection": "Yes" if automated.get("detection") else "No",
        "automated_decision": AUTOMATED_DECISION[automated.get("decision") or "not_automated"],
        "puid": statement.puid,
    }
    if "DECISION_VISIBILITY_OTHER" in out["decision_visibility"]:
        out["decision_visibility_other"] = "Listing modified as the decision requires"
    ended = _day((content.get("duration") or {}).get("ended_at"))
    if ended:
        out["end_date_visibility_restriction"] = ended
    if trusted and facts.get("trusted_flagger"):
        out["source_identity"] = str(facts["trusted_flagger"])[:500]  # an organisation, named in the registry
    legal = (
        ground.get("legal_ground") or f"Infringement of an intellectual property right ({RIGHT_NAMES.get(str(right))})"
    )
    explanation = ground.get("explanation") or legal
    if ground.get("kind") == "incompatible_content":
        out.update(
            decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT",
            incompatible_content_ground=legal[:500],
            incompatible_content_explanation=explanation[:2000],
            incompatible_content_illegal="Yes",
        )
    else:
        out.update(
            decision_ground="DECISION_GROUND_ILLEGAL_CONTENT",
            illegal_content_legal_ground=legal[:500],
            illegal_content_explanation=explanation[:2000],
        )
    validate(out)
    return out


def _facts(content: dict) -> str:
    facts = content.get("facts") or {}
    parts = [
        f"Notice under Article 16 DSA filed on {str(facts.get('notice_filed_at', ''))[:10]} by the holder of the "
        f"{RIGHT_NAMES.get(str(facts.get('right_type')), 'intellectual property')} right, concerning "
        f"{len(content.get('listings') or [])} listing(s)."
    ]
    if facts.get("reviewer_facts"):
        parts.append(str(facts["reviewer_facts"]))
    return " ".join(parts)


def statements_since(since: datetime) -> list[StatementOfReasons]:
    """Statements issued or updated since ``since`` (an update, such as an end date, is submitted again)."""
    return list(
        db.session.scalars(
            select(StatementOfReasons)
            .where(or_(StatementOfReasons.created_at >= since, StatementOfReasons.updated_at >= since))
            .order_by(StatementOfReasons.id)
        )
    )


def batch(since: datetime) -> list[dict]:
    return [record(s) for s in statements_since(since)]


def submit(records: list[dict], url: str, token: str, timeout: float = 30.0) -> int:
    """POST the records to the database's multiple-statements endpoint; return the HTTP status."""
    body = json.dumps({"statements": records}).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json", "Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (a configured https URL)
        return response.status
