"""Neutral evaluation (after Amazon APEX, with reasons): one claim, capped listings, word-limited submissions
before a deadline, a reasoned decision, and loser-pays deposits."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from odr.accounts.models import Role
from odr.extensions import db
from odr.mediation.evaluation import MAX_LISTINGS, word_count
from odr.mediation.models import Measure
from odr.models_base import utcnow
from tests.conftest import evaluation_request, make_account, sign

pytestmark = pytest.mark.e2e

REASONS = (
    "The listing reproduces the registered mark on the bag and its label; the seller showed no licence "
    "or authorised source, so confusion is more likely than not."
)


@pytest.fixture
def neutral(world):
    return make_account(Role.MEDIATOR, "neutral@example.org", country="GB", language="en", languages="en,es")


def _open(api, world, case_id, neutral, **overrides):
    body = evaluation_request(neutral.id, **overrides)
    return api(world.mediator).post(f"/cases/{case_id}/evaluation", body)


def test_full_evaluation_with_loser_pays_deposits(world, api, case_id, neutral):
    opened = _open(api, world, case_id, neutral)
    assert opened.status_code == 201, opened.get_json()
    evaluation = opened.get_json()["evaluation"]
    for side in ("claimant", "respondent"):
        assert (
            api(world.admin)
            .post(f"/cases/{case_id}/evaluation/deposits", {"side": side, "reference": f"wire-{side}"})
            .status_code
            == 201
        )
    assert (
        api(world.holder)
        .post(f"/cases/{case_id}/evaluation/submissions", {"language": "es", "text": "Los bolsos copian la marca."})
        .status_code
        == 201
    )
    assert (
        api(world.seller)
        .post(f"/cases/{case_id}/evaluation/submissions", {"language": "zh", "text": "我们的包是正品。"})
        .status_code
        == 201
    )
    # Only the neutral decides, and only with reasons.
    assert (
        api(world.mediator)
        .post(f"/evaluations/{evaluation['id']}/decision", {"prevailing_side": "claimant"})
        .status_code
        == 404
    )
    short = api(neutral).post(
        f"/evaluations/{evaluation['id']}/decision",
        {"prevailing_side": "claimant", "reasons": "Infringes.", "language": "en"},
    )
    assert short.status_code == 422 and "reasons" in short.get_json()["error"]["fields"]
    decided = api(neutral).post(
        f"/evaluations/{evaluation['id']}/decision",
        {"prevailing_side": "claimant", "reasons": REASONS, "language": "en"},
    )
    assert decided.status_code == 200, decided.get_json()
    result = api(world.seller).get(f"/cases/{case_id}/evaluation").get_json()["evaluation"]
    assert result["decision"]["prevailing_side"] == "claimant" and result["decision"]["reasons"] == REASONS
    assert {d["side"]: d["status"] for d in result["deposits"]} == {"claimant": "refunded", "respondent": "forfeited"}


def test_one_claim_per_case_and_capped_listings(world, api, case_id, neutral):
    too_many = _open(api, world, case_id, neutral, listings=[f"x{i}" for i in range(MAX_LISTINGS + 1)])
    assert too_many.status_code == 422 and "listings" in too_many.get_json()["error"]["fields"]
    foreign = _open(api, world, case_id, neutral, listings=["not-in-this-case"])
    assert foreign.status_code == 422
    assert _open(api, world, case_id, neutral).status_code == 201
    assert _open(api, world, case_id, neutral).status_code == 409


def test_the_neutral_is_not_the_case_mediator_and_has_no_conflict(world, api, case_id):
    own = _open(api, world, case_id, world.mediator)
    assert own.status_code == 422 and "neutral_id" in own.get_json()["error"]["fields"]
    italian = _open(api, world, case_id, world.other_mediator)  # reads neither Spanish nor Chinese
    assert italian.status_code == 422


def test_word_limit_deposit_and_deadline(world, api, case_id, neutral):
    _open(api, world, case_id, neutral, word_limit=100)
    no_deposit = api(world.holder).post(f"/cases/{case_id}/evaluation/submissions", {"language": "es", "text": "x"})
    assert no_deposit.status_code == 409
    api(world.admin).post(f"/cases/{case_id}/evaluation/deposits", {"side": "claimant"})
    too_long = api(world.holder).post(
        f"/cases/{case_id}/evaluation/submissions", {"language": "es", "text": "palabra " * 101}
    )
    assert too_long.status_code == 422 and "101" in too_long.get_json()["error"]["fields"]["text"]
    exactly = api(world.holder).post(
        f"/cases/{case_id}/evaluation/submissions", {"language": "es", "text": "palabra " * 100}
    )
    assert exactly.status_code == 201
    from odr.errors import NotAllowed
    from odr.mediation import evaluation

    api(world.admin).post(f"/cases/{case_id}/evaluation/deposits", {"side": "respondent"})
    with pytest.raises(NotAllowed):
        evaluation.submit(world.seller, case_id, {"language": "zh", "text": "晚了"}, at=utcnow() + timedelta(days=8))


def test_cjk_words_count_by_character():
    assert word_count("我们的包是正品") == 7
    assert word_count("Bolsos copiados, sin licencia.") == 4
    assert word_count("ブランド bag") == 5


def test_evaluation_through_the_pages(world, browser, case_id, neutral):
    page = f"/cases/{case_id}"
    mediator, admin, holder, judge = (browser(a) for a in (world.mediator, world.admin, world.holder, neutral))
    for session in (mediator, admin, holder, judge):
        session.get("/?lang=en")
    form = mediator.get(page).get_data(as_text=True)
    assert "Refer one claim to neutral evaluation" in form and f'value="{neutral.id}"' in form
    mediator.post(
        f"{page}/evaluation",
        {
            "claim": "One claim",
            "listings": ["item-2"],
            "neutral_id": str(neutral.id),
            "word_limit": "200",
            "submission_days": "3",
            "deposit_amount": "100",
            "deposit_currency": "EUR",
        },
        form_page=page,
    )
    admin.post(f"{page}/evaluation/deposits", {"side": "claimant", "reference": "w1"}, form_page=page)
    holder.post(f"{page}/evaluation/submissions", {"language": "es", "text": "Copian la marca."}, form_page=page)
    desk = judge.get("/mediation").get_data(as_text=True)
    evaluation_path = next(p for p in desk.split('"') if p.startswith("/evaluations/"))
    assert "Copian la marca." in judge.get(evaluation_path).get_data(as_text=True)
    early = judge.post(
        f"{evaluation_path}/decision",
        {"prevailing_side": "claimant", "reasons": REASONS, "language": "en"},
        form_page=evaluation_path,
    )
    # Refused on the same page with its message, the reasons kept: the seller may still submit.
    assert early.status_code == 409
    assert "Wait for both submissions" in early.get_data(as_text=True) and REASONS in early.get_data(as_text=True)
    assert "Your reasoned decision" in judge.get(evaluation_path).get_data(as_text=True)
    assert browser(world.seller).get(evaluation_path).status_code == 404


# -- the decision moves the case: proposed as the settlement, binding once accepted, else to court --


def _decided(api, world, case_id, neutral, prevailing):
    evaluation = _open(api, world, case_id, neutral).get_json()["evaluation"]
    for side in ("claimant", "respondent"):
        api(world.admin).post(f"/cases/{case_id}/evaluation/deposits", {"side": side})
    api(world.holder).post(f"/cases/{case_id}/evaluation/submissions", {"language": "es", "text": "Copian la marca."})
    api(world.seller).post(f"/cases/{case_id}/evaluation/submissions", {"language": "zh", "text": "正品。"})
    decided = api(neutral).post(
        f"/evaluations/{evaluation['id']}/decision",
        {"prevailing_side": prevailing, "reasons": REASONS, "language": "en"},
    )
    assert decided.status_code == 200, decided.get_json()
    return api(world.holder).get(f"/cases/{case_id}/agreement").get_json()


def test_the_decision_is_proposed_as_the_settlement_and_both_acceptances_settle_with_its_measure(
    world, api, case_id, neutral
):
    agreement = _decided(api, world, case_id, neutral, "claimant")
    assert agreement["terms"]["measures"] == [{"kind": "take_down", "listing": "item-2"}]
    assert agreement["terms"]["prevailing_side"] == "claimant"
    assert {v["language"] for v in agreement["versions"]} == {"es", "zh"}  # both parties' languages
    assert api(world.holder).get(f"/cases/{case_id}").get_json()["state"] == "facilitated_settlement"
    for party in (world.holder, world.seller):
        accepted = sign(api(party), case_id, agreement)
        assert accepted.status_code == 200, accepted.get_json()
    assert api(world.holder).get(f"/cases/{case_id}").get_json()["state"] == "settled"
    measures = db.session.scalars(
        select(Measure).where(Measure.case_id == case_id, Measure.ground == "settlement")
    ).all()
    assert [(m.kind.value, m.listing) for m in measures] == [("take_down", "item-2")]


def test_a_party_that_rejects_the_decision_takes_the_case_to_court(world, api, case_id, neutral):
    agreement = _decided(api, world, case_id, neutral, "respondent")
    assert agreement["terms"]["measures"] == [{"kind": "restore", "listing": "item-2"}]
    escalated = api(world.holder).post(f"/cases/{case_id}/actions/escalate")
    assert escalated.status_code == 200 and escalated.get_json()["state"] == "escalated"
    refused = sign(api(world.seller), case_id, agreement)
    assert refused.status_code == 409
