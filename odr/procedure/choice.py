"""Choosing the procedure for a case: from the platform's jurisdiction, the market the listing
targets and the right type; with the reasons, so both parties see which procedure applies and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from odr.extensions import gettext as _
from odr.procedure.calendars import Calendar
from odr.procedure.engine import Procedure
from odr.procedure.jurisdictions import Jurisdiction, all_jurisdictions
from odr.procedure.services import procedures
from odr.procedure.titles import reason_text


@dataclass
class Choice:
    procedure: Procedure
    jurisdiction: Jurisdiction
    market: str | None
    calendar: Calendar
    time_zone: str
    roll_forward: bool
    reasons: list[dict] = field(default_factory=list)  # {"key": ..., "params": {...}}

    def texts(self) -> list[str]:
        return [reason_text(r) for r in self.reasons]


def _eu() -> Jurisdiction | None:
    return all_jurisdictions().get("EU")


def check_market(raw, fields: dict) -> str | None:
    """The optional target market: a country code the platform knows, or an error in ``fields``."""
    if raw in (None, ""):
        return None
    code = raw.strip().upper() if isinstance(raw, str) else ""
    eu = _eu()
    known = set(all_jurisdictions()) | (set(eu.member_states) if eu else set())
    if code not in known:
        fields["target_market"] = _("Unknown market. Choose one of: %(codes)s.", codes=", ".join(sorted(known)))
        return None
    return code


def choose_procedure(jurisdiction: Jurisdiction, right_type: str, market: str | None, at: datetime) -> Choice:
    """The procedure a notice opens, with its reasons (message keys, rendered in the reader's language)."""
    reasons = [{"key": "platform_jurisdiction", "params": {"jurisdiction": jurisdiction.code}}]
    eu = _eu()
    governing, member = jurisdiction, None
    # A listing targeting "EU" as a whole counts in the platform's member state of establishment.
    member_code = (eu.default_member_state if market == "EU" else market) if eu is not None else None
    if eu is not None and member_code in eu.member_states:
        member = eu.member_states[member_code]
        if jurisdiction.code != "EU":
            # DSA Art. 2(1): it applies to services offered to recipients in the Union, wherever
            # the provider is established; its notice-and-action rules then govern the listing.
            governing = eu
            reasons.append({"key": "dsa_applies_to_union_market", "params": {"market": member.code}})
        else:
            reasons.append({"key": "member_state_calendar", "params": {"market": member.code}})
    elif jurisdiction.code == "EU" and eu is not None:
        member = eu.member_states.get(eu.default_member_state or "")
        if member is not None:
            reasons.append({"key": "default_member_state", "params": {"market": member.code}})
    elif market and market != jurisdiction.code:
        reasons.append({"key": "cross_border_market", "params": {"market": market, "jurisdiction": jurisdiction.code}})
    code = governing.procedure_for(right_type)
    if governing.procedures_by_right_type:
        own = right_type in governing.procedures_by_right_type
        reasons.append(
            {
                "key": "right_type_own_procedure" if own else "right_type_contractual_procedure",
                "params": {"right_type": right_type},
            }
        )
    if governing.code == "GB" and right_type in {"patent", "trademark", "design"}:
        reasons.append({"key": "gb_threats_warning", "params": {}})
    time_zone = member.time_zone if member else governing.time_zone
    calendar = member.calendar if member else governing.calendar
    local_day = at.astimezone(ZoneInfo(time_zone)).date()
    procedure = procedures().current(code, local_day)
    reasons.append({"key": "procedure_version", "params": {"procedure": procedure.code, "version": procedure.version}})
    reasons.append(
        {"key": "deadline_calendar", "params": {"time_zone": time_zone, "calendar": calendar.code if calendar else "-"}}
    )
    return Choice(
        procedure=procedure,
        jurisdiction=governing,
        market=market,
        calendar=calendar,
        time_zone=time_zone,
        roll_forward=governing.roll_forward,
        reasons=reasons,
    )
