"""Misuse of the notice system (DSA Art. 23(2)-(3)): warning, suspension of notice processing, appeal, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from odr.cases import services as cases
from odr.cases.models import Case
from odr.conduct import services
from odr.conduct.models import AccountMeasure
from odr.conduct.policy import policy
from odr.errors import NotAllowed
from odr.extensions import db
from odr.models_base import utcnow
from tests.conftest import notice_data


def found(world, finding="erroneous", at=None):
    """A notice by the holder that the admin (as reviewer) finds wrongful on the seller's claim."""
    case = cases.file_notice(world.holder, notice_data(jurisdiction="GB"), at=at).obj
    claim = services.do_claim_wrongful_notice(
        world.seller, case.id, {"grounds": "Wrong.", "language": "en", "loss_amount": "100", "currency": "GBP"}
    )
    services.do_decide_wrongful_notice(
        world.admin, claim.id, {"finding": finding, "reasons": "Manifestly unfounded.", "language": "en"}
    )
    return case


def misuse_measures(party_id):
    return db.session.scalars(
        db.select(AccountMeasure)
        .where(AccountMeasure.party_id == party_id, AccountMeasure.policy == "notice_misuse")
        .order_by(AccountMeasure.id)
    ).all()


def test_criteria_at_their_edges(app):
    rules = policy().misuse["default"]
    n = rules.minimum_unfounded
    assert not rules.meets(n - 1, 0, n - 1), "one below the absolute number"
    assert rules.meets(n, 0, n) and rules.meets(n + 1, 0, n + 1)
    # The proportion: n unfounded among as many filed notices as the minimum proportion allows, and one more.
    most = int(n / rules.minimum_proportion)
    assert rules.meets(n, 0, most) and not rules.meets(n, 0, most + 1)
    # Gravity and intent: a malicious notice weighs more, so fewer suffice.
    assert rules.meets(0, -(-n // rules.malicious_weight), n)
    assert not rules.meets(0, -(-n // rules.malicious_weight) - 1, n)


@pytest.mark.postgres
def test_warning_then_suspension_refuses_notices_until_it_expires(world, api, browser):
    n = policy().misuse["default"].minimum_unfounded
    for _ in range(n - 1):
        found(world)
    assert misuse_measures(world.holder.party_id) == [], "one below: nothing"
    found(world)
    (warning,) = misuse_measures(world.holder.party_id)
    assert warning.kind == "warning" and warning.reasons["unfounded"] == n
    # Warned, the notifier still files notices.
    ok = cases.file_notice(world.holder, notice_data(jurisdiction="GB")).obj
    assert ok.id
    page = browser(world.holder).get("/conduct/record").get_data(as_text=True)
    assert "This is a warning" in page and "Statement of reasons" in page

    found(world, "malicious")
    suspension = misuse_measures(world.holder.party_id)[-1]
    assert suspension.kind == "suspend_notice_processing" and suspension.reasons["warning_id"] == warning.id
    assert suspension.ends_at - suspension.starts_at == timedelta(days=policy().misuse["default"].suspension_days)
    with pytest.raises(NotAllowed) as refused:
        cases.file_notice(world.holder, notice_data(jurisdiction="GB"))
    assert refused.value.code == "notice_processing_suspended"
    response = api(world.holder).post("/cases", notice_data(jurisdiction="GB"))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "notice_processing_suspended"
    # Other notifiers are not affected.
    assert cases.file_notice(world.stranger_holder, notice_data(jurisdiction="GB")).obj.id

    # The suspension ends by itself at its end; notices are accepted again.
    after = suspension.ends_at + timedelta(seconds=1)
    assert services.sweep_expired(after) >= 1
    db.session.refresh(suspension)
    assert suspension.status == "expired"
    assert cases.file_notice(world.holder, notice_data(jurisdiction="GB"), at=after).obj.id


def test_suspension_appealed_and_lifted(world, api):
    n = policy().misuse["default"].minimum_unfounded
    for _ in range(n + 1):
        found(world)
    suspension = misuse_measures(world.holder.party_id)[-1]
    assert suspension.kind == "suspend_notice_processing"
    holder = api(world.holder)
    response = holder.post(f"/conduct/measures/{suspension.id}/appeal", {"text": "Our agent erred; retrained."})
    assert response.status_code == 200
    assert api(world.seller).post(f"/conduct/measures/{suspension.id}/appeal", {"text": "x"}).status_code == 404
    decided = api(world.admin).post(
        f"/conduct/measures/{suspension.id}/appeal-decision", {"lift": True, "reasons": "Credible remedy."}
    )
    assert decided.get_json()["status"] == "lifted_on_appeal"
    assert cases.file_notice(world.holder, notice_data(jurisdiction="GB")).obj.id
    assert utcnow() < suspension.ends_at, "lifted before its end"


def test_the_notice_page_tells_a_suspended_notifier_why_and_a_refused_notice_keeps_what_was_typed(world, browser):
    n = policy().misuse["default"].minimum_unfounded
    for _ in range(n + 1):
        found(world)
    suspension = misuse_measures(world.holder.party_id)[-1]
    holder = browser(world.holder)
    page = holder.get("/cases/new").get_data(as_text=True)
    # The suspension, its end, the statement of reasons and the way to the appeal; no form to fill in for nothing.
    assert f"The processing of your notices is suspended until {suspension.ends_at:%Y-%m-%d}" in page
    assert "Statement of reasons" in page and f"/conduct/record#measure-{suspension.id}" in page
    assert 'name="title"' not in page
    # A notice posted anyway (a page opened before the suspension) is refused on the page, the input kept.
    refused = holder.post("/cases/new", {"jurisdiction": "GB", "title": "Kept title 保留", "text": "Typed text."})
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Your record shows the statement of reasons and how to appeal" in body
    assert "Kept title 保留" in body and 'name="title"' in body
    # The other notifiers see the form.
    assert 'name="title"' in browser(world.stranger_holder).get("/cases/new").get_data(as_text=True)


def test_the_window_counts_every_notice_but_reads_only_those_with_an_outcome(world):
    """Art. 23(3)'s figures for a notifier with many notices still open: every notice of the window is counted,
    a finding against it makes it unfounded or malicious, and only the cases with an outcome are read as rows
    (a platform filing thousands of notices is counted, not loaded, at each outcome against it)."""
    rules = policy().misuse["default"]
    long_ago = utcnow() - timedelta(days=rules.window_days + 1)
    cases.file_notice(world.holder, notice_data(jurisdiction="GB"), at=long_ago)  # outside the window
    found(world, at=long_ago)  # unfounded, but outside the window
    with_outcomes = {found(world).id, found(world).id, found(world, "malicious").id}
    for n in range(6):
        cases.file_notice(world.holder, notice_data(jurisdiction="GB", listings=[f"https://shop.example/{n}"]))
    db.session.expire_all()
    read: list[int] = []

    def loaded(target, _context):
        read.append(target.id)

    event.listen(Case, "load", loaded)
    try:
        counts = services.misuse_counts(world.holder.party, utcnow())
    finally:
        event.remove(Case, "load", loaded)
    assert counts == {"filed": 9, "unfounded": 2, "malicious": 1, "window_days": rules.window_days}
    assert set(read) == with_outcomes, f"read {len(read)} cases"
