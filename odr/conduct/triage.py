"""Triage of each new notice: a score from the notifier's record, the seller's record and the risk terms.

The score (``rules/policy/triage.yaml``: weights with their explanation) orders the reviewers' and
mediators' queues after the health-and-safety fast track and the lanes, and suggests where to look first.
It decides nothing: no transition, measure or finding is taken on it. Records count outcomes only
(``services.record_of``; at intake ``services.outcome_counts_of``, the same numbers), so an accusation that was
never decided moves no score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import bindparam, select

from odr.cases import events
from odr.cases.models import Case
from odr.conduct.health_safety import screen
from odr.conduct.models import NoticeTriage
from odr.conduct.services import outcome_counts_of
from odr.config import rules_file
from odr.extensions import db
from odr.extensions import lazy_gettext as _l
from odr.procedure.engine import Citation, ProcedureError, _citation
from odr.procedure.signals import state_entered
from odr.vocabulary import EventKind

COMPONENTS = ("notifier_record", "seller_record", "risk_terms")
COMPONENT_TITLES = {
    "notifier_record": _l("Notifier's record"),
    "seller_record": _l("Seller's record"),
    "risk_terms": _l("Health-and-safety risk terms"),
}
SUGGESTIONS = {
    "look_first": _l("Suggestion: look at this notice first"),
    "in_turn": _l("Suggestion: look at this notice in turn"),
    "look_closely": _l("Suggestion: check this notice closely before acting on it"),
}
NEUTRAL = 0.5  # a record too short to say anything


@dataclass(frozen=True)
class TriagePolicy:
    version: str
    effective_from: date
    citation: Citation
    minimum_history: int
    weights: dict[str, float]
    explanations: dict[str, str]
    look_first: float
    look_closely: float

    def suggestion(self, score: float) -> str:
        if score >= self.look_first:
            return "look_first"
        return "look_closely" if score < self.look_closely else "in_turn"


def parse(data: dict) -> TriagePolicy:
    weights, explanations = {}, {}
    for name in COMPONENTS:
        raw = (data.get("weights") or {}).get(name) or {}
        weight = raw.get("weight")
        if not isinstance(weight, (int, float)) or not 0 <= weight <= 1 or not raw.get("explanation"):
            raise ProcedureError(f"triage.weights.{name} needs a weight from 0 to 1 and an explanation")
        weights[name], explanations[name] = float(weight), str(raw["explanation"])
    if abs(sum(weights.values()) - 1) > 1e-9:
        raise ProcedureError("triage.weights must add up to 1")
    bands = data.get("bands") or {}
    if not 0 <= bands.get("look_closely", -1) < bands.get("look_first", -1) <= 1:
        raise ProcedureError("triage.bands: 0 <= look_closely < look_first <= 1")
    history = data.get("minimum_history")
    if not isinstance(history, int) or history < 1:
        raise ProcedureError("triage.minimum_history must be a whole number above 0")
    return TriagePolicy(
        version=str(data["version"]),
        effective_from=date.fromisoformat(str(data["effective_from"])),
        citation=_citation(data.get("citation"), "triage"),
        minimum_history=history,
        weights=weights,
        explanations=explanations,
        look_first=float(bands["look_first"]),
        look_closely=float(bands["look_closely"]),
    )


@lru_cache(maxsize=4)
def _load(path: str) -> TriagePolicy:
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def triage_policy() -> TriagePolicy:
    return _load(rules_file("policy", "triage.yaml"))


def components_of(case: Case, at: datetime) -> dict[str, dict[str, Any]]:
    """Each component's value from 0 to 1, with what it was computed from (this notice itself left out)."""
    rules = triage_policy()
    # Counted, not loaded: a platform's thousands of earlier notices are not read at each new one.
    counts = outcome_counts_of([case.claimant, case.respondent])
    notifier, _as_seller = counts[case.claimant_party_id]
    earlier = notifier["filed"] - 1 + notifier["refused_incomplete"]
    wrong = (
        notifier["withdrawn"]
        + notifier["refused_incomplete"]
        + notifier["rejected_on_decision"]
        + notifier["restored_after_counter_notice"]
        + notifier["found_erroneous"]
        + 2 * notifier["found_malicious"]
    )
    _as_notifier, seller = counts[case.respondent_party_id]
    received = seller["received"] - 1
    upheld = (
        seller["upheld_by_decision"]
        + seller["upheld_by_settlement"]
        + seller["upheld_by_court"]
        + seller["uncontested"]
    )
    matches, categories = screen(case)
    enough_notices, enough_received = earlier >= rules.minimum_history, received >= rules.minimum_history
    return {
        "notifier_record": {
            "value": max(0.0, 1 - wrong / earlier) if enough_notices else NEUTRAL,
            "basis": {"notices": earlier, "inaccurate": wrong, "enough_history": enough_notices},
        },
        "seller_record": {
            "value": min(1.0, upheld / received) if enough_received else NEUTRAL,
            "basis": {"notices_received": received, "upheld": upheld, "enough_history": enough_received},
        },
        "risk_terms": {
            "value": 1.0 if matches or categories else 0.0,
            "basis": {"terms": sorted({m["term"] for m in matches}), "categories": categories},
        },
    }


def score_of(components: dict[str, dict[str, Any]]) -> int:
    weights = triage_policy().weights
    return round(100 * sum(weights[name] * components[name]["value"] for name in COMPONENTS))


@state_entered.in_transaction.connect
def _on_new_notice(case: Case, *, at: datetime, cause: str, **_data) -> None:
    """Every new notice is scored once; the score is kept for the queues and nothing else happens."""
    rules = triage_policy()
    if cause != "notice" or at.date() < rules.effective_from:
        return
    components = components_of(case, at)
    for name in COMPONENTS:
        components[name]["weight"] = rules.weights[name]
    score = score_of(components)
    db.session.add(
        NoticeTriage(
            case_id=case.id,
            score=score,
            components=components,
            suggestion=rules.suggestion(score / 100),
            policy_version=rules.version,
            scored_at=at,
        )
    )
    # The timeline says that a score exists and what it is for; the figures are for reviewers and mediators.
    events.record(
        case,
        EventKind.TRIAGE_SCORED,
        at,
        payload={"used_for": ["queue_order", "suggestion"], "decides": False, "policy_version": rules.version},
    )


# Built once: the case page reads it at every view.
_TRIAGE_OF = select(NoticeTriage).where(NoticeTriage.case_id == bindparam("case_id"))


def triage_of(case: Case) -> NoticeTriage | None:
    return db.session.scalar(_TRIAGE_OF, {"case_id": case.id})


def triage_json(row: NoticeTriage) -> dict[str, Any]:
    rules = triage_policy()
    return {
        "score": row.score,
        "scale": 100,
        "suggestion": row.suggestion,
        "suggestion_text": str(SUGGESTIONS[row.suggestion]),
        "components": row.components,
        "explanations": rules.explanations,
        "policy_version": row.policy_version,
        "scored_at": row.scored_at.isoformat(),
        "decides": False,
        "citation": rules.citation.as_dict(),
    }
