"""Where a seller may offer a security, in which currencies and within which limits
(``rules/policy/seller_security.yaml``), with the law or rule each answer rests on."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import yaml

from odr.config import rules_file
from odr.procedure.engine import Citation, ProcedureError, _citation


@dataclass(frozen=True)
class Limits:
    minimum: Decimal
    maximum: Decimal


@dataclass(frozen=True)
class SecurityRules:
    """What one procedure or jurisdiction says about a seller's security."""

    key: str
    allowed: bool
    citation: Citation
    currencies: dict[str, Limits]


@dataclass(frozen=True)
class SecurityPolicy:
    version: str
    deciders: frozenset[str]
    documents: tuple[str, ...]
    by_procedure: dict[str, SecurityRules]
    by_jurisdiction: dict[str, SecurityRules]

    def rules_for(self, procedure_code: str, jurisdiction: str) -> SecurityRules:
        """The procedure's own entry, else the jurisdiction's, else the platform's default."""
        return (
            self.by_procedure.get(procedure_code)
            or self.by_jurisdiction.get(jurisdiction)
            or self.by_jurisdiction["default"]
        )


def _amount(raw, where: str) -> Decimal:
    try:
        amount = Decimal(str(raw))
    except InvalidOperation:
        raise ProcedureError(f"{where} must be an amount") from None
    if not amount.is_finite() or amount <= 0:
        raise ProcedureError(f"{where} must be above 0")
    return amount


def _rules(key: str, raw: dict, where: str) -> SecurityRules:
    allowed = raw.get("allowed")
    if not isinstance(allowed, bool):
        raise ProcedureError(f"{where}.allowed must be true or false")
    currencies: dict[str, Limits] = {}
    for code, limits in (raw.get("currencies") or {}).items():
        if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
            raise ProcedureError(f"{where}.currencies: {code!r} is not a three-letter currency code")
        low = _amount(limits.get("minimum"), f"{where}.currencies.{code}.minimum")
        high = _amount(limits.get("maximum"), f"{where}.currencies.{code}.maximum")
        if low > high:
            raise ProcedureError(f"{where}.currencies.{code}: the minimum is above the maximum")
        currencies[code] = Limits(low, high)
    if allowed and not currencies:
        raise ProcedureError(f"{where}: a security that is allowed names its currencies and limits")
    return SecurityRules(key, allowed, _citation(raw.get("citation"), where), currencies)


def parse(data: dict) -> SecurityPolicy:
    procedures = {k: _rules(k, v, f"procedures.{k}") for k, v in (data.get("procedures") or {}).items()}
    jurisdictions = {k: _rules(k, v, f"jurisdictions.{k}") for k, v in (data.get("jurisdictions") or {}).items()}
    if "default" not in jurisdictions:
        raise ProcedureError("jurisdictions.default is required")
    return SecurityPolicy(
        version=str(data["version"]),
        deciders=frozenset(data["deciders"]),
        documents=tuple(data["documents"]),
        by_procedure=procedures,
        by_jurisdiction=jurisdictions,
    )


@lru_cache(maxsize=4)
def _load(path: str) -> SecurityPolicy:
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def policy() -> SecurityPolicy:
    return _load(rules_file("policy", "seller_security.yaml"))
