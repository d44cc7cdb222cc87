"""A caucus message between the mediator and one party is never visible to the other party, by any route."""

import pytest

from odr.cases import services
from odr.cases.access import visible_filings
from odr.errors import ValidationFailed
from tests.mediation.conftest import every_route_text, export_text

pytestmark = pytest.mark.e2e

TO_SELLER = "Caucus: the holder would accept 900, keep this between us"
FROM_SELLER = "卖家私下说明：我们最多可以支付六百欧元"


def _caucus(world, case_id):
    services.add_filing(
        world.mediator, case_id, {"kind": "message", "language": "en", "text": TO_SELLER, "caucus": "respondent"}
    )
    services.add_filing(
        world.seller, case_id, {"kind": "message", "language": "zh", "text": FROM_SELLER, "caucus": True}
    )


def test_the_other_party_never_reads_a_caucus_by_any_route(world, api, browser, case_id):
    _caucus(world, case_id)
    seen_by_holder = every_route_text(world, api, browser, world.holder, case_id)
    assert TO_SELLER not in seen_by_holder and FROM_SELLER not in seen_by_holder
    # Not even a digest of the text, nor its language, reaches the shared timeline.
    events = api(world.holder).get(f"/cases/{case_id}/events").get_json()["events"]
    caucus_events = [e for e in events if e["kind"] == "caucus_message_filed"]
    # (effective_at: the chain's times never decrease, and this case's clock was moved ahead by a sweep.)
    assert len(caucus_events) == 2 and all(set(e["payload"]) <= {"effective_at"} for e in caucus_events)
    # The filing IDs do not open it either.
    holder_filings = api(world.holder).get(f"/cases/{case_id}").get_json()["filings"]
    assert all(not f["caucus"] for f in holder_filings)


def test_the_party_in_the_caucus_and_the_mediator_read_it(world, api, browser, case_id):
    _caucus(world, case_id)
    for account in (world.seller, world.mediator):
        seen = every_route_text(world, api, browser, account, case_id)
        assert TO_SELLER in seen and FROM_SELLER in seen
        filings = api(account).get(f"/cases/{case_id}").get_json()["filings"]
        assert [f["caucus"] for f in filings if f["kind"] == "message"] == [True, True]


def test_a_caucus_with_the_right_holder_is_hidden_from_the_seller(world, api, browser, case_id):
    services.add_filing(
        world.holder,
        case_id,
        {"kind": "message", "language": "es", "caucus": "1", "text": "Aceptaríamos 500 EUR como mínimo"},
    )
    assert "500 EUR como" not in every_route_text(world, api, browser, world.seller, case_id)
    assert "500 EUR como" in every_route_text(world, api, browser, world.holder, case_id)


def test_administrators_and_the_court_do_not_read_caucuses(world, api, case_id):
    _caucus(world, case_id)
    case = services.get_case(world.admin, case_id)
    assert all(not f.is_caucus for f in visible_filings(world.admin, case))
    assert all(not f.is_caucus for f in visible_filings("court", case))
    assert TO_SELLER not in api(world.admin).get(f"/cases/{case_id}").get_data(as_text=True)


def test_the_court_export_carries_no_caucus(world, api, case_id):
    _caucus(world, case_id)
    assert api(world.holder).post(f"/cases/{case_id}/actions/escalate").status_code == 200
    exported = export_text(api(world.court), case_id)
    assert TO_SELLER not in exported and FROM_SELLER not in exported


def test_caucus_rules(world, case_id):
    with pytest.raises(ValidationFailed) as refused:
        services.add_filing(
            world.mediator, case_id, {"kind": "message", "language": "en", "text": "x", "caucus": "everyone"}
        )
    assert "caucus" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        services.add_filing(
            world.seller,
            case_id,
            {
                "kind": "offer",
                "language": "zh",
                "text": "x",
                "caucus": True,
                "terms": {"amount": "1", "currency": "EUR"},
            },
        )
    assert "caucus" in refused.value.fields


def test_no_caucus_without_a_mediator(world):
    from tests.mediation.conftest import open_case

    case_id = open_case(world)
    with pytest.raises(ValidationFailed) as refused:
        services.add_filing(world.seller, case_id, {"kind": "message", "language": "zh", "text": "x", "caucus": True})
    assert "caucus" in refused.value.fields


def test_a_caucus_sent_from_the_case_page_stays_private(world, browser, case_id):
    mediator = browser(world.mediator)
    page = mediator.get(f"/cases/{case_id}")
    assert "caucus" in page.get_data(as_text=True)
    sent = mediator.post(
        f"/cases/{case_id}/filings",
        {"kind": "message", "language": "de", "caucus": "claimant", "text": "Vertraulich an die Rechteinhaberin"},
        form_page=f"/cases/{case_id}",
    )
    assert sent.status_code == 302
    assert "Vertraulich an die" in browser(world.holder).get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Vertraulich an die" not in browser(world.seller).get(f"/cases/{case_id}").get_data(as_text=True)
