"""Triage (Platform Rule 21): a score orders the queues and suggests; it never decides, and the statement of
reasons and the case page say that it was used. With the fast track's API and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from odr.cases import services as cases
from odr.cases.models import Case, Event
from odr.conduct import services, triage
from odr.conduct.models import NoticeTriage
from odr.dsa import services as dsa
from odr.extensions import db
from odr.procedure.services import sweep_deadlines
from tests.conduct.test_health_safety import T0
from tests.conftest import decide_eu_notice, notice_data


def file(account, at, **overrides) -> Case:
    return db.session.get(Case, cases.file_notice(account, notice_data(**overrides), at=at).obj.id)


def test_weights_are_data_with_an_explanation_and_add_up(app):
    rules = triage.triage_policy()
    assert sum(rules.weights.values()) == pytest.approx(1)
    assert all(len(rules.explanations[name]) > 40 for name in triage.COMPONENTS)
    assert rules.suggestion(rules.look_first) == "look_first" and rules.suggestion(rules.look_first - 0.01) == "in_turn"
    assert rules.suggestion(rules.look_closely) == "in_turn" and rules.suggestion(rules.look_closely - 0.01) == (
        "look_closely"
    )


def test_triage_orders_the_queue_and_the_statement_of_reasons_says_so(world, browser):
    history = triage.triage_policy().minimum_history
    for n in range(history):  # an accurate record elsewhere (not under the DSA), against another seller
        file(world.holder, T0 - timedelta(days=30 - n), jurisdiction="GB", seller_email=world.stranger_seller.email)
    newcomer = file(world.stranger_holder, T0, jurisdiction="EU", target_market="DE")
    known = file(world.holder, T0 + timedelta(hours=1), jurisdiction="EU", target_market="DE")
    scores = {c.id: triage.triage_of(c) for c in (newcomer, known)}
    assert scores[newcomer.id].components["notifier_record"]["value"] == 0.5, "too little history: neutral"
    assert scores[known.id].components["notifier_record"]["value"] == 1.0
    assert scores[known.id].score > scores[newcomer.id].score
    queue = dsa.review_queue(world.admin, now=T0 + timedelta(days=1))
    assert [r.review.case_id for r in queue] == [known.id, newcomer.id], "filed later, higher score: first"
    assert [r.triage_score for r in queue] == [scores[known.id].score, scores[newcomer.id].score]
    assert [e.case.id for e in services.notice_queue(world.admin, at=T0 + timedelta(days=1))][:2] == [
        known.id,
        newcomer.id,
    ]

    decide_eu_notice(world.admin, known.id, at=T0 + timedelta(days=1))
    statement = dsa.latest_statement(known).content["automated_means"]
    assert statement["queue_ordered_by"] == ["triage_score"] and "triage_score" in statement["used_for"]
    assert statement["decision"] == "not_automated", "a person decided"
    seller_page = browser(world.seller).get(f"/cases/{known.id}/statement-of-reasons").get_data(as_text=True)
    assert "A triage score" in seller_page and "it decided nothing" in seller_page
    case_page = browser(world.seller).get(f"/cases/{known.id}").get_data(as_text=True)
    assert "A triage score ordered the reviewers" in case_page
    assert f"{scores[known.id].score}/100" not in case_page, "the figures come from records: not for the parties"


def test_the_score_never_decides(world):
    history = triage.triage_policy().minimum_history
    for n in range(history):
        file(world.holder, T0 - timedelta(days=30 - n), jurisdiction="GB", seller_email=world.stranger_seller.email)
    case = file(world.holder, T0, jurisdiction="EU", target_market="DE", title="KN95 masks")
    row = db.session.scalar(db.select(NoticeTriage).where(NoticeTriage.case_id == case.id))
    assert row.suggestion == "look_first"
    row.score = 100
    db.session.commit()
    sweep_deadlines(T0 + timedelta(days=400))
    db.session.refresh(case)
    moves = db.session.scalars(
        db.select(Event).where(Event.case_id == case.id, Event.kind.in_(["state_changed", "notice_decided"]))
    ).all()
    assert [(e.kind, e.payload["cause"]) for e in moves] == [("state_changed", "notice")], "only the notice moved it"
    assert case.state == "notice_review" and dsa.review_of(case).status.value == "pending"
    scored = db.session.scalar(db.select(Event).where(Event.case_id == case.id, Event.kind == "triage_scored"))
    assert scored.payload == {"used_for": ["queue_order", "suggestion"], "decides": False, "policy_version": "2026.1"}


def test_the_fast_track_through_the_api_and_the_pages(world, api, browser):
    filed = api(world.holder).post(
        "/cases",
        notice_data(
            jurisdiction="EU",
            target_market="DE",
            product_category="protective_equipment",
            listings=[{"locator": "https://shop.example/item/7", "title": "Nanoblock FLAMENCO set"}],
        ),
        headers={"Idempotency-Key": "hs-1"},
    )
    assert filed.status_code == 201, filed.get_json()
    case_id = filed.get_json()["id"]
    seller_view = api(world.seller).get(f"/cases/{case_id}/health-safety").get_json()
    assert seller_view["health_safety"]["status"] == "expedited" and seller_view["triage"] is None
    # The declared category routes it; "Nanoblock" is no whole-term "nano" and matched nothing.
    assert seller_view["health_safety"]["categories"] == ["protective_equipment"]
    assert seller_view["health_safety"]["matches"] == []
    assert seller_view["triage_used"] is True
    reviewer_view = api(world.admin).get(f"/cases/{case_id}/health-safety").get_json()
    assert reviewer_view["triage"]["decides"] is False and set(reviewer_view["triage"]["components"]) == set(
        triage.COMPONENTS
    )
    refused = api(world.seller).post(f"/cases/{case_id}/health-safety/clear", {"reason": "Not PPE at all, a toy."})
    assert refused.status_code == 403
    bad = api(world.holder).post("/cases", notice_data(product_category="plutonium"))
    assert bad.status_code == 422 and "product_category" in bad.get_json()["error"]["fields"]

    page = browser(world.admin).get(f"/cases/{case_id}/conduct").get_data(as_text=True)
    assert "Health-and-safety fast track" in page and "Protective equipment" in page
    assert "Clear the match" in page and "Triage score" in page
    cleared = browser(world.admin).post(
        f"/cases/{case_id}/health-safety/clear",
        {"reason": "Nanoblock is a toy brand; the category was chosen by mistake."},
        form_page=f"/cases/{case_id}/conduct",
    )
    assert cleared.status_code == 302
    after = api(world.seller).get(f"/cases/{case_id}/health-safety").get_json()["health_safety"]
    assert after["status"] == "cleared" and after["track"] == "standard" and after["provisional_measure"]["until"]
    case_page = browser(world.seller).get(f"/cases/{case_id}").get_data(as_text=True)
    assert "back on the standard procedure" in case_page and "Nanoblock is a toy brand" in case_page
    again = api(world.admin).post(f"/cases/{case_id}/health-safety/clear", {"reason": "Clearing it once more."})
    assert again.status_code == 409


def test_the_notice_form_offers_the_product_categories_in_the_readers_language(world, browser):
    page = browser(world.holder).get("/cases/new", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'name="product_category"' in page and 'value="protective_equipment"' in page


def test_the_fast_track_is_shown_in_the_readers_language(world, browser):
    from odr.accounts.models import Role
    from tests.conftest import make_account

    case = file(world.holder, T0, title="KN95 口罩 FLAMENCO")
    seller_page = browser(world.seller).get(f"/cases/{case.id}?lang=zh_Hans").get_data(as_text=True)
    assert "健康和安全，以及分诊" in seller_page and "分诊评分为此通知排列了" in seller_page
    reviewer = make_account(Role.ADMIN, "muraja@example.ae", country="AE", language="ar", tz="Asia/Dubai")
    page = browser(reviewer).get(f"/cases/{case.id}/conduct?lang=ar").get_data(as_text=True)
    assert "المسار السريع للصحة والسلامة" in page and "إلغاء التطابق" in page and 'dir="rtl"' in page
