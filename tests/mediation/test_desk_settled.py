"""A settled case stays on the mediator's desk only for its unconfirmed measures: never flagged overdue itself.
And the mediator reads, on the case page, with which party each private caucus message was exchanged."""

from __future__ import annotations

from datetime import timedelta

import lxml.html

from odr.cases import services
from odr.mediation import bidding
from odr.mediation.desk import mediator_desk
from odr.models_base import utcnow


def test_a_settled_case_is_not_flagged_overdue(world, case_id):
    # An open blind bidding would be a clock of the case; the settlement ends them all.
    bidding.open_bidding(
        world.mediator,
        case_id,
        {"currency": "EUR", "listing_measure": "remove", "max_rounds": 3, "gap_percent": 30, "days": 1},
    )
    proposal = services.add_filing(
        world.holder,
        case_id,
        {"kind": "settlement", "language": "es", "text": "Retiran el anuncio.", "terms": {"listing_measure": "remove"}},
    ).obj
    for party in (world.holder, world.seller):
        services.accept_settlement(party, case_id, proposal.id, services.text_sha256(proposal))
    # A day and a half later the bidding's closing time has passed; the measures are not late yet (48 hours).
    desk = mediator_desk(world.mediator, now=utcnow() + timedelta(hours=36))
    (row,) = [r for r in desk.rows if r.case.id == case_id]
    assert row.case.state == "settled" and row.overdue_measures == 0
    assert not row.overdue and not row.due_this_week and row.next_due is None and desk.counts["overdue"] == 0
    # Once a measure is late, that is what flags the case.
    late = mediator_desk(world.mediator, now=utcnow() + timedelta(hours=49))
    assert late.rows[0].overdue and late.rows[0].overdue_measures > 0


def test_each_caucus_message_names_the_party_it_was_exchanged_with(world, browser, case_id):
    services.add_filing(
        world.mediator, case_id, {"kind": "message", "language": "en", "text": "Privately.", "caucus": "respondent"}
    )
    services.add_filing(world.holder, case_id, {"kind": "message", "language": "es", "text": "Solo.", "caucus": True})
    page = lxml.html.fromstring(browser(world.mediator).get(f"/cases/{case_id}").get_data(as_text=True))
    labels = [span.text_content() for span in page.find_class("caucus")]
    assert labels == ["private caucus with the seller", "private caucus with the right holder"]
