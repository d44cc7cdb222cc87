"""What the law requires a delivery to say: each statement is declared in the procedure data (act, role,
template, citation), rendered in the addressee's language, kept with the delivery under its digest,
written on the case's chain, carried by the e-mail and shown in the inbox."""

from __future__ import annotations

import hashlib
import json

import pytest

from odr.cases.models import Case, Event
from odr.extensions import db
from odr.i18n import render_notification
from odr.notifications.models import Channel, Delivery, Notification
from odr.procedure.engine import ProcedureError, parse
from odr.procedure.services import procedures
from tests.conftest import COUNTER_NOTICE_ELEMENTS, EU_DECISION, notice_data

UI_LOCALES = ["en", "ar", "de", "es", "fr", "ja", "ko", "pt", "ru", "zh_Hans"]


def file(api, holder, **overrides) -> Case:
    response = api(holder).post("/cases", notice_data(**overrides))
    assert response.status_code == 201, response.get_json()
    return db.session.get(Case, response.get_json()["id"])


def rows(case: Case, act: str, role: str) -> list[Delivery]:
    return db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == act, Delivery.role == role)
    ).all()


def served_events(case: Case, act: str) -> list[dict]:
    return [
        e.payload
        for e in db.session.scalars(db.select(Event).where(Event.case_id == case.id, Event.kind == "act_served"))
        if e.payload["act"] == act
    ]


def mail_of(row: Delivery, app) -> tuple[str, str]:
    note = db.session.get(Notification, row.notification_id)
    with app.test_request_context():
        return render_notification(note)


def counter_notice(api, world, case: Case, language="zh", text="我们有权销售。") -> None:
    response = api(world.seller).post(
        f"/cases/{case.id}/filings",
        {"kind": "counter_notice", "language": language, "text": text, "elements": COUNTER_NOTICE_ELEMENTS},
    )
    assert response.status_code == 201, response.get_json()


def test_cn_the_notice_forwarded_to_the_seller_says_what_art_42_2_requires_in_chinese(world, api, app):
    case = file(api, world.holder, jurisdiction="CN")
    served = rows(case, "notice", "respondent")
    assert {r.channel for r in served} == {Channel.INBOX, Channel.EMAIL}
    statement = served[0].statement
    assert statement["template"] == "cn_notice_forwarded" and statement["language"] == "zh"
    assert statement["citation"]["article"].startswith("Art. 42(2)")
    text = statement["text"]
    assert "第四十二条第二款" in text  # in the seller's language
    assert "El vendedor ofrece bolsos falsificados" in text  # the notice itself is forwarded
    assert "https://shop.example/item/1" in text and "item-2" in text
    # Its digest covers the text served (the same content without the statement digests differently).
    content = {"case_id": case.id, "act": "notice", "data": served[0].data, "statement": statement}
    filing = db.session.get(type(case.filings[0]), served[0].filing_id)
    content["filing"] = {
        "id": filing.id,
        "kind": "notice",
        "language": filing.language,
        "text": filing.text,
        "terms": filing.terms or {},
    }
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()
    assert served[0].content_sha256 == hashlib.sha256(body).hexdigest()
    # The case's chain proves what was served, on whom, under which rule.
    (event,) = served_events(case, "notice")
    assert [s["text"] for s in event["statements"]] == [text]
    assert event["statements"][0]["citation"]["instrument"].startswith("E-Commerce Law")
    assert {(d["role"], d["channel"], d["content_sha256"]) for d in event["deliveries"]} == {
        ("respondent", r.channel, r.content_sha256) for r in served
    }
    # The e-mail carries the same text.
    subject, mail = mail_of(next(r for r in served if r.channel == Channel.EMAIL), app)
    assert text.strip() in mail and case.reference in subject


def test_cn_the_forwarded_declaration_tells_the_right_holder_of_complaint_or_suit_within_15_days(world, api, app):
    case = file(api, world.holder, jurisdiction="CN")
    counter_notice(api, world, case)
    (inbox,) = [r for r in rows(case, "counter_notice", "claimant") if r.channel == Channel.INBOX]
    text = inbox.statement["text"]
    assert inbox.statement["citation"]["article"].startswith("Art. 43(2)") and inbox.statement["values"]["days"] == 15
    assert inbox.language == world.holder.reading_languages[0]
    assert "15" in text and "我们有权销售。" in text
    # Nothing is said to the mediator by law: no statement on other deliveries of the same act.
    assert all(r.statement is None for r in rows(case, "counter_notice", "mediator"))


def test_us_removal_notice_to_the_subscriber_and_copy_of_the_counter_notice_to_the_notifier(world, api, app):
    case = file(api, world.holder, jurisdiction="US", right_type="copyright")
    assert case.procedure_code == "us-dmca"
    (removal,) = [r for r in rows(case, "take_measures", "respondent") if r.channel == Channel.INBOX]
    assert removal.statement["template"] == "us_removal_notice"
    assert removal.statement["citation"]["article"].startswith("§512(g)(2)(A)")
    assert "512(g)(2)(A)" in removal.statement["text"]
    # The notifier's delivery of the measure says nothing the law requires of it.
    assert all(r.statement is None for r in rows(case, "take_measures", "claimant"))
    counter_notice(api, world, case, language="en", text="The photographs are my own work.")
    (copy,) = [r for r in rows(case, "counter_notice", "claimant") if r.channel == Channel.EMAIL]
    assert copy.statement["citation"]["article"].startswith("§512(g)(2)(B)")
    assert copy.statement["values"] == {"days": 10, "latest": 14}
    text = copy.statement["text"]
    assert "The photographs are my own work." in text and "10" in text and "14" in text
    _subject, mail = mail_of(copy, app)
    assert text.strip() in mail


def test_jp_the_inquiry_reaches_a_seller_without_an_account_in_the_invitation(world, api, app):
    case = file(
        api,
        world.holder,
        jurisdiction="JP",
        respondent={"email": "shop@example.jp", "name": "Shop KK", "country": "JP", "language": "ja"},
    )
    (row,) = rows(case, "notice", "respondent")
    assert row.channel == Channel.EMAIL and row.language == "ja"
    statement = row.statement
    assert statement["template"] == "jp_inquiry" and statement["citation"]["confidence"] == "secondary"
    text = statement["text"]
    assert "第3条第2項第2号" in text and "7" in text  # the inquiry, its article and the 7 days
    assert "El vendedor ofrece bolsos falsificados" in text  # the reasons
    assert "item-2" in text  # the information
    note = db.session.get(Notification, row.notification_id)
    assert note.kind == "invitation"
    with app.test_request_context():
        _subject, mail = render_notification(note)
    assert text.strip() in mail and note.data["invitation_code"] in mail


def test_eu_the_notifier_is_told_the_decision_on_the_notice(world, api):
    case = file(api, world.holder, jurisdiction="EU")
    assert not rows(case, "notice_decision", "claimant"), "no decision before a reviewer takes it (DSA Art. 16(6))"
    assert api(world.admin).post(f"/cases/{case.id}/notice-decision", EU_DECISION).status_code == 201
    (decision,) = [r for r in rows(case, "notice_decision", "claimant") if r.channel == Channel.INBOX]
    assert decision.statement["citation"]["article"].startswith("Art. 16(5)")
    assert "2022/2065" in decision.statement["text"] and "item-2" in decision.statement["text"]


def test_the_inbox_and_its_api_show_the_text_the_law_requires(world, browser, api):
    case = file(api, world.holder, jurisdiction="CN")
    (row,) = [r for r in rows(case, "notice", "respondent") if r.channel == Channel.INBOX]
    page = browser(world.seller).get("/inbox").get_data(as_text=True)
    assert "第四十二条第二款" in page and "Art. 42(2)" in page
    listed = api(world.seller).get("/inbox").get_json()
    (item,) = [i for i in listed["deliveries"] if i["id"] == row.id]
    assert item["statement"]["text"] == row.statement["text"]
    assert item["statement"]["citation"]["article"].startswith("Art. 42(2)")


STRIKE = "ODR-2026-000007"


def _context(statement) -> dict:
    return dict(
        case=None,
        data={
            "statement": {
                "territorial_scope": "EU",
                "listings": ["L-1"],
                "facts": {"claimant": "Holder", "notice_filed_at": "2027-01-02T00:00:00"},
            },
            "measure": {
                "status": "in_force",
                "kind": "suspend_account",
                "policy": "repeat_infringer",
                "starts_at": "2027-01-02T00:00:00",
                "ends_at": "2027-02-01T00:00:00",
                "reasons": {
                    "active_strikes": 3,
                    "threshold": 3,
                    "strikes": [{"case_reference": STRIKE, "at": "2027-01-01"}],
                },
            },
            "health_safety": {"step": "provisional", "terms": ["baby formula"], "categories": []},
            "measures": [{"kind": "not_purchasable_in", "listing": "L-1", "regions": ["DE", "FR"]}],
        },
        values=statement.values,
        reference="ODR-2027-000001",
        claimant="Holder",
        respondent="Seller",
        right="Trademark",
        listings=["L-1"],
        notice_text="NOTICE-TEXT",
        notice_date="2027-01-02",
        filing_text="FILING-TEXT",
        filing_date="2027-01-03",
        terms={"outcome": "upheld", "listing_measure": "remove", "amounts": []},
        role="claimant",
    )


def test_every_declared_statement_is_rendered_in_all_ten_languages(app):
    statements = {s.template: s for p in procedures().procedures.values() for s in p.statements.values()}
    assert set(statements) == {
        "cn_notice_forwarded",
        "cn_declaration_forwarded",
        "us_removal_notice",
        "us_counter_notice_copy",
        "jp_inquiry",
        "eu_notice_decision",
        "eu_statement_of_reasons",
        "court_decision",
        "conduct_measure",
        "health_safety_step",
        "settlement_measures",
    }
    from odr.i18n import render_in_locale

    with app.test_request_context():
        for template, statement in statements.items():
            english = render_in_locale("en", f"notifications/statements/{template}.txt", **_context(statement))
            for locale in UI_LOCALES[1:]:
                text = render_in_locale(locale, f"notifications/statements/{template}.txt", **_context(statement))
                # The case's own words come through: its listings, or the strikes a conduct measure counts.
                assert "%(" not in text and (STRIKE if template == "conduct_measure" else "L-1") in text, (
                    template,
                    locale,
                )
                assert text.splitlines()[0] != english.splitlines()[0], (template, locale)


def test_a_statement_must_go_to_a_role_the_act_is_served_on_and_name_a_known_template():
    base = {
        "code": "x",
        "version": "1",
        "initial": "a",
        "citation": {"instrument": "I", "article": "A", "confidence": "unverified", "note": "A test rule."},
        "states": {"a": {}, "b": {"final": True}},
        "transitions": [
            {
                "name": "t",
                "from": "a",
                "to": "b",
                "roles": ["claimant"],
                "citation": {"instrument": "I", "article": "A", "confidence": "unverified", "note": "A test rule."},
            }
        ],
        "serve": {"notice": ["respondent"], "state_changed": ["claimant"]},
    }
    citation = {"instrument": "I", "article": "A", "confidence": "unverified", "note": "A test rule."}
    parse(dict(base, statements={"notice": {"respondent": {"template": "jp_inquiry", "citation": citation}}}))
    with pytest.raises(ProcedureError, match="does not serve"):
        parse(dict(base, statements={"notice": {"claimant": {"template": "jp_inquiry", "citation": citation}}}))
    with pytest.raises(ProcedureError, match="template"):
        parse(dict(base, statements={"notice": {"respondent": {"template": "nope", "citation": citation}}}))
    with pytest.raises(ProcedureError, match="citation"):
        parse(dict(base, statements={"notice": {"respondent": {"template": "jp_inquiry"}}}))
