"""The health-and-safety fast track (Platform Rule 20): risk terms, the expedited periods, the provisional
measure, clearing a false positive, and the account measure on confirmed counterfeits."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from odr.accounts.models import Role
from odr.cases import services as cases
from odr.cases.models import Case, Event
from odr.conduct import health_safety, services
from odr.conduct.models import AccountMeasure, ScreenStatus
from odr.dsa import services as dsa
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.mediation.desk import mediator_desk
from odr.mediation.models import Measure
from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import choice_of, sweep_deadlines
from tests.conftest import decide_eu_notice, make_account, notice_data
from tests.dsa.test_dsa import open_all

# After the fast track came into force (rules/policy/health_safety.yaml, effective_from 2026-12-01).
T0 = datetime.fromisoformat("2026-12-10T10:00:00+08:00")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def found(text: str) -> list[str]:
    return [t.text for t in health_safety.health_safety_policy().find(text)]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("zh_Hans", "医用防护口罩 现货 包邮", {"医用防护口罩", "防护口罩", "口罩"}),
        ("zh_Hans", "醫用防護口罩（繁體）", {"医用防护口罩", "防护口罩", "口罩"}),  # Traditional folded
        ("zh_Hans", "红外热像仪 测温", {"红外热像仪", "热像仪"}),
        ("ar", "كمامات طبية للبيع", {"كمامات"}),
        ("ar", "الكِمَامَة الطبية", {"كمامة"}),  # the article and the short vowels
        ("ar", "وفضة نانوية", {"فضة نانوية"}),
        ("en", "KN95 Face Masks, 50 pcs", {"KN95", "face masks"}),
        ("en", "Nano silver spray", {"nano silver", "nano"}),
        ("de", "FFP2-Maske, 10 Stück", {"FFP2"}),
        ("de", "Wärmebildkamera für Fieberscreening", {"Wärmebildkamera"}),
        ("ja", "ＫＮ９５マスク　５０枚", {"KN95", "マスク"}),  # full width
        ("ko", "KF94 마스크를 판매합니다", {"KF94", "마스크"}),  # a particle after the term
        ("ru", "Респиратор FFP3 с клапаном", {"респиратор", "FFP3"}),
        ("fr", "Caméra thermique infrarouge", {"caméra thermique"}),
        ("es", "Purificador de agua con ultrafiltración", {"purificador de agua", "ultrafiltración"}),
        ("pt", "Máscara cirúrgica descartável", {"máscara cirúrgica", "máscara"}),
    ],
)
def test_risk_terms_match_whole_terms_in_every_script(app, language, text, expected):
    assert set(found(text)) == expected, language


@pytest.mark.parametrize(
    "text",
    [
        "Counterfeit FLAMENCO bags",
        "Nanosecond timer",  # nano inside a word
        "FFP23 cable",  # FFP2 continued by a digit
        "Kamasutra book",  # no Latin substring inside a word
        "كمامةجديدة",  # an Arabic term continued by letters
    ],
)
def test_no_match_inside_a_word(app, text):
    assert found(text) == []


def test_n95_is_not_found_inside_kn95(app):
    assert "N95" not in found("KN95 masks") and "N95" in found("N95 masks")


def test_every_ui_language_has_a_list_with_a_source(app):
    lists = {t.language: t.source for t in health_safety.health_safety_policy().lists}
    assert set(lists) >= {"ar", "de", "en", "es", "fr", "ja", "ko", "pt", "ru", "zh_Hans", "standards"}
    assert all(
        source["title"] and source["link"].startswith("https://") and source["note"] for source in lists.values()
    )


def file(world, at=T0, holder=None, **overrides) -> Case:
    case = cases.file_notice(holder or world.holder, notice_data(**overrides), at=at).obj
    return db.session.get(Case, case.id)


def deadline(case: Case, timer: str = "response_period") -> Deadline:
    return db.session.scalar(
        db.select(Deadline).where(
            Deadline.case_id == case.id, Deadline.timer == timer, Deadline.status == DeadlineStatus.PENDING
        )
    )


def kinds(case: Case) -> list[str]:
    return [e.kind for e in db.session.scalars(db.select(Event).where(Event.case_id == case.id).order_by(Event.seq))]


def test_expedited_response_period_at_its_boundaries_and_the_statute_kept(world):
    standard = file(world, title="Counterfeit FLAMENCO bags")
    fast = file(world, title="KN95 口罩 FLAMENCO", seller_email="other-seller@example.jp")
    assert choice_of(fast).track == "expedited" and choice_of(standard).track == "standard"
    day = T0.astimezone(SHANGHAI).date()
    due = deadline(fast).due_at
    assert due.astimezone(SHANGHAI).date() == day + timedelta(days=3), "3 days instead of 7 (Rule 20(3)(a))"
    assert deadline(standard).due_at.astimezone(SHANGHAI).date() == day + timedelta(days=7)
    assert "Rule 20(3)(a)" in deadline(fast).citation
    # The day before the last day ends, the last day, the day after.
    assert sweep_deadlines(due - timedelta(days=1)) == 0 and fast.state == "awaiting_response"
    assert sweep_deadlines(due) == 0, "the period runs to the end of its last day"
    assert sweep_deadlines(due + timedelta(microseconds=1)) == 1
    db.session.refresh(fast)
    db.session.refresh(standard)
    assert fast.state == "facilitated_settlement" and standard.state == "awaiting_response"
    # The next state's period is the expedited one too: 10 days of facilitated settlement instead of 30.
    following = deadline(fast, "facilitation_period")
    assert following.due_at.astimezone(SHANGHAI).date() == due.astimezone(SHANGHAI).date() + timedelta(days=10)


def test_a_statutory_period_is_never_shortened(world):
    jp = file(world, jurisdiction="JP", title="KN95 マスク")
    assert choice_of(jp).track == "expedited"
    open_all(jp, world.seller, T0 + timedelta(hours=1))  # the period runs from the seller's receipt
    # JP's 7 days are the Information Distribution Platform Act's, not the platform's: kept.
    statutory = deadline(jp, "response_period_idpa")
    assert statutory.computation["count"] == 7 and "Rule 20" not in statutory.citation


def test_a_match_takes_the_listings_down_provisionally_and_puts_the_case_first(world, platform):
    ordinary = file(world, jurisdiction="EU", target_market="DE")
    masks = file(
        world,
        at=T0 + timedelta(hours=1),
        jurisdiction="EU",
        target_market="DE",
        listings=[{"locator": "https://shop.example/item/9", "title": "FFP2 Atemschutzmasken"}],
        seller_email="other-seller@example.jp",
    )
    screen = health_safety.screen_of(masks)
    assert screen.matches[0]["where"] == "listing_title:https://shop.example/item/9"
    assert screen.provisional_in_force and health_safety.screen_of(ordinary) is None
    ordered = db.session.scalars(db.select(Measure).where(Measure.case_id == masks.id)).all()
    assert [(m.listing, m.kind.value) for m in ordered] == [("https://shop.example/item/9", "take_down")]
    assert "Rule 20(2)" in ordered[0].ground
    steps = [k for k in kinds(masks) if k in {"health_safety_matched", "track_changed", "provisional_measure_ordered"}]
    assert steps == ["health_safety_matched", "track_changed", "provisional_measure_ordered"]
    queue = dsa.review_queue(world.admin, now=T0 + timedelta(days=1))
    assert [row.review.case_id for row in queue] == [masks.id, ordinary.id], "filed later, decided first"
    assert queue[0].health_safety and not queue[1].health_safety
    notices = services.notice_queue(world.admin, at=T0 + timedelta(days=1))
    assert [e.case.id for e in notices] == [masks.id, ordinary.id]


def test_the_provisional_measure_ends_with_the_procedures_first_step(world, browser):
    restricted = file(world, jurisdiction="EU", target_market="DE", title="KN95 masks")
    # A restriction under the DSA: the seller receives a statement of reasons for the provisional measure too.
    provisional = dsa.latest_statement(restricted).content
    assert provisional["provisional"]["terms"] == ["KN95"] and provisional["automated_means"]["decision"] == "fully"
    assert provisional["listings"] == ["https://shop.example/item/1", "item-2"]
    assert provisional["duration"]["ends_on"] == ["decision_on_the_notice", "match_cleared"]
    page = browser(world.seller).get(f"/cases/{restricted.id}/statement-of-reasons").get_data(as_text=True)
    assert "taken down provisionally because the notice or the listings name goods" in page
    decide_eu_notice(world.admin, restricted.id, at=T0 + timedelta(hours=2))
    first, decided = dsa.statements(restricted)
    assert first.content["duration"]["ended_by"] == "superseded_by_decision" and not decided.content["provisional"]
    screen = health_safety.screen_of(restricted)
    assert screen.provisional_ended_by == "procedure_measure" and not screen.provisional_in_force
    kinds_after = [m.kind.value for m in db.session.scalars(db.select(Measure).where(Measure.case_id == restricted.id))]
    assert kinds_after == ["take_down"] * 4, "the procedure's own measure governs; nothing is restored"

    refused = file(
        world, jurisdiction="EU", target_market="DE", title="KN95 masks", seller_email=world.stranger_seller.email
    )
    decide_eu_notice(world.admin, refused.id, at=T0 + timedelta(hours=2), outcome="no_action")
    assert health_safety.screen_of(refused).provisional_ended_by == "procedure_step"
    kinds_after = [m.kind.value for m in db.session.scalars(db.select(Measure).where(Measure.case_id == refused.id))]
    assert kinds_after == ["take_down"] * 2 + ["restore"] * 2, "no measure stands without its ground"


def test_a_false_positive_is_cleared_with_its_reason_and_the_standard_procedure_restored(world):
    ipod = file(world, jurisdiction="EU", target_market="DE", title="iPod nano case, FLAMENCO print")
    cn = file(world, title="Nanoblock FLAMENCO ナノブロック", seller_email="other-seller@example.jp")
    started = deadline(cn).computation["start"]
    with pytest.raises(Forbidden):
        health_safety.do_clear(world.seller, ipod.id, {"reason": "It is a music player case."})
    with pytest.raises(ValidationFailed) as refused:
        health_safety.do_clear(world.admin, ipod.id, {"reason": "no"})
    assert "reason" in refused.value.fields
    assert health_safety.screen_of(ipod).status == ScreenStatus.EXPEDITED, "a refused clearing changes nothing"

    cleared = health_safety.do_clear(world.admin, ipod.id, {"reason": "An iPod nano is a music player, not PPE."})
    assert cleared.status == ScreenStatus.CLEARED and cleared.matches, "the match stays on record"
    event = db.session.scalar(db.select(Event).where(Event.case_id == ipod.id, Event.kind == "health_safety_cleared"))
    assert event.payload["reason"] == "An iPod nano is a music player, not PPE." and event.actor_case_role == "admin"
    assert choice_of(ipod).track == "standard" and cleared.provisional_ended_by == "cleared"
    measures = db.session.scalars(db.select(Measure).where(Measure.case_id == ipod.id).order_by(Measure.id)).all()
    assert [m.kind.value for m in measures] == ["take_down", "take_down", "restore", "restore"]
    assert dsa.review_queue(world.admin)[-1].health_safety is False
    assert dsa.latest_statement(ipod).content["duration"]["ended_by"] == "measure_lifted"
    with pytest.raises(NotAllowed):
        health_safety.do_clear(world.admin, ipod.id, {"reason": "Cleared twice, by mistake."})

    # With running periods: back to the standard 7 days, counted from the same start; the filing is kept.
    health_safety.do_clear(world.admin, cn.id, {"reason": "Nanoblock is a toy brand, not a nano claim."})
    recounted = deadline(cn)
    assert recounted.computation["start"] == started and recounted.computation["count"] == 7
    assert recounted.due_at.astimezone(SHANGHAI).date() == T0.astimezone(SHANGHAI).date() + timedelta(days=7)
    assert cn.state == "awaiting_response" and len(cn.filings) == 1


def test_confirmed_counterfeit_suspends_the_sellers_account_with_reasons_and_an_appeal(world, api):
    case = file(world, title="KN95 口罩", seller_email=world.seller.email)
    with pytest.raises(NotFound):
        health_safety.do_confirm_counterfeit(world.other_mediator, case.id, {"reasons": "Not my case at all."})
    confirmed = health_safety.do_confirm_counterfeit(
        world.admin,
        case.id,
        {"reasons": "Test purchase: no GB 2626 marking, filter efficiency far below KN95.", "language": "en"},
        at=T0 + timedelta(days=1),
    )
    measure = db.session.get(AccountMeasure, confirmed.account_measure_id)
    assert (measure.policy, measure.kind, measure.party_id) == (
        "health_safety",
        "suspend_account",
        world.seller.party_id,
    )
    assert measure.ends_at == T0 + timedelta(days=181)
    assert measure.reasons["citation"]["article"].startswith("Rule 20(4)") and not measure.reasons["automated"]
    to_platform = db.session.scalars(
        db.select(Measure).where(Measure.case_id == case.id, Measure.details["scope"].as_string() == "account")
    ).all()
    assert [m.kind.value for m in to_platform] == ["suspend_account"]
    with pytest.raises(NotAllowed):
        health_safety.do_clear(world.admin, case.id, {"reason": "Too late: it was confirmed."})
    record = api(world.seller).get("/conduct/record").get_json()
    assert any(m["policy"] == "health_safety" for m in record["account_measures"])
    services.do_appeal(world.seller, measure.id, "The batch was genuine; certificates attached.")
    services.do_decide_appeal(world.admin, measure.id, True, "Certificates verified with the manufacturer.")
    assert db.session.get(AccountMeasure, measure.id).status == "lifted_on_appeal"


def test_a_health_and_safety_case_comes_first_on_the_mediators_desk(world):
    cases_on_desk = []
    for n, title in enumerate(["FLAMENCO bags", "KN95 masks"]):
        holder = make_account(Role.RIGHT_HOLDER, f"desk-holder{n}@example.es")
        seller = make_account(
            Role.SELLER, f"desk-seller{n}@example.cn", country="CN", language="zh", tz="Asia/Shanghai"
        )
        case = file(world, holder=holder, at=T0 + timedelta(hours=n), title=title, seller_email=seller.email)
        assign_mediator(world.admin, case.id, world.mediator.id)
        accept_appointment(world.mediator, pending_appointments(world.mediator)[0].id, declared=True)
        cases_on_desk.append(case.id)
    rows = mediator_desk(world.mediator, now=T0 + timedelta(days=1)).rows
    assert [r.case.id for r in rows] == [cases_on_desk[1], cases_on_desk[0]]
    assert rows[0].health_safety and not rows[1].health_safety
    health_safety.do_clear(world.mediator, cases_on_desk[1], {"reason": "The masks are fashion masks, not PPE."})
    assert [r.case.id for r in mediator_desk(world.mediator, now=T0 + timedelta(days=1)).rows][-1] == cases_on_desk[1]


def test_notices_before_the_fast_track_came_into_force_are_not_screened(world):
    old = file(world, at=datetime.fromisoformat("2026-11-30T10:00:00+08:00"), title="KN95 masks")
    assert health_safety.screen_of(old) is None and choice_of(old).track == "standard"
