"""The case page's view model offers each reader the actions its services would accept, stage by stage.

Built without HTTP: ``odr.cases.pages.case_page`` for each participant, in each stage of a case.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from odr.accounts.models import Role
from odr.cases import pages, services
from odr.cases.access import get_case
from odr.cases.models import EvidenceFile, FilingKind
from odr.errors import NotFound
from odr.extensions import db
from odr.mediation import bidding, evaluation
from odr.models_base import utcnow
from tests.conftest import make_account, notice_data
from tests.export.conftest import escalate
from tests.mediation.conftest import mediated_case, open_case


def kinds(page) -> set[str]:
    return {k.value for k in page.filing_kinds}


def test_after_the_notice_only_the_seller_answers_and_only_the_right_holder_withdraws(world):
    case_id = services.file_notice(world.holder, notice_data()).obj.id
    holder, seller, admin = (pages.case_page(a, case_id) for a in (world.holder, world.seller, world.admin))
    assert holder.actions == ["withdraw"] and seller.actions == [] and admin.actions == []
    assert {"response", "counter_notice"} <= kinds(seller) and not kinds(holder) & {"response", "counter_notice"}
    assert seller.counter_notice_elements and not holder.counter_notice_elements
    assert not admin.may.file and admin.filing_kinds == []
    # Settling is not possible yet: no bidding and no agreement for anyone.
    for page in (holder, seller, admin):
        ladder = page.panels["ladder"]
        assert not ladder.bidding.may_open and not ladder.may_propose_agreement and not ladder.may_caucus
    # Only the administrator assigns mediators, from the roster.
    assert admin.panels["assignment"].may_assign and admin.panels["assignment"].roster
    assert not holder.panels["assignment"].may_assign and holder.panels["assignment"].roster == []
    assert holder.may.read_timeline and admin.may.read_timeline


def test_the_page_shows_the_cases_listings_in_order_and_each_of_its_evidence_files_once(world):
    case_id = services.file_notice(world.holder, notice_data()).obj.id
    files = db.session.scalars(db.select(EvidenceFile).where(EvidenceFile.case_id == case_id).order_by(EvidenceFile.id))
    stored = [(f.id, f.original_name, f.media_type, f.size, f.sha256) for f in files]
    page = pages.case_page(world.seller, case_id)
    assert page.listings == ["https://shop.example/item/1", "item-2"]
    assert [(e.id, e.original_name, e.media_type, e.size, e.sha256) for e in page.evidence] == stored
    assert len(stored) >= 2  # the notice's certificate and its test purchase


@pytest.mark.parametrize("outsider", ["stranger_holder", "stranger_seller", "mediator", "court", "other_court"])
def test_an_outsider_gets_no_page_at_all(world, outsider):
    case_id = open_case(world)
    with pytest.raises(NotFound):
        pages.case_page(getattr(world, outsider), case_id)


def test_in_negotiation_both_parties_bid_offer_and_propose_but_nobody_holds_a_caucus(world):
    case_id = open_case(world)
    for account in (world.holder, world.seller):
        page = pages.case_page(account, case_id)
        ladder = page.panels["ladder"]
        assert {"offer", "settlement", "message"} <= kinds(page)
        assert ladder.bidding.may_open and not ladder.bidding.may_bid and not ladder.bidding.may_set_days
        assert ladder.may_propose_agreement
        assert not ladder.may_caucus  # no mediator has accepted the case
        assert "request_mediation" in page.actions
    assert not pages.case_page(world.admin, case_id).panels["ladder"].bidding.may_open


def test_an_agreement_is_proposed_on_its_own_page_by_those_who_may_propose_one(world):
    """The case page links to the agreement form; the form's page offers each party's language and the case's
    listings, and is no page at all for a reader who may not propose (the administrator) or before the case's stage
    admits a settlement."""
    from odr.mediation import pages as mediation_pages

    before = services.file_notice(world.holder, notice_data()).obj.id
    with pytest.raises(NotFound):
        mediation_pages.agreement_draft_page(world.holder, before)
    case_id = open_case(world)
    for account in (world.holder, world.seller):
        draft = mediation_pages.agreement_draft_page(account, case_id)
        assert draft.languages == ["es", "zh"] and [locator for _id, locator in draft.listings]
        assert "measure_kind_5" in draft.fields and "texts.zh" in draft.fields
    with pytest.raises(NotFound):
        mediation_pages.agreement_draft_page(world.admin, case_id)
    assert not pages.case_page(world.admin, case_id).panels["ladder"].may_propose_agreement


def test_in_facilitated_settlement_the_mediator_holds_caucuses_and_refers_a_claim_to_evaluation(world):
    case_id = mediated_case(world)
    mediator = pages.case_page(world.mediator, case_id)
    ladder = mediator.panels["ladder"]
    assert mediator.roles == {"mediator"}
    assert ladder.may_caucus and ladder.caucus_names_party
    assert ladder.bidding.may_open and ladder.bidding.may_set_days
    assert ladder.evaluation.may_open and world.mediator not in ladder.evaluation.neutrals
    for account in (world.holder, world.seller):
        party = pages.case_page(account, case_id).panels["ladder"]
        assert party.may_caucus and not party.caucus_names_party
        assert not party.evaluation.may_open and not party.bidding.may_set_days


def test_a_bidder_bids_while_rounds_are_left_and_the_other_side_sees_no_amount(world):
    case_id = open_case(world)
    bidding.open_bidding(
        world.holder, case_id, {"currency": "EUR", "listing_measure": "remove", "max_rounds": "1", "gap_percent": "10"}
    )
    holder = pages.case_page(world.holder, case_id).panels["ladder"].bidding
    assert holder.may_bid and holder.must_accept_rules and not holder.may_open  # one bidding at a time
    bidding.submit_bid(world.holder, case_id, "9000", "on")
    holder = pages.case_page(world.holder, case_id).panels["ladder"].bidding
    seller = pages.case_page(world.seller, case_id).panels["ladder"].bidding
    assert not holder.may_bid  # its one round is used
    assert seller.may_bid and seller.view["your_bids"] == []
    assert "9000" not in repr(seller)
    # After the closing instant nobody bids, though the sweep has not run yet.
    later = pages.case_page(world.seller, case_id, now=utcnow() + timedelta(days=31)).panels["ladder"].bidding
    assert not later.may_bid


def test_a_settlement_proposal_is_accepted_once_by_each_party_and_never_by_the_mediator(world):
    case_id = mediated_case(world)
    services.add_filing(
        world.seller,
        case_id,
        {"kind": "settlement", "language": "zh", "text": "和解。", "terms": {"amount": "100", "currency": "EUR"}},
    )
    proposal = services.current_settlement(get_case(world.seller, case_id))
    assert pages.case_page(world.holder, case_id).proposal.may_accept
    assert pages.case_page(world.seller, case_id).proposal.may_accept
    assert not pages.case_page(world.mediator, case_id).proposal.may_accept
    services.accept_settlement(world.holder, case_id, proposal.id)
    holder = pages.case_page(world.holder, case_id).proposal
    assert not holder.may_accept and holder.acceptances == 1
    assert pages.case_page(world.seller, case_id).proposal.may_accept


def test_only_the_court_the_case_went_to_acknowledges_and_decides(world):
    case_id = escalate(world).id
    court = pages.case_page(world.court, case_id)
    assert court.panels["court"].may_acknowledge and court.panels["court"].may_decide
    assert court.may.download_export
    admin = pages.case_page(world.admin, case_id)
    assert admin.may.download_export and admin.panels["court"] is None
    for account in (world.holder, world.seller):
        page = pages.case_page(account, case_id)
        assert page.panels["court"] is None and not page.may.download_export
        assert page.actions == [] and FilingKind.DECISION not in page.filing_kinds
        assert not page.panels["ladder"].bidding.may_open and not page.panels["ladder"].may_propose_agreement


def test_the_navigation_names_the_sections_each_role_has(world):
    holder, seller, mediator, court, admin = (
        pages.navigation(a) for a in (world.holder, world.seller, world.mediator, world.court, world.admin)
    )
    assert holder.may_file_notice and holder.may_deposit and not holder.has_desk
    assert not seller.may_file_notice and seller.may_deposit
    assert mediator.has_desk and not mediator.may_deposit and mediator.audience == "mediator"
    assert court.has_court_inbox and not court.has_desk and court.audience == "court"
    assert admin.audience == "admin" and not (admin.may_file_notice or admin.has_desk or admin.has_court_inbox)


def test_the_dashboard_leads_with_the_cases_that_wait_for_the_reader(world):
    waiting = services.file_notice(world.holder, notice_data()).obj.id  # the seller must answer
    dashboard = pages.dashboard_page(world.seller)
    # The seller's answer is due: it leads the seller's dashboard; the right holder only waits.
    assert [row.case.id for row in dashboard.rows] == [waiting]
    assert [(o.case_id, o.kind, o.role) for o in dashboard.todo] == [(waiting, "procedure", "respondent")]
    holder = pages.dashboard_page(world.holder)
    assert holder.todo == [] and holder.rows[0].next_steps == ["withdraw"] and holder.rows[0].next_due is not None
    assert holder.may_file_notice and not dashboard.may_file_notice
    assert pages.dashboard_page(world.stranger_holder).rows == []


def test_a_side_submits_to_the_neutral_once_and_only_after_its_deposit(world):
    case_id = mediated_case(world)
    neutral = make_account(Role.MEDIATOR, "neutral@example.org", country="NL", language="en", languages="en,es,zh")
    evaluation.open_evaluation(
        world.mediator,
        case_id,
        {
            "claim": "One claim",
            "listings": ["item-2"],
            "neutral_id": str(neutral.id),
            "word_limit": "200",
            "submission_days": "3",
            "deposit_amount": "100",
            "deposit_currency": "EUR",
        },
    )

    def panel(account):
        return pages.case_page(account, case_id).panels["ladder"].evaluation

    assert not panel(world.mediator).may_open and not panel(world.admin).may_open  # one evaluation per case
    assert panel(world.admin).may_record_deposit and not panel(world.mediator).may_record_deposit
    assert not panel(world.holder).may_submit  # no deposit yet
    evaluation.record_deposit(world.admin, case_id, "claimant", "w1")
    assert panel(world.holder).may_submit and not panel(world.seller).may_submit
    evaluation.submit(world.holder, case_id, {"language": "es", "text": "Copian la marca."})
    assert not panel(world.holder).may_submit
