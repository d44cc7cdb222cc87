"""Every adverse step of the conduct domain reaches the person it affects, in that person's language, with its
statement of reasons (Platform Rules 16, 17 and 20): the Art. 23 warning and suspension to the notifier, the
repeat-infringer measure to the seller, the health-and-safety fast track, its provisional measure and a clearing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from odr.conduct import health_safety, services
from odr.conduct.models import AccountMeasure
from odr.conduct.policy import policy
from odr.extensions import db
from odr.notifications.models import Delivery
from tests.conduct.test_conduct import silent_notices
from tests.conduct.test_health_safety import T0, file
from tests.conduct.test_notice_misuse import found, misuse_measures


def speaks(account, language: str) -> None:
    account.party.preferred_language = language
    account.languages = language
    db.session.commit()


def delivered(act: str, account=None, case_id=None) -> list[Delivery]:
    query = db.select(Delivery).where(Delivery.act == act, Delivery.channel == "inbox")
    if account is not None:
        query = query.where(Delivery.account_id == account.id)
    if case_id is not None:
        query = query.where(Delivery.case_id == case_id)
    return list(db.session.scalars(query.order_by(Delivery.id)))


@pytest.mark.postgres
def test_the_notifier_is_told_the_warning_the_suspension_and_its_end_in_arabic(world):
    speaks(world.holder, "ar")
    n = policy().misuse["default"].minimum_unfounded
    for _ in range(n):
        found(world)
    (warning,) = misuse_measures(world.holder.party_id)
    (row,) = delivered("conduct_warning")
    assert row.account_id == world.holder.id and row.role == "claimant" and row.language == "ar"
    assert row.legally_required and row.data["measure"]["id"] == warning.id
    assert row.statement["language"] == "ar" and "بيان الأسباب" in row.statement["text"]
    assert str(n) in row.statement["text"] and "2022/2065" in row.statement["text"]
    assert not delivered("conduct_warning", world.seller), "the seller is not told the notifier's measure"

    found(world, "malicious")
    suspension = misuse_measures(world.holder.party_id)[-1]
    (row,) = delivered("notice_processing_suspended")
    assert row.account_id == world.holder.id and row.data["measure"]["id"] == suspension.id
    assert suspension.ends_at.date().isoformat() in row.statement["text"]
    email = db.session.scalars(
        db.select(Delivery).where(Delivery.act == "notice_processing_suspended", Delivery.channel == "email")
    ).all()
    assert [e.address for e in email] == [world.holder.email]

    services.sweep_expired(suspension.ends_at + timedelta(seconds=1))
    ended = [r for r in delivered("account_measure_ended", world.holder) if r.data["measure"]["id"] == suspension.id]
    assert len(ended) == 1 and ended[0].data["measure"]["status"] == "expired" and ended[0].language == "ar"


@pytest.mark.postgres
def test_the_seller_is_told_the_repeat_infringer_suspension_and_its_lifting_in_chinese(world):
    speaks(world.seller, "zh_Hans")
    silent_notices(world, 3)
    (measure,) = db.session.scalars(db.select(AccountMeasure)).all()
    (row,) = delivered("account_measure")
    assert row.account_id == world.seller.id and row.role == "respondent" and row.language == "zh_Hans"
    assert row.data["measure"]["kind"] == "suspend_account" and row.data["measure"]["id"] == measure.id
    text = row.statement["text"]
    assert "理由说明" in text and all(s["case_reference"] in text for s in measure.reasons["strikes"])
    assert not delivered("account_measure", world.holder), "the right holder is not told the seller's measure"

    services.do_appeal(world.seller, measure.id, "Two of these notices were wrong.")
    services.do_decide_appeal(world.admin, measure.id, True, "The notices were contested in time.")
    (lifted,) = delivered("account_measure_ended", world.seller)
    assert lifted.data["measure"]["status"] == "lifted_on_appeal" and lifted.statement["language"] == "zh_Hans"


def test_fast_track_provisional_measure_and_clearing_reach_both_parties_in_their_languages(world):
    speaks(world.seller, "zh_Hans")
    speaks(world.holder, "ar")
    case = file(world, jurisdiction="JP", title="Nanoblock FLAMENCO ナノブロック", seller_email=world.seller.email)
    for act in ("health_safety_fast_track", "provisional_measure"):
        rows = delivered(act, case_id=case.id)
        assert {(r.account_id, r.language) for r in rows} == {
            (world.seller.id, "zh_Hans"),
            (world.holder.id, "ar"),
        }, act
        assert all(r.statement and r.statement["citation"]["article"].startswith("Rule 20") for r in rows)
    (to_seller,) = delivered("health_safety_fast_track", world.seller, case.id)
    assert "（ナノ）" in to_seller.statement["text"] and "快速程序" in to_seller.statement["text"]
    (provisional,) = delivered("provisional_measure", world.seller, case.id)
    assert case.listings[0].locator in provisional.statement["text"]

    health_safety.do_clear(world.admin, case.id, {"reason": "Nanoblock is a toy brand, not a nano claim."})
    rows = delivered("health_safety_cleared", case_id=case.id)
    assert {r.account_id for r in rows} == {world.seller.id, world.holder.id}
    assert all("Nanoblock is a toy brand" in r.statement["text"] for r in rows)
    assert not delivered("provisional_measure_ended", case_id=case.id), "the clearing says the measure ended"


def test_under_the_dsa_the_seller_gets_the_statement_of_reasons_not_a_second_provisional_notice(world):
    case = file(world, jurisdiction="EU", target_market="DE", title="FFP2 masks", seller_email=world.seller.email)
    assert [r.account_id for r in delivered("provisional_measure", case_id=case.id)] == [world.holder.id]
    assert delivered("statement_of_reasons", world.seller, case.id)


def test_confirmed_counterfeit_tells_the_seller_its_account_measure(world):
    speaks(world.seller, "zh_Hans")
    case = file(world, title="KN95 口罩", seller_email=world.seller.email)
    health_safety.do_confirm_counterfeit(
        world.admin, case.id, {"reasons": "Test purchase: no GB 2626 marking.", "language": "en"}, at=T0
    )
    (row,) = delivered("account_measure", world.seller, case.id)
    assert row.data["measure"]["policy"] == "health_safety" and row.language == "zh_Hans"
    assert "Test purchase: no GB 2626 marking." in row.statement["text"]
    assert not delivered("account_measure", world.holder, case.id)
