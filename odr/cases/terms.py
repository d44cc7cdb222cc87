"""The structured part of a filing (``Filing.terms``), one typed shape per kind of filing.

``check_terms`` is applied by ``record_filing`` to every filing, whatever path files it, so a shape
that no reader expects (a typo in a key, a number where the agreement reader expects text) never
reaches the database, the case page or a court bundle.
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypedDict, Union

from odr.cases.models import FilingKind


class NoticeElements(TypedDict):
    """A notice or counter-notice: the elements its governing law asks for (jurisdictions/*.yaml)."""

    elements: dict[str, Any]


class NoticeTerms(NoticeElements, total=False):
    """A notice: its elements, where the right is held and the measure it asks for (check_notice_measure)."""

    territories: list[str]  # country codes
    measure: dict[str, Any]  # kind (take_down | not_purchasable_in | remove_element), regions or element, rule
    identity_verified_on: str  # ISO date: the platform had verified the identity stated (odr/cases/verification)


class OfferTerms(TypedDict, total=False):
    """Money and listing terms of an offer or a settlement proposal."""

    amount: str  # decimal as text, two places: "1500.00"
    currency: str  # ISO 4217
    listing_measure: str  # keep | remove | modify | geo_restrict
    regions: list[str]  # country codes where a geo_restrict listing may not be bought (only with geo_restrict)
    licence: str


class SettlementTerms(OfferTerms, total=False):
    """A settlement proposal: an offer's terms, and for an agreement its versions and measures."""

    authoritative_language: str
    versions: dict[str, str]  # language -> text
    measures: list[dict[str, Any]]  # odr.mediation.measures.parse_measures
    blind_bidding_id: int
    neutral_evaluation_id: int
    prevailing_side: str
    offer_id: int  # the accepted offer this agreement was drafted from
    machine_translated: list[str]  # language versions pre-filled by machine translation, awaiting approval
    licences: dict[str, str]  # language -> the licence term in that version


class DecisionTerms(TypedDict):
    """A court's decision as the platform carries it out."""

    outcome: str  # upheld | partly_upheld | dismissed
    # keep_in_force | take_down | restore | modify | region_restrict | remove_element (odr.export.court);
    # decisions entered before these names: keep | remove | modify | geo_restrict
    listing_measure: str
    measure_details: dict[str, Any]  # regions, element or instructions, as the measure needs
    amounts: list[dict[str, Any]]
    court_reference: str


class ReportTerms(TypedDict):
    """A report of a complaint or lawsuit, or of its end (odr.cases.reports)."""

    step: str  # the procedure's step the report takes
    forum: str  # authority | court
    body: str  # the authority or court
    case_number: str
    document: str  # acceptance_notice | decision: what the attached document is
    outcome: str  # for the end of a matter: dismissed | withdrawn | infringement_found; else ""


TERMS: dict[FilingKind, type | None] = {
    FilingKind.NOTICE: NoticeTerms,
    FilingKind.COUNTER_NOTICE: NoticeElements,
    FilingKind.RESPONSE: None,
    FilingKind.MESSAGE: None,
    FilingKind.OFFER: OfferTerms,
    FilingKind.SETTLEMENT: SettlementTerms,
    FilingKind.DECISION: DecisionTerms,
    FilingKind.REPORT: ReportTerms,
}


class TermsShapeError(ValueError):
    """Terms that do not have the shape of their kind of filing (a programming error, never user input)."""


def check_terms(kind: FilingKind, terms: dict[str, Any] | None) -> None:
    """Raise TermsShapeError unless ``terms`` has the shape declared for ``kind`` (or is empty)."""
    if not terms:
        return
    schema = TERMS[kind]
    if schema is None:
        raise TermsShapeError(f"a {kind.value} carries no terms, got {sorted(terms)}")
    hints = typing.get_type_hints(schema)
    unknown = set(terms) - set(hints)
    if unknown:
        raise TermsShapeError(f"unknown {kind.value} terms: {sorted(unknown)}")
    missing: set[str] = set(getattr(schema, "__required_keys__", frozenset())) - set(terms)
    if missing:
        raise TermsShapeError(f"{kind.value} terms lack {sorted(missing)}")
    for key, value in terms.items():
        if not _is_a(value, hints[key]):
            raise TermsShapeError(f"{kind.value} term {key!r} should be {hints[key]}, got {type(value).__name__}")


def _is_a(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_is_a(value, arm) for arm in typing.get_args(hint))
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if origin is None:
        return isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    if not isinstance(value, origin):
        return False
    args = typing.get_args(hint)
    if origin is list and args:
        return all(_is_a(item, args[0]) for item in value)
    if origin is dict and args:
        return all(_is_a(k, args[0]) and _is_a(v, args[1]) for k, v in value.items())
    return True
