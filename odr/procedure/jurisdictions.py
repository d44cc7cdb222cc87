"""Per-jurisdiction data from ``jurisdictions/``: languages, time zone, currency, procedure."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    official_languages: tuple[str, ...]
    time_zone: str
    currency: str
    procedure: str


@lru_cache(maxsize=4)
def _load(folder: str) -> dict[str, Jurisdiction]:
    found = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[raw["code"]] = Jurisdiction(
            code=raw["code"], name=raw["name"], official_languages=tuple(raw["official_languages"]),
            time_zone=raw["time_zone"], currency=raw["currency"], procedure=raw["procedure"])
    return found


def all_jurisdictions() -> dict[str, Jurisdiction]:
    return _load(current_app.config["ODR"]["JURISDICTIONS_DIR"])


def get(code: str) -> Jurisdiction | None:
    return all_jurisdictions().get((code or "").strip().upper())
