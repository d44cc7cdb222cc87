"""Notice validation per jurisdiction: every missing or defective element, named with its rule.

A defective notice is refused (422) with each problem listed, and no case is opened, so no
measure is taken and no clock starts. The refusal is also the prompt contact with the
complainant that 17 U.S.C. §512(c)(3)(B)(ii) asks for when a notice substantially complies.
"""

from __future__ import annotations

from flask_babel import gettext as _

from odr.procedure import jurisdictions
from odr.procedure.jurisdictions import Jurisdiction
from odr.procedure.services import choice_of
from odr.procedure.titles import element_label, warning_label
from odr.validation import clean_text


def _confirmed(value) -> bool:
    """A ticked box (web form) or JSON true."""
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "on", "yes", "1"})


def check_elements(jurisdiction: Jurisdiction, right_type: str, raw, fields: dict, *, counter: bool = False) -> dict:
    """Check the notice's ``elements`` against the jurisdiction's list; return the cleaned values.

    Each problem goes into ``fields`` under ``elements.<name>``, naming the element and the rule.
    Listings and the notice text are checked with the notice itself.
    """
    rules = jurisdiction.notice_rules(right_type, counter=counter)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        fields["elements"] = _("The notice elements must be an object of element names and values.")
        return {}
    cleaned: dict = {}
    if rules is None:
        return cleaned
    for element in rules.elements:
        if not element.applies_to(right_type):
            continue
        key = f"elements.{element.name}"
        rule = str(element.citation)
        if element.kind == "text":
            value = clean_text(raw.get(element.name), fields, key, required=False, max_length=5000)
            if key in fields:
                continue
            if not value:
                fields[key] = _(
                    "Missing: %(element)s. Required by %(rule)s.", element=element_label(element.name), rule=rule
                )
            cleaned[element.name] = value
        elif element.kind == "confirmation":
            if not _confirmed(raw.get(element.name)):
                fields[key] = _(
                    "Not confirmed: “%(element)s” Required by %(rule)s.", element=element_label(element.name), rule=rule
                )
            else:
                cleaned[element.name] = True
    return cleaned


def element_catalogue(all_jurisdictions: dict[str, Jurisdiction]) -> list[dict]:
    """Every element a notice form must offer, once each, with who asks for it and under which rule."""
    found: dict[str, dict] = {}
    for jurisdiction in all_jurisdictions.values():
        for right_type, rules in jurisdiction.notice.items():
            for element in rules.elements:
                if element.kind not in {"text", "confirmation"}:
                    continue
                entry = found.setdefault(
                    element.name,
                    {"name": element.name, "kind": element.kind, "label": element_label(element.name), "asked_by": []},
                )
                where = jurisdiction.code if right_type == "default" else f"{jurisdiction.code} ({right_type})"
                entry["asked_by"].append(f"{where}: {element.citation}")
    return list(found.values())


def warning_catalogue(all_jurisdictions: dict[str, Jurisdiction]) -> list[dict]:
    """What the notice form must tell a filer before filing, once per warning, with where and why it applies."""
    found: dict[str, dict] = {}
    for jurisdiction in all_jurisdictions.values():
        for right_type, rules in jurisdiction.notice.items():
            for warning in rules.warnings:
                entry = found.setdefault(
                    warning.name, {"name": warning.name, "text": warning_label(warning.name), "asked_by": []}
                )
                kinds = f" ({', '.join(sorted(warning.right_types))})" if warning.right_types else ""
                where = jurisdiction.code if right_type == "default" else f"{jurisdiction.code} ({right_type})"
                entry["asked_by"].append(f"{where}{kinds}: {warning.citation}")
    return list(found.values())


def notice_warnings(jurisdiction: Jurisdiction, right_type: str, *, counter: bool = False) -> list[dict]:
    """The warnings that apply to a notice (or counter-notice) of this right type under this jurisdiction."""
    rules = jurisdiction.notice_rules(right_type, counter=counter)
    return [
        {"name": w.name, "text": warning_label(w.name), "rule": w.citation.as_dict(), "asked_by": [str(w.citation)]}
        for w in (rules.warnings if rules else ())
        if w.applies_to(right_type)
    ]


def counter_notice_warnings(case) -> list[dict]:
    """What the seller must be told before filing a counter-notice in this case."""
    jurisdiction, right_type = _governing(case)
    return notice_warnings(jurisdiction, right_type, counter=True) if jurisdiction else []


def counter_notice_elements(case) -> list[dict]:
    """What a counter-notice in this case must contain, for the filing form."""
    jurisdiction, right_type = _governing(case)
    rules = jurisdiction.notice_rules(right_type, counter=True) if jurisdiction else None
    return [
        {"name": e.name, "kind": e.kind, "label": element_label(e.name), "asked_by": [str(e.citation)]}
        for e in (rules.elements if rules else ())
        if e.applies_to(right_type)
    ]


def check_counter_notice(case, raw, fields: dict) -> dict:
    """A counter-notice's elements under the law governing the case; problems go into ``fields``."""
    jurisdiction, right_type = _governing(case)
    return check_elements(jurisdiction, right_type, raw, fields, counter=True) if jurisdiction else {}


def _governing(case):
    choice = choice_of(case)
    return jurisdictions.get(choice.jurisdiction if choice else case.jurisdiction), case.right_type.value
