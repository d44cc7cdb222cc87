"""Notice validation per jurisdiction: every missing or defective element, named with its rule.

A defective notice is refused (422) with each problem listed, and no case is opened, so no
measure is taken and no clock starts. The refusal is also the prompt contact with the
complainant that 17 U.S.C. §512(c)(3)(B)(ii) asks for when a notice substantially complies.
"""

from __future__ import annotations

import base64
import binascii
import io
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import BinaryIO

from odr.evidence.storage import peek_media_type, safe_display_name
from odr.extensions import gettext as _
from odr.procedure import jurisdictions
from odr.procedure.engine import NOTICE_MEASURE_KINDS, Procedure
from odr.procedure.jurisdictions import Jurisdiction
from odr.procedure.services import choice_of
from odr.procedure.titles import element_label, notice_measure_label, option_label, territory_name, warning_label
from odr.validation import check_country, clean_text


def _confirmed(value) -> bool:
    """A ticked box (web form) or JSON true."""
    return value is True or (isinstance(value, str) and value.strip().lower() in {"true", "on", "yes", "1"})


def substance(text: str) -> tuple[int, int]:
    """How much a text says: its letters and digits (a Chinese, Japanese or Korean character counts as two, as it
    carries about what two Latin letters do), and how many different ones it uses (``xxxxxx`` uses one)."""
    kept = [ch for ch in text if unicodedata.category(ch)[0] in "LN"]
    weight = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in kept)
    return weight, len({ch.casefold() for ch in kept})


def says_enough(text: str, minimum: int) -> bool:
    """Whether a text can be what an element asks for rather than a placeholder ("x", "n/a", "xxxxxxxx")."""
    weight, distinct = substance(text)
    return weight >= minimum and distinct >= min(3, minimum)


class Document:
    """A file sent for an element: a readable stream and the name its sender gave it."""

    def __init__(self, stream: BinaryIO | None, filename: str | None, pending=None):
        self.stream, self.filename = stream, filename
        # A file already in the store, kept from a refused form (odr.cases.pending): its type was sniffed
        # when it was kept, and filing it moves it (odr.cases.services.store_evidence).
        self.pending = pending
        # The file as stored ahead of its notice's transaction (odr.cases.services.keep_ahead).
        self.kept = None

    def media_type(self) -> str:
        """What the file is, from its content (never from its name)."""
        if self.pending is not None:
            return str(self.pending.media_type)
        return peek_media_type(self.stream)


def _document(raw, upload) -> Document | None | str:
    """The file for an element: an upload (a multipart part named ``elements.<name>``) or, in a JSON body,
    ``{"filename": ..., "content_base64": ...}``. A string says what is wrong with the JSON form
    (``named``: a file name alone, where a CSV row names a file that was not uploaded with it)."""
    if upload is not None:
        return Document(upload.stream, upload.filename, getattr(upload, "pending", None))
    if raw in (None, ""):
        return None
    if isinstance(raw, str):
        return "named"  # a name where the file should be: no file of that name came with the notice
    if not isinstance(raw, dict) or not isinstance(raw.get("content_base64"), str):
        return "shape"
    try:
        content = base64.b64decode(raw["content_base64"], validate=True)
    except (binascii.Error, ValueError):
        return "shape"
    name = raw.get("filename")
    return Document(io.BytesIO(content), name if isinstance(name, str) else None)


def check_elements(
    jurisdiction: Jurisdiction,
    right_type: str,
    raw,
    fields: dict,
    *,
    counter: bool = False,
    files: dict | None = None,
    documents: dict | None = None,
    listings: Sequence[str] = (),
    on: date | None = None,
    only_listings: bool = False,
) -> dict:
    """Check the notice's ``elements`` against the jurisdiction's list; return the cleaned values.

    ``only_listings``: check only what the law asks of the listings (a batch's item that says what an item
    already checked says, with other listings); the other elements are taken as not given, unchecked.

    Each problem goes into ``fields`` under ``elements.<name>``, naming the element and the rule. A file
    element's upload comes in ``files`` (by element name) or inline in ``raw``; each accepted file goes into
    ``documents`` (by element name) for the caller to store with the filing, and its name and type into the
    cleaned values. Listings and the notice text are checked with the notice itself.
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
    files = files or {}
    for element in rules.elements:
        if not element.applies_to(right_type, cleaned, on):
            continue
        if only_listings and element.kind != "listings":
            if element.kind == "text":
                cleaned[element.name] = ""  # what an element not given leaves, for the conditions of the next
            continue
        if element.kind == "listings":  # named only in a refusal: a batch checks thousands of items' listings
            if element.min_length and any(not says_enough(item, element.min_length) for item in listings):
                label, rule = element_label(element.name), str(element.citation)
                fields["listings"] = placeholder_refusal(label, element.min_length, rule)
            continue
        key = f"elements.{element.name}"
        rule = str(element.citation)
        label = element_label(element.name)
        if element.kind == "text":
            value = clean_text(raw.get(element.name), fields, key, required=False, max_length=5000)
            if key in fields:
                continue
            if not value:
                fields[key] = _("Missing: %(element)s. Required by %(rule)s.", element=label, rule=rule)
            elif element.min_length and not says_enough(value, element.min_length):
                fields[key] = placeholder_refusal(label, element.min_length, rule)
            cleaned[element.name] = value
        elif element.kind == "confirmation":
            if not _confirmed(raw.get(element.name)):
                fields[key] = _("Not confirmed: “%(element)s” Required by %(rule)s.", element=label, rule=rule)
            else:
                cleaned[element.name] = True
        elif element.kind == "choice":
            answer = raw.get(element.name)
            if answer not in element.options:
                fields[key] = _(
                    "Choose %(element)s: %(options)s. Required by %(rule)s.",
                    element=label,
                    options=", ".join(option_label(o) for o in element.options),
                    rule=rule,
                )
            else:
                cleaned[element.name] = answer
        elif element.kind == "file":
            document = _document(raw.get(element.name), files.get(element.name))
            if document is None:
                fields[key] = _(
                    "Missing: %(element)s. Attach it as a file (PDF, PNG, JPEG or WebP). Required by %(rule)s.",
                    element=label,
                    rule=rule,
                )
            elif document == "named":
                fields[key] = _(
                    "%(element)s: no file named “%(name)s” came with the notice. Send the file itself: as a "
                    "multipart part named %(field)s, as an object with “filename” and “content_base64”, or, in a "
                    "spreadsheet, upload it with the CSV under this name. Required by %(rule)s.",
                    element=label,
                    name=safe_display_name(raw.get(element.name))[:100],
                    field=key,
                    rule=rule,
                )
            elif document == "shape":
                fields[key] = _(
                    "Send the file as a multipart part named %(field)s, or as an object with “filename” and "
                    "“content_base64”. Required by %(rule)s.",
                    field=key,
                    rule=rule,
                )
            elif not isinstance(document, Document) or document.media_type() not in element.accept:
                fields[key] = _(
                    "%(element)s: the file sent is not a PDF, PNG, JPEG or WebP document (its content was "
                    "checked, not its name). Required by %(rule)s.",
                    element=label,
                    rule=rule,
                )
            else:
                cleaned[element.name] = {
                    "file": safe_display_name(document.filename),
                    "media_type": document.media_type(),
                }
                if documents is not None:
                    documents[element.name] = document
    return cleaned


def placeholder_refusal(label: str, minimum: int, rule: str) -> str:
    return _(
        "Too little to be %(element)s: write at least %(min)s letters or digits (a Chinese, Japanese or Korean "
        "character counts as two). Placeholders such as “x” are not accepted. Required by %(rule)s.",
        element=label,
        min=minimum,
        rule=rule,
    )


# The elements a filer fills in on the form (listings, the statement and the account come from their own fields).
FORM_KINDS = {"text", "confirmation", "file", "choice"}


def _form_element(element) -> dict:
    return {
        "name": element.name,
        "kind": element.kind,
        "label": element_label(element.name),
        "options": [(option, option_label(option)) for option in element.options],
        "asked_by": [],
    }


def notice_form_elements(jurisdiction: Jurisdiction, right_type: str, on: date | None = None) -> list[dict]:
    """The elements a notice of this right type under this jurisdiction asks the filer for, in force on ``on``,
    each with its rule; one asked only after another answer (a utility model's evaluation report) says when."""
    rules = jurisdiction.notice_rules(right_type)
    found = []
    for element in rules.elements if rules else ():
        answers = {name: sorted(values)[0] for name, values in element.when}
        if element.kind not in FORM_KINDS or not element.applies_to(right_type, answers, on):
            continue
        found.append(
            dict(
                _form_element(element),
                asked_by=[str(element.citation)],
                when=[
                    (element_label(name), ", ".join(option_label(v) for v in sorted(values)))
                    for name, values in element.when
                ],
            )
        )
    return found


def element_catalogue(all_jurisdictions: dict[str, Jurisdiction]) -> list[dict]:
    """Every element a notice form must offer, once each, with who asks for it and under which rule."""
    found: dict[str, dict] = {}
    for jurisdiction in all_jurisdictions.values():
        for right_type, rules in jurisdiction.notice.items():
            for element in rules.elements:
                if element.kind not in FORM_KINDS:
                    continue
                entry = found.setdefault(element.name, _form_element(element))
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
        dict(_form_element(e), asked_by=[str(e.citation)])
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


def measure_catalogue(procedures) -> list[dict]:
    """Each measure a notice may ask for, with the procedures that allow it at notice time and their rules."""
    return [
        {
            "kind": kind,
            "label": notice_measure_label(kind),
            "allowed_by": sorted(
                {f"{p.code}: {p.notice_measures[kind].citation}" for p in procedures if kind in p.notice_measures}
            ),
        }
        for kind in NOTICE_MEASURE_KINDS
    ]


def _codes(raw, fields: dict, key: str) -> list[str]:
    """Country codes from a list (API) or a comma-separated line (web form), each checked, in order, once."""
    if raw in (None, "", []):
        return []
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list) or len(items) > 250:
        fields[key] = _("Name the countries as two-letter codes, such as DE, FR.")
        return []
    found: list[str] = []
    for item in items:
        code = check_country(item.strip() if isinstance(item, str) else "", fields, key)
        if key in fields:
            return []
        if code not in found:
            found.append(code)
    return found


def check_notice_measure(
    procedure: Procedure, jurisdiction: Jurisdiction, market: str | None, data: dict, fields: dict
) -> dict:
    """The territories where the right is held and the measure the notice asks for, checked against what the
    procedure allows at notice time (``notice_measures``); what to keep with the notice. Problems go into
    ``fields``. No measure named: the procedure's take-down of the listings, as before."""
    kept: dict = {}
    territories = _codes(data.get("territories"), fields, "territories")
    if territories:
        members = jurisdiction.member_states
        place = market or jurisdiction.code
        if (place not in territories) and not (members and not market and set(territories) & set(members)):
            fields["territories"] = _(
                "The right is not held where this notice is filed (%(place)s): rights are territorial, so name "
                "that territory among those where the right is held, or file where the right is held.",
                place=territory_name(place),
            )
        kept["territories"] = territories
    raw = data.get("measure")
    if raw in (None, "", {}) or (isinstance(raw, dict) and not raw.get("kind")):
        return kept
    if not isinstance(raw, dict):
        fields["measure"] = _("The measure must be an object with a kind.")
        return kept
    allowed = [k for k in NOTICE_MEASURE_KINDS if k in procedure.notice_measures]
    kind = raw.get("kind")
    if kind not in allowed:
        fields["measure.kind"] = (
            _(
                "Under this procedure a notice may ask for: %(kinds)s.",
                kinds="; ".join(notice_measure_label(k) for k in allowed),
            )
            if allowed
            else _("Under this procedure the platform takes no measure on a notice.")
        )
        return kept
    measure: dict = {"kind": kind}
    if kind == "not_purchasable_in":
        regions = _codes(raw.get("regions"), fields, "measure.regions")
        if not regions and "measure.regions" not in fields:
            fields["measure.regions"] = _("Name the regions where the listings may not be bought (two-letter codes).")
        elif not territories and "territories" not in fields:
            fields["territories"] = _(
                "Name the territories where the right is held: a sales restriction is limited to them."
            )
        else:
            outside = [r for r in regions if r not in territories]
            if outside and "territories" not in fields:
                fields["measure.regions"] = _(
                    "The right is not held in %(outside)s: a measure may restrict sales only where the right is "
                    "held (%(territories)s).",
                    outside=", ".join(territory_name(r) for r in outside),
                    territories=", ".join(territory_name(t) for t in territories),
                )
        measure["regions"] = sorted(regions)
    if kind == "remove_element":
        measure["element"] = clean_text(raw.get("element"), fields, "measure.element", max_length=500)
    measure["rule"] = str(procedure.notice_measures[kind].citation)
    kept["measure"] = measure
    return kept
