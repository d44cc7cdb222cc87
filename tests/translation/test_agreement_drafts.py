"""An accepted offer's draft agreement: the other party's language version pre-filled by the installed models
(the tiny offline packages of this folder's conftest), marked as machine-translated until a person approves it."""

import pytest

from odr.cases import services
from odr.mediation import signing
from odr.mediation.agreement import agreement_context
from tests.mediation.conftest import open_case

pytestmark = pytest.mark.e2e

OFFER = "We remove the listing and pay 300 EUR."


def test_the_other_language_is_machine_translated_and_marked_until_approved(world):
    world.holder.party.preferred_language = "en"  # en -> zh and en -> es are installed here
    case_id = open_case(world)
    offer = services.add_filing(
        world.holder,
        case_id,
        {"kind": "offer", "language": "en", "text": OFFER, "terms": {"amount": "300", "currency": "EUR"}},
    ).obj
    draft = signing.accept_offer(world.seller, case_id, offer.id)
    assert draft.terms["versions"]["en"] == OFFER
    chinese = draft.terms["versions"]["zh"]
    assert chinese and chinese != OFFER  # written by the model, not copied
    assert draft.terms["machine_translated"] == ["zh"]
    context = agreement_context(draft.case)
    marked = {v["language"]: v["translation_line"] for v in context["versions"]}
    assert marked["en"] == "" and marked["zh"]  # said in the Chinese version itself
    signing.approve_version(world.seller, case_id, "zh")
    assert agreement_context(draft.case)["awaiting_approval"] == []
