"""Issue 12 item 2 (Platform Rule 11): the court's decision names the measure it orders, for what it does.

No default: a decision entered without a measure is refused, so an upheld decision can no longer restore
the listings because the clerk left the measure at "keep". Each choice orders its own measure.
"""

from __future__ import annotations

import io

import pytest

from odr.errors import ValidationFailed
from odr.export import court
from odr.extensions import db
from odr.mediation.models import Measure
from tests.export.conftest import escalate

PDF = b"%PDF-1.7\n% signed decision\n" + b"0" * 200


def decide(world, case, **data):
    decision = {"outcome": "upheld", "language": "en", "text": "Infringement found.", **data}
    return court.decide(world.court, case.id, decision, court.Upload(io.BytesIO(PDF), "decision.pdf"))


def ordered(case) -> list[Measure]:
    return db.session.scalars(db.select(Measure).where(Measure.case_id == case.id).order_by(Measure.id)).all()


@pytest.mark.parametrize("left", [None, "", "keep", "remove", "geo_restrict"])
def test_an_upheld_decision_without_an_explicit_measure_is_refused_and_restores_nothing(world, left):
    case = escalate(world)
    before = [m.kind.value for m in ordered(case)]
    with pytest.raises(ValidationFailed) as refusal:
        decide(world, case, **({} if left is None else {"listing_measure": left}))
    assert "listing_measure" in refusal.value.fields
    db.session.expire_all()
    assert [m.kind.value for m in ordered(case)] == before
    assert case.state == "escalated"


def test_keeping_the_measures_in_force_orders_nothing_and_undoes_nothing(world):
    case = escalate(world)
    before = [m.kind.value for m in ordered(case)]
    assert before[-1] == "take_down"  # taken at notice time (CN Art. 42)
    decide(world, case, listing_measure="keep_in_force")
    db.session.expire_all()
    assert [m.kind.value for m in ordered(case)] == before
    assert case.state == "decided"


@pytest.mark.parametrize(
    ("measure", "extra", "kind", "details"),
    [
        ("take_down", {}, "take_down", {}),
        ("restore", {}, "restore", {}),
        ("region_restrict", {"regions": ["DE", "fr"]}, "not_purchasable_in", {"regions": ["DE", "FR"]}),
        ("remove_element", {"element": "background music"}, "remove_element", {"element": "background music"}),
        ("modify", {"instructions": "Remove the logo"}, "modify", {"instructions": "Remove the logo"}),
    ],
)
def test_each_choice_orders_what_it_names_on_every_listing(world, measure, extra, kind, details):
    case = escalate(world)
    count = len(ordered(case))
    decide(world, case, listing_measure=measure, **extra)
    new = ordered(case)[count:]
    assert {m.listing for m in new} == {item.locator for item in case.listings}
    assert {m.kind.value for m in new} == {kind} and all(m.details == details for m in new)


@pytest.mark.parametrize(("measure", "field"), [("region_restrict", "regions"), ("remove_element", "element")])
def test_a_measure_that_needs_details_is_refused_without_them(world, measure, field):
    case = escalate(world)
    with pytest.raises(ValidationFailed) as refusal:
        decide(world, case, listing_measure=measure)
    assert field in refusal.value.fields
