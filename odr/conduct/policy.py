"""The conduct policy as data (``rules/policy/conduct.yaml``): thresholds, periods, consequences, citations."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from odr.config import rules_file
from odr.procedure.engine import Citation, ProcedureError, _citation

ACCOUNT_MEASURES = {"suspend_account", "terminate_account"}


@dataclass(frozen=True)
class RecordRules:
    counter_notice_held_causes: frozenset[str]
    uncontested_causes: frozenset[str]
    upheld_outcomes: frozenset[str]
    rejected_outcomes: frozenset[str]
    settlement_upholding_measures: frozenset[str]


@dataclass(frozen=True)
class Consequence:
    """What a finding of a wrongful notice entails under one jurisdiction's law."""

    multiplier: int  # of the loss claimed: 0 none under this law, 1 the loss, 2 double compensation
    citation: Citation


@dataclass(frozen=True)
class WrongfulNoticeRules:
    erroneous: Consequence
    malicious: Consequence
    malicious_declaration: Citation | None


@dataclass(frozen=True)
class RepeatInfringerRules:
    threshold: int
    strike_expiry_days: int
    measure: str
    citation: Citation
    suspension_days: int | None = None
    warning_at: int | None = None

    def due(self, strikes: int) -> str | None:
        """What ``strikes`` active strikes call for: the account measure, a warning, or nothing."""
        if strikes >= self.threshold:
            return self.measure
        if self.warning_at is not None and strikes >= self.warning_at:
            return "warning"
        return None


@dataclass(frozen=True)
class NoticeMisuseRules:
    window_days: int
    minimum_unfounded: int
    minimum_proportion: float
    malicious_weight: int
    warning_valid_days: int
    suspension_days: int
    citation: Citation

    def meets(self, unfounded: int, malicious: int, filed: int) -> bool:
        """Art. 23(3): enough manifestly unfounded notices, in number (malice weighing more) and in proportion."""
        count = unfounded + malicious
        weighted = unfounded + malicious * self.malicious_weight
        return filed > 0 and weighted >= self.minimum_unfounded and count / filed >= self.minimum_proportion


@dataclass(frozen=True)
class TrustedFlaggerRules:
    member_states: frozenset[str]
    jurisdictions: frozenset[str]
    citation: Citation


@dataclass(frozen=True)
class GoodFaithRules:
    window_days: int
    minimum_notices: int
    minimum_accuracy: float
    citation: Citation

    def qualifies(self, filed: int, inaccurate: int, malicious: int) -> bool:
        return (
            filed >= self.minimum_notices and malicious == 0 and (filed - inaccurate) / filed >= self.minimum_accuracy
        )


@dataclass(frozen=True)
class Policy:
    version: str
    record: RecordRules
    deciders: frozenset[str]
    wrongful: dict[str, WrongfulNoticeRules]
    repeat: dict[str, RepeatInfringerRules]
    misuse: dict[str, NoticeMisuseRules]
    trusted_flaggers: TrustedFlaggerRules
    good_faith: GoodFaithRules

    def wrongful_notice(self, jurisdiction: str) -> WrongfulNoticeRules:
        return self.wrongful.get(jurisdiction) or self.wrongful["default"]

    def repeat_infringer(self, jurisdiction: str) -> RepeatInfringerRules:
        return self.repeat.get(jurisdiction) or self.repeat["default"]


def _positive(raw, where: str, *, zero: bool = False) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or raw < (0 if zero else 1):
        raise ProcedureError(f"{where} must be a whole number {'of 0 or more' if zero else 'above 0'}")
    return raw


def _consequence(raw, where: str) -> Consequence:
    return Consequence(
        multiplier=_positive(raw.get("multiplier"), f"{where}.multiplier", zero=True),
        citation=_citation(raw.get("citation"), where),
    )


def parse(data: dict) -> Policy:
    record = data["record"]
    wrongful = {}
    for code, raw in data["wrongful_notice"]["jurisdictions"].items():
        where = f"wrongful_notice.{code}"
        declaration = raw.get("malicious_declaration")
        wrongful[code] = WrongfulNoticeRules(
            erroneous=_consequence(raw["erroneous"], f"{where}.erroneous"),
            malicious=_consequence(raw["malicious"], f"{where}.malicious"),
            malicious_declaration=_citation(declaration["citation"], where) if declaration else None,
        )
    repeat = {}
    for code, raw in data["repeat_infringer"]["jurisdictions"].items():
        where = f"repeat_infringer.{code}"
        measure = raw.get("measure")
        if measure not in ACCOUNT_MEASURES:
            raise ProcedureError(f"{where}.measure must be one of {sorted(ACCOUNT_MEASURES)}")
        suspension = raw.get("suspension_days")
        if measure == "suspend_account":
            suspension = _positive(suspension, f"{where}.suspension_days")
        threshold = _positive(raw.get("threshold"), f"{where}.threshold")
        warning = raw.get("warning_at")
        if warning is not None and not 0 < _positive(warning, f"{where}.warning_at") < threshold:
            raise ProcedureError(f"{where}.warning_at must be below the threshold")
        repeat[code] = RepeatInfringerRules(
            threshold=threshold,
            strike_expiry_days=_positive(raw.get("strike_expiry_days"), f"{where}.strike_expiry_days"),
            measure=measure,
            citation=_citation(raw.get("citation"), where),
            suspension_days=suspension,
            warning_at=warning,
        )
    misuse = {}
    for code, raw in data["notice_misuse"]["jurisdictions"].items():
        where = f"notice_misuse.{code}"
        proportion = raw.get("minimum_proportion")
        if not isinstance(proportion, (int, float)) or not 0 < proportion <= 1:
            raise ProcedureError(f"{where}.minimum_proportion must be above 0 and at most 1")
        misuse[code] = NoticeMisuseRules(
            window_days=_positive(raw.get("window_days"), f"{where}.window_days"),
            minimum_unfounded=_positive(raw.get("minimum_unfounded"), f"{where}.minimum_unfounded"),
            minimum_proportion=float(proportion),
            malicious_weight=_positive(raw.get("malicious_weight"), f"{where}.malicious_weight"),
            warning_valid_days=_positive(raw.get("warning_valid_days"), f"{where}.warning_valid_days"),
            suspension_days=_positive(raw.get("suspension_days"), f"{where}.suspension_days"),
            citation=_citation(raw.get("citation"), where),
        )
    if "default" not in wrongful or "default" not in repeat or "default" not in misuse:
        raise ProcedureError("the conduct policy needs a default for wrongful notices and repeat infringers")
    return Policy(
        version=str(data["version"]),
        record=RecordRules(
            **{key: frozenset(record[key]) for key in RecordRules.__dataclass_fields__}  # type: ignore[arg-type]
        ),
        deciders=frozenset(data["wrongful_notice"]["deciders"]),
        wrongful=wrongful,
        repeat=repeat,
        misuse=misuse,
        trusted_flaggers=TrustedFlaggerRules(
            member_states=frozenset(data["trusted_flaggers"]["member_states"]),
            jurisdictions=frozenset(data["trusted_flaggers"]["jurisdictions"]),
            citation=_citation(data["trusted_flaggers"].get("citation"), "trusted_flaggers"),
        ),
        good_faith=_good_faith(data["good_faith"]),
    )


def _good_faith(raw: dict) -> GoodFaithRules:
    accuracy = raw.get("minimum_accuracy")
    if not isinstance(accuracy, (int, float)) or not 0 < accuracy <= 1:
        raise ProcedureError("good_faith.minimum_accuracy must be above 0 and at most 1")
    return GoodFaithRules(
        window_days=_positive(raw.get("window_days"), "good_faith.window_days"),
        minimum_notices=_positive(raw.get("minimum_notices"), "good_faith.minimum_notices"),
        minimum_accuracy=float(accuracy),
        citation=_citation(raw.get("citation"), "good_faith"),
    )


@lru_cache(maxsize=4)
def _load(path: str) -> Policy:
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def policy() -> Policy:
    return _load(rules_file("policy", "conduct.yaml"))
