"""Trusted flaggers (DSA Art. 22) and the good-faith lane: marked, ordered first, no step of the procedure skipped."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from odr.accounts.models import Role
from odr.cases import services as cases
from odr.cases.models import Event
from odr.conduct import services
from odr.conduct.policy import policy
from odr.errors import Forbidden, ValidationFailed
from odr.extensions import db
from odr.models_base import utcnow
from tests.conftest import make_account, notice_data

AWARD = {
    "name": "Fédération des marques",
    "member_state": "FR",
    "areas": ["trademark"],
    "reference": "ARCOM-TF-2025-007",
    "awarded_on": "2025-06-01",
    "source": "https://digital-strategy.ec.europa.eu/en/policies/trusted-flaggers-under-dsa",
}


def register(world, **overrides):
    data = {**AWARD, "party_id": world.stranger_holder.party_id, **overrides}
    return services.do_register_trusted_flagger(world.admin, data)


def test_registry_needs_an_administrator_and_complete_entries(world, api):
    with pytest.raises(Forbidden):
        services.do_register_trusted_flagger(world.holder, {**AWARD, "party_id": world.holder.party_id})
    with pytest.raises(ValidationFailed) as refused:
        register(world, member_state="US", areas=["trade secrets"], awarded_on="June", source="ftp://x")
    assert set(refused.value.fields) == {"member_state", "areas", "awarded_on", "source"}
    with pytest.raises(ValidationFailed) as refused:
        register(world, areas=[{"a": 1}], party_id="1")
    assert set(refused.value.fields) == {"areas", "party_id"}
    assert services.trusted_flaggers() == []
    register(world)
    listed = api(world.holder).get("/conduct/trusted-flaggers").get_json()["trusted_flaggers"]
    assert [(f["name"], f["member_state"], f["reference"], f["awarded_on"]) for f in listed] == [
        ("Fédération des marques", "FR", "ARCOM-TF-2025-007", "2025-06-01")
    ]


@pytest.mark.postgres
def test_a_trusted_flaggers_notice_is_marked_and_ordered_first_without_skipping_the_sellers_rights(world, api):
    ordinary = cases.file_notice(world.holder, notice_data(jurisdiction="EU")).obj
    register(world)
    flagged = cases.file_notice(world.stranger_holder, notice_data(jurisdiction="EU")).obj
    marks = db.session.scalars(db.select(Event).where(Event.kind == "notice_lane_set")).all()
    assert [(m.case_id, m.payload["lane"], m.payload["trusted_flagger"]["reference"]) for m in marks] == [
        (flagged.id, "trusted_flagger", "ARCOM-TF-2025-007")
    ]
    queue = api(world.admin).get("/conduct/queue").get_json()["queue"]
    assert [e["case_id"] for e in queue] == [flagged.id, ordinary.id], "filed later, looked at first"
    assert queue[0]["lane"] == "trusted_flagger" and queue[1]["lane"] == "standard"
    # The seller's rights: the same procedure, state and deadlines as an ordinary notice.
    assert (flagged.procedure_code, flagged.state) == (ordinary.procedure_code, ordinary.state)
    seller = api(world.seller)
    periods = [
        [(d["timer"], d["due_at"][:10]) for d in seller.get(f"/cases/{c.id}").get_json()["deadlines"]]
        for c in (ordinary, flagged)
    ]
    assert [t for t, _ in periods[0]] == [t for t, _ in periods[1]]
    page = api(world.mediator).get("/conduct/queue")
    assert page.status_code == 200 and page.get_json()["queue"] == [], "a mediator sees only its cases"
    assert api(world.holder).get("/conduct/queue").status_code == 403


def test_status_only_within_its_areas_in_the_eu_and_while_in_force(world):
    flagger = register(world)
    copyright_notice = cases.file_notice(
        world.stranger_holder, notice_data(jurisdiction="EU", right_type="copyright")
    ).obj
    assert services.trusted_flagger_for(copyright_notice, utcnow()) is None
    us_notice = cases.file_notice(world.stranger_holder, notice_data(jurisdiction="US")).obj
    assert services.trusted_flagger_for(us_notice, utcnow()) is None
    eu_notice = cases.file_notice(world.stranger_holder, notice_data(jurisdiction="EU")).obj
    assert services.trusted_flagger_for(eu_notice, utcnow()) == flagger
    revoked = utcnow().date()
    services.do_revoke_trusted_flagger(world.admin, flagger.id, {"revoked_on": revoked.isoformat()})
    assert services.trusted_flagger_for(eu_notice, utcnow()) is None
    assert flagger.in_force(revoked - timedelta(days=1)) and not flagger.in_force(revoked)
    assert not flagger.in_force(date(2025, 5, 31)) and flagger.in_force(date(2025, 6, 1))


def test_good_faith_criteria_at_their_edges_and_shown_to_the_notifier(world, browser):
    rules = policy().good_faith
    n = rules.minimum_notices
    allowed_wrong = int(n * (1 - rules.minimum_accuracy) + 1e-9)
    assert not rules.qualifies(n - 1, 0, 0) and rules.qualifies(n, 0, 0) and rules.qualifies(n + 1, 0, 0)
    assert rules.qualifies(n, allowed_wrong, 0) and not rules.qualifies(n, allowed_wrong + 1, 0)
    assert not rules.qualifies(n, 0, 1), "one notice found malicious ends the lane"

    agency = make_account(Role.RIGHT_HOLDER, "agency@example.ie", country="IE", language="en", tz="Europe/Dublin")
    at = utcnow() - timedelta(days=30)
    for _ in range(n - 1):
        cases.file_notice(agency, notice_data(jurisdiction="GB"), at=at)
    assert services.good_faith_standing(agency.party)["qualifies"] is False
    cases.file_notice(agency, notice_data(jurisdiction="GB"), at=at)
    standing = services.good_faith_standing(agency.party)
    assert standing["qualifies"] is True and standing["filed"] == n
    later = cases.file_notice(agency, notice_data(jurisdiction="GB")).obj
    assert services.lane_of(later, utcnow())[0] == "good_faith"
    page = browser(agency).get("/conduct/record").get_data(as_text=True)
    assert "Good-faith programme" in page and f"at least {n} notices" in page


@pytest.mark.postgres
def test_a_registered_trusted_flaggers_notice_is_decided_first_in_the_dsa_review_queue(world):
    from odr.dsa import services as dsa
    from tests.dsa.test_dsa import T0, file_eu

    first = file_eu(world, at=T0)
    register(world, party_id=world.holder.party_id, awarded_on="2026-01-15")
    flagged = file_eu(world, at=T0 + timedelta(hours=1))
    queue = dsa.review_queue(world.admin, now=T0 + timedelta(days=3))
    assert [row.review.case_id for row in queue] == [flagged.id, first.id]
    assert queue[0].review.priority and "ARCOM-TF-2025-007" in queue[0].review.trusted_flagger
    assert not queue[1].review.priority, "the same notifier's notice before the award is ordinary"
