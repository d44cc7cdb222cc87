"""Platform Rule 9: the measures a settlement names are ordered from the platform as agreed.

An accepted offer's or blind bidding's listing term is such a measure: once both parties have signed, the platform
is ordered exactly that measure on every listing, a restriction taken under the procedure that the agreement does
not keep is lifted first, and both parties are told what the platform was ordered, each in their language.
"""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from odr.accounts.models import Role
from odr.cases import services
from odr.cases.models import Case
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.mediation import bidding
from odr.mediation.measures import case_measures, measure_title, standing_measures
from odr.notifications.models import Delivery
from odr.procedure.services import measures_standing
from tests.conftest import make_account, sign
from tests.mediation.conftest import mediated_case, open_case, settle_as_drafted

pytestmark = pytest.mark.e2e

LISTINGS = ["https://shop.example/item/1", "item-2"]  # notice_data()'s
OFFER = "Retiramos el anuncio y pagamos 300 EUR."


def _offer(world, case_id, **terms):
    return services.add_filing(
        world.holder,
        case_id,
        {"kind": "offer", "language": "es", "text": OFFER, "terms": {"amount": "300", "currency": "EUR", **terms}},
    ).obj


def _agreement(world, api, case_id) -> dict:
    """The current agreement, its machine-translated version approved by the seller."""
    draft = api(world.seller).get(f"/cases/{case_id}/agreement").get_json()
    for language in draft["awaiting_approval"]:
        assert api(world.seller).post(f"/cases/{case_id}/agreement/approve", {"language": language}).status_code == 200
    return api(world.holder).get(f"/cases/{case_id}/agreement").get_json()


def _accepted_and_signed_by_the_holder(world, api, case_id, offer) -> dict:
    accepted = api(world.seller).post(f"/cases/{case_id}/offers/{offer.id}/accept")
    assert accepted.status_code == 201, accepted.get_json()
    draft = _agreement(world, api, case_id)
    assert sign(api(world.holder), case_id, draft).status_code == 200
    return draft


def _measures(case_id, since: int = 0) -> list[tuple[str, str, str, dict]]:
    case = db.session.get(Case, case_id)
    return [(m.kind.value, m.listing, m.ground, m.details) for m in case_measures(case)][since:]


def _served(case_id, act) -> dict[str, str]:
    """What each case role was served of ``act`` in the inbox: the statement's text ("" without one)."""
    rows = db.session.scalars(
        select(Delivery).where(Delivery.case_id == case_id, Delivery.act == act, Delivery.channel == "inbox")
    )
    return {row.role: (row.statement or {}).get("text", "") for row in rows}


def _standing(case_id) -> dict[str, tuple[str, str]]:
    case = db.session.get(Case, case_id)
    return {listing: (m.kind.value, m.ground) for listing, m in standing_measures(case).items()}


def _title(kind: str, locale: str) -> str:
    with force_locale(locale):
        return measure_title(kind)


def test_an_accepted_offer_to_remove_the_listings_orders_their_takedown_once_both_have_signed(world, api):
    case_id = open_case(world)  # Chinese procedure: the listings were taken down on the notice
    before = _measures(case_id)
    assert [kind for kind, *_ in before] == ["take_down", "take_down"]
    draft = _accepted_and_signed_by_the_holder(world, api, case_id, _offer(world, case_id, listing_measure="remove"))
    # One signature orders nothing and tells nobody anything about measures.
    assert _measures(case_id, len(before)) == [] and _served(case_id, "settlement_measures") == {}

    assert sign(api(world.seller), case_id, draft).get_json()["state"] == "settled"
    ordered = _measures(case_id, len(before))
    assert [(kind, listing, ground) for kind, listing, ground, _d in ordered] == [
        ("take_down", listing, "settlement") for listing in LISTINGS
    ]
    # The takedown is what the agreement keeps: nothing is lifted, and the takedown stands on the agreement.
    assert _served(case_id, "lift_measures") == {}
    assert _standing(case_id) == {listing: ("take_down", "settlement") for listing in LISTINGS}
    # Both parties are told what the platform was ordered, each in their language; the platform confirms it.
    told = _served(case_id, "settlement_measures")
    assert set(told) == {"claimant", "respondent"}
    assert _title("take_down", "es") in told["claimant"] and _title("take_down", "zh_Hans") in told["respondent"]
    assert all(listing in text for listing in LISTINGS for text in told.values())
    platform = api(make_account(Role.PLATFORM_CLIENT, "api@marketplace.example", country="SG", language="en"))
    received = [m for m in platform.get("/measures").get_json()["measures"] if m["case_id"] == case_id]
    assert [(m["kind"], m["listing"], m["filing_id"]) for m in received if m["ground"] == "settlement"] == [
        ("take_down", listing, draft["filing_id"]) for listing in LISTINGS
    ]


def test_an_agreement_to_keep_the_listings_lifts_the_takedown_and_orders_nothing_else(world, api):
    case_id = open_case(world)
    count = len(_measures(case_id))
    draft = _accepted_and_signed_by_the_holder(world, api, case_id, _offer(world, case_id, listing_measure="keep"))
    assert sign(api(world.seller), case_id, draft).get_json()["state"] == "settled"
    ordered = _measures(case_id, count)
    assert [(kind, listing) for kind, listing, _g, _d in ordered] == [("restore", listing) for listing in LISTINGS]
    assert all("Rule 9" in ground for _k, _l, ground, _d in ordered)  # lifted under the settlement's rule
    assert {kind for kind, _g in _standing(case_id).values()} == {"restore"}
    # The parties are served the lifting; no other measure was ordered, so nothing else is said.
    assert set(_served(case_id, "lift_measures")) == {"claimant", "respondent"}
    assert _served(case_id, "settlement_measures") == {}


def test_a_restriction_by_region_is_ordered_in_the_agreed_regions_after_the_takedown_is_lifted(world, api):
    case_id = open_case(world)
    count = len(_measures(case_id))
    offer = _offer(world, case_id, listing_measure="geo_restrict", regions="fr, DE")
    assert offer.terms["regions"] == ["DE", "FR"]
    draft = _accepted_and_signed_by_the_holder(world, api, case_id, offer)
    assert any("(DE, FR)" in clause for v in draft["versions"] for clause in v["clauses"])
    assert sign(api(world.seller), case_id, draft).get_json()["state"] == "settled"
    ordered = _measures(case_id, count)
    assert [(kind, listing) for kind, listing, _g, _d in ordered] == [
        *(("restore", listing) for listing in LISTINGS),
        *(("not_purchasable_in", listing) for listing in LISTINGS),
    ]
    assert [details for kind, _l, _g, details in ordered if kind == "not_purchasable_in"] == [
        {"regions": ["DE", "FR"]}
    ] * 2
    assert _standing(case_id) == {listing: ("not_purchasable_in", "settlement") for listing in LISTINGS}
    told = _served(case_id, "settlement_measures")
    assert set(told) == {"claimant", "respondent"} and all("(DE, FR)" in text for text in told.values())
    assert _title("not_purchasable_in", "zh_Hans") in told["respondent"]
    assert _title("restore", "es") not in told["claimant"]  # the lifting is served on its own
    assert set(_served(case_id, "lift_measures")) == {"claimant", "respondent"}


def test_blind_bidding_settled_and_signed_orders_the_listing_measure_agreed_before_anyone_bid(world, api):
    case_id = open_case(world)
    count = len(_measures(case_id))
    bidding.open_bidding(world.holder, case_id, {"currency": "EUR", "listing_measure": "modify", "max_rounds": 2})
    bidding.submit_bid(world.holder, case_id, "1000", accept_rules=True)
    bidding.submit_bid(world.seller, case_id, "900", accept_rules=True)
    draft = _agreement(world, api, case_id)
    assert draft["terms"]["listing_measure"] == "modify"
    assert sign(api(world.holder), case_id, draft).status_code == 200
    assert _measures(case_id, count) == []
    assert sign(api(world.seller), case_id, draft).get_json()["state"] == "settled"
    ordered = _measures(case_id, count)
    assert [kind for kind, *_ in ordered] == ["restore", "restore", "modify", "modify"]
    # The modification as the agreement words it, for the platform to apply.
    authoritative = next(v["text"] for v in draft["versions"] if v["authoritative"])
    assert {details["instructions"] for kind, _l, _g, details in ordered if kind == "modify"} == {authoritative}
    assert {kind for kind, _g in _standing(case_id).values()} == {"modify"}
    assert _title("modify", "es") in _served(case_id, "settlement_measures")["claimant"]


def test_a_restriction_by_region_needs_its_regions_and_regions_need_that_restriction(world):
    case_id = open_case(world)
    for terms, field in (
        ({"listing_measure": "geo_restrict"}, "terms.regions"),
        ({"listing_measure": "geo_restrict", "regions": "XX"}, "terms.regions"),
        ({"listing_measure": "remove", "regions": "DE"}, "terms.regions"),
        ({"regions": ["DE"]}, "terms.regions"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            _offer(world, case_id, **terms)
        assert field in refused.value.fields, (terms, refused.value.fields)
    for rules, field in (
        ({"listing_measure": "geo_restrict"}, "regions"),
        ({"listing_measure": "keep", "regions": "DE"}, "regions"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            bidding.open_bidding(world.holder, case_id, {"currency": "EUR", **rules})
        assert field in refused.value.fields
    opened = bidding.open_bidding(
        world.holder, case_id, {"currency": "EUR", "listing_measure": "geo_restrict", "regions": "es,IT"}
    )
    assert opened.listing_regions == ["ES", "IT"]


# -- measures named listing by listing in a drafted agreement -----------------------------------------------


def _settled_as_drafted(world, api, case_id, measures: list[dict]) -> None:
    settle_as_drafted(world, api, case_id, measures)
    assert db.session.get(Case, case_id).state == "settled"


def test_measures_that_put_every_listing_back_online_lift_the_takedown_first(world, api):
    case_id = mediated_case(world)
    count = len(_measures(case_id))
    assert _standing(case_id) == {listing: ("take_down", _standing(case_id)[listing][1]) for listing in LISTINGS}
    _settled_as_drafted(
        world,
        api,
        case_id,
        [
            {"kind": "restore", "listing": LISTINGS[0]},
            {"kind": "remove_element", "listing": LISTINGS[1], "element": "background music"},
        ],
    )
    ordered = _measures(case_id, count)
    # The procedure's lifting restores both listings; the agreement's restore of the first is not ordered again.
    assert [(kind, listing) for kind, listing, _g, _d in ordered] == [
        *(("restore", listing) for listing in LISTINGS),
        ("remove_element", LISTINGS[1]),
    ]
    assert _standing(case_id) == {
        LISTINGS[0]: ("restore", ordered[0][2]),
        LISTINGS[1]: ("remove_element", "settlement"),
    }
    assert not measures_standing(db.session.get(Case, case_id))  # the procedure's takedown no longer stands
    assert set(_served(case_id, "lift_measures")) == {"claimant", "respondent"}
    assert _title("remove_element", "zh_Hans") in _served(case_id, "settlement_measures")["respondent"]


def test_a_listing_kept_offline_or_not_named_keeps_the_procedures_takedown(world, api):
    case_id = mediated_case(world)
    count = len(_measures(case_id))
    procedure_ground = _standing(case_id)[LISTINGS[1]][1]
    _settled_as_drafted(world, api, case_id, [{"kind": "modify", "listing": LISTINGS[0], "instructions": "Sin logo."}])
    assert [(kind, listing) for kind, listing, _g, _d in _measures(case_id, count)] == [("modify", LISTINGS[0])]
    assert _standing(case_id) == {
        LISTINGS[0]: ("modify", "settlement"),
        LISTINGS[1]: ("take_down", procedure_ground),  # not named by the agreement: its measure stands
    }
    assert measures_standing(db.session.get(Case, case_id)) and _served(case_id, "lift_measures") == {}


def test_a_restore_against_a_security_keeps_the_takedown_until_the_security_is_posted(world, api):
    case_id = mediated_case(world)
    count = len(_measures(case_id))
    _settled_as_drafted(
        world,
        api,
        case_id,
        [
            {"kind": "restore", "listing": LISTINGS[0]},
            {"kind": "restore_against_security", "listing": LISTINGS[1], "security_amount": "900", "currency": "EUR"},
        ],
    )
    ordered = _measures(case_id, count)
    assert [(kind, listing) for kind, listing, _g, _d in ordered] == [
        ("restore", LISTINGS[0]),
        ("restore_against_security", LISTINGS[1]),
    ]
    assert measures_standing(db.session.get(Case, case_id)) and _served(case_id, "lift_measures") == {}
