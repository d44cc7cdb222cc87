"""Tracks of a procedure: the standard one, and the expedited one for health-and-safety goods.

A track changes no state or transition of the case's procedure, only periods, and only the platform's own
(a timer citing the ODR Platform Rules): a statutory period is never shortened (``rules/tracks/*.yaml``,
``kept``, says why each is not). The case's track is kept with its procedure choice; changing it recounts
every running period from the day it started, so nothing already filed, served or elapsed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml

from odr.config import rules_file
from odr.procedure.engine import UNITS as PERIOD_UNITS
from odr.procedure.engine import Citation, Period, ProcedureError, Timer, _citation, _date, _in_force

STANDARD, EXPEDITED = "standard", "expedited"
TRACKS = {STANDARD: None, EXPEDITED: "health-safety.yaml"}
PLATFORM_RULES = "ODR Platform Rules"


@dataclass(frozen=True)
class TrackPeriod:
    period: Period
    citation: Citation
    effective_from: date | None = None
    effective_to: date | None = None


@dataclass(frozen=True)
class Track:
    code: str
    version: str
    title: str
    citation: Citation
    periods: dict[str, TrackPeriod]
    kept: dict[str, Citation]

    def timer(self, timer: Timer, on: date) -> Timer:
        """``timer`` as this track runs it on ``on``: with the track's period where the period is the platform's
        own and the track's period is in force, else unchanged."""
        own = self.periods.get(timer.name)
        if own is None or not timer.citation.instrument.startswith(PLATFORM_RULES):
            return timer
        if not _in_force(own.effective_from, own.effective_to, on):
            return timer
        return replace(timer, period=own.period, citation=own.citation)


def parse_track(raw: dict, source: str) -> Track:
    periods = {}
    for name, spec in (raw.get("periods") or {}).items():
        where = f"{source}: periods.{name}"
        period = spec.get("period") if isinstance(spec, dict) else None
        count, unit = (period or {}).get("count"), (period or {}).get("unit")
        if not isinstance(count, int) or count < 1 or unit not in PERIOD_UNITS:
            raise ProcedureError(f"{where} needs a period with a positive count and a unit in {sorted(PERIOD_UNITS)}")
        periods[name] = TrackPeriod(
            period=Period(count=count, unit=unit),
            citation=_citation(spec.get("citation"), where),
            effective_from=_date(spec.get("effective_from"), where),
            effective_to=_date(spec.get("effective_to"), where),
        )
    return Track(
        code=str(raw["code"]),
        version=str(raw["version"]),
        title=str(raw["title"]),
        citation=_citation(raw.get("citation"), source),
        periods=periods,
        kept={name: _citation(c, f"{source}: kept.{name}") for name, c in (raw.get("kept") or {}).items()},
    )


@lru_cache(maxsize=8)
def _load(path: str) -> Track:
    return parse_track(yaml.safe_load(Path(path).read_text(encoding="utf-8")), Path(path).name)


def track(name: str) -> Track | None:
    """The track's data, or None for the standard track (the procedure's own periods)."""
    if name not in TRACKS:
        raise ProcedureError(f"unknown track {name}")
    file = TRACKS[name]
    return _load(rules_file("tracks", file)) if file else None
