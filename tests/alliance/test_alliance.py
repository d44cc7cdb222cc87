"""Two platforms, each with its own key and database, exchange alliance records; bad feeds are refused whole."""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from odr import create_app
from odr.accounts.models import Account, Role
from odr.alliance import services as alliance
from odr.alliance.models import AllianceMember, AllianceRecord
from odr.cases import services as case_services
from odr.cases.models import Case
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.extensions import db
from odr.integrity.keys import platform_key
from odr.models_base import utcnow
from odr.notifications.models import Notification
from tests.conftest import IsolatedClient, make_account, notice_data
from tests.linkage.conftest import report

ISSUER_URL = "http://issuer.example/api/v1/alliance/feed"


@pytest.fixture
def alliance_key(app, tmp_path):
    path = tmp_path / "alliance.key"
    path.write_bytes(os.urandom(32))
    app.config["ODR"]["ALLIANCE_KEY_PATH"] = str(path)  # the issuing platform (the test's own app)
    return path


@pytest.fixture
def member_app(tmp_path, alliance_key):
    """A second, independent instance: its own instance folder (so its own Ed25519 key) and database."""
    other = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "member"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
            "SECRET_KEY": "member-secret-key-that-is-long-enough-0123456789",
            "ALLIANCE_KEY_PATH": str(alliance_key),
            "FLASK": {"TESTING": True},
        }
    )
    other.test_client_class = IsolatedClient
    with other.app_context():
        db.create_all()
    yield other
    with other.app_context():
        db.drop_all()
        db.engine.dispose()


def settled_case(world):
    case = case_services.file_notice(world.holder, notice_data()).obj
    case_services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "好的。"})
    proposal = case_services.add_filing(
        world.seller,
        case.id,
        {
            "kind": "settlement",
            "language": "zh",
            "text": "我们停止销售。",
            "terms": {"amount": "300", "currency": "EUR", "listing_measure": "remove"},
        },
    ).obj
    for account in (world.seller, world.holder):
        case_services.accept_settlement(account, case.id, proposal.id, case_services.text_sha256(proposal))
    assert case.state == "settled"
    return case


@pytest.fixture
def issued(app, world, platform, alliance_key):
    case = settled_case(world)
    report(platform, ("shop-1", "seller", [("email", world.seller.email), ("phone", "+8613800000001")]))
    expires = (utcnow() + timedelta(days=365)).date().isoformat()
    return alliance.do_issue(world.admin, case.id, "counterfeit_settlement", expires)


def issuer_feed(app):
    return lambda url: app.test_client().get(url.removeprefix("http://issuer.example")).data


def pin_issuer(member_app, pem=None):
    pem = pem or platform_key().public_pem.decode()  # read in the issuer's context
    with member_app.app_context():
        return alliance.do_add_member("Issuer market", ISSUER_URL, pem).key_id


def member_pull(member_app, key_id, fetch):
    with member_app.app_context():
        member = db.session.scalar(select(AllianceMember).where(AllianceMember.key_id == key_id))
        return alliance.do_pull(member, fetch)


def member_records(member_app) -> int:
    with member_app.app_context():
        return len(db.session.scalars(select(AllianceRecord)).all())


def test_a_finding_travels_to_a_member_and_its_revocation_follows(app, world, issued, member_app):
    told = db.session.scalars(select(Notification.kind).where(Notification.recipient == world.seller.email)).all()
    assert "alliance_record_issued" in told
    key_id = pin_issuer(member_app)
    assert member_pull(member_app, key_id, issuer_feed(app)) == 1
    with member_app.app_context():
        other_platform = make_account(Role.PLATFORM_CLIENT, "api@member.example")
        report(
            other_platform,
            ("other-shop", "seller", [("phone", "+86 138 0000 0001")]),
            ("unrelated", "seller", [("phone", "+8613900000002")]),
        )
        (finding,) = alliance.account_standing(other_platform, "other-shop")["findings"]
        assert (finding["issuer"], finding["finding"], finding["case_reference"]) == (
            "Issuer market",
            "counterfeit_settlement",
            issued.body["case_reference"],
        )
        assert alliance.account_standing(other_platform, "unrelated")["findings"] == []

    contest = alliance.do_contest(world.seller, issued.id, "The settlement admitted no counterfeiting.")
    with pytest.raises(Forbidden):
        alliance.do_decide_contest(world.mediator, contest.id, True, "x")
    alliance.do_decide_contest(world.admin, contest.id, True, "The settlement text admits nothing.")
    case = db.session.get(Case, issued.case_id)
    assert [e.kind for e in case.events if e.kind.startswith("alliance")] == [
        "alliance_record_issued",
        "alliance_record_revoked",
    ]
    assert member_pull(member_app, key_id, issuer_feed(app)) == 1  # the revocation
    with member_app.app_context():
        other_platform = db.session.scalar(
            select(type(world.admin)).where(type(world.admin).email == "api@member.example")
        )
        assert alliance.account_standing(other_platform, "other-shop")["findings"] == []
    assert member_pull(member_app, key_id, issuer_feed(app)) == 0  # nothing new


def test_findings_need_an_adjudicated_case_an_expiry_and_an_administrator(app, world, platform, alliance_key):
    open_case = case_services.file_notice(world.holder, notice_data()).obj
    report(platform, ("shop-1", "seller", [("email", world.seller.email), ("phone", "+8613800000001")]))
    expires = (utcnow() + timedelta(days=30)).date().isoformat()
    with pytest.raises(ValidationFailed) as refused:
        alliance.do_issue(world.admin, open_case.id, "counterfeit_settlement", expires)
    assert "finding" in refused.value.fields
    with pytest.raises(ValidationFailed) as refused:
        alliance.do_issue(world.admin, open_case.id, "counterfeit_settlement", "2001-01-01")
    assert "expires_on" in refused.value.fields
    with pytest.raises(Forbidden):
        alliance.do_issue(world.mediator, open_case.id, "counterfeit_settlement", expires)
    with pytest.raises(NotFound):
        alliance.do_contest(world.stranger_seller, 1, "not me")


def tampered(app, change):
    def fetch(url):
        feed = json.loads(issuer_feed(app)(url))
        change(feed)
        return json.dumps(feed).encode()

    return fetch


def second_record(app, world, issued):
    contest = alliance.do_contest(world.seller, issued.id, "Wrong.")
    alliance.do_decide_contest(world.admin, contest.id, True, "Agreed.")


def forge(feed):
    feed["entries"][0]["body"]["expires_at"] = "2099-01-01T00:00:00+00:00"


def swap(feed):
    feed["entries"].reverse()


def truncate(feed):
    feed["entries"].pop()


def unreachable(_feed):
    raise OSError("connection refused")


@pytest.mark.parametrize(
    "change,reason",
    [(forge, "signature"), (swap, "re-ordered"), (truncate, "truncated"), (unreachable, "could not be fetched")],
)
def test_a_forged_reordered_truncated_or_unreachable_feed_is_refused_whole(
    app, world, issued, member_app, caplog, change, reason
):
    second_record(app, world, issued)
    key_id = pin_issuer(member_app)
    with caplog.at_level(logging.WARNING), pytest.raises(alliance.FeedRefused, match=reason):
        member_pull(member_app, key_id, tampered(app, change))
    assert member_records(member_app) == 0
    assert any("refused, nothing imported" in r.getMessage() for r in caplog.records)


def test_a_feed_cut_off_in_transit_is_refused(app, issued, member_app):
    key_id = pin_issuer(member_app)
    cut = lambda url: issuer_feed(app)(url)[:-40]  # noqa: E731
    with pytest.raises(alliance.FeedRefused, match="not a well-formed"):
        member_pull(member_app, key_id, cut)
    assert member_records(member_app) == 0


def test_a_replayed_record_is_refused(app, world, issued, member_app):
    key_id = pin_issuer(member_app)
    assert member_pull(member_app, key_id, issuer_feed(app)) == 1
    second_record(app, world, issued)
    replay = lambda url: issuer_feed(app)(url.replace("after=1", "after=0"))  # noqa: E731 (serves record 1 again)
    with pytest.raises(alliance.FeedRefused, match="replayed"):
        member_pull(member_app, key_id, replay)
    assert member_records(member_app) == 1


def test_a_feed_signed_by_an_unknown_key_is_refused(app, issued, member_app):
    stranger = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_id = pin_issuer(member_app, stranger)
    with pytest.raises(alliance.FeedRefused, match="unknown key"):
        member_pull(member_app, key_id, issuer_feed(app))
    assert member_records(member_app) == 0


def test_the_feed_and_standing_over_the_api(app, api, client, world, platform, issued):
    feed = client.get("/api/v1/alliance/feed").get_json()
    assert feed["tree_head"]["tree_size"] == 1 and feed["entries"][0]["body"]["kind"] == "finding"
    assert client.get("/api/v1/alliance/feed?after=1").get_json()["entries"] == []
    (finding,) = api(world.admin).get(f"/cases/{issued.case_id}/alliance").get_json()["findings"]
    assert finding["issuer"] == "this platform"
    assert (
        api(platform).get("/alliance/standing/shop-1").get_json()["findings"][0]["finding"] == "counterfeit_settlement"
    )
    seller = api(world.seller)
    (record,) = seller.get("/alliance/records/about-me").get_json()["records"]
    contest = seller.post(f"/alliance/records/{record['id']}/contests", {"reason": "Wrong shop."})
    assert contest.status_code == 201
    decided = api(world.admin).post(
        f"/alliance/contests/{contest.get_json()['id']}/decision",
        {"upheld": False, "reason": "The settlement names the shop."},
    )
    assert decided.get_json()["status"] == "rejected"
    assert api(world.stranger_seller).get("/alliance/records/about-me").get_json()["records"] == []


def test_the_seller_contests_on_the_page(app, browser, world, issued):
    seller = browser(world.seller)
    page = seller.get("/alliance").get_data(as_text=True)
    assert "Counterfeiting established by a settlement" in page and "Contest this record" in page
    filed = seller.post(f"/alliance/records/{issued.id}/contests", {"reason": "Not us."}, form_page="/alliance")
    assert filed.status_code == 302
    admin = browser(world.admin)
    assert "Not us." in admin.get("/alliance").get_data(as_text=True)


def test_the_seller_is_told_in_its_language_what_was_found(app, world, issued):
    from odr.i18n import render_notification

    note = db.session.scalar(select(Notification).where(Notification.kind == "alliance_record_issued"))
    subject, body = render_notification(note)
    assert note.locale == "zh" and issued.body["case_reference"] in body
    assert "counterfeit_settlement" not in body


def test_pulling_every_member_reports_each_one(app, issued, member_app):
    pin_issuer(member_app)

    def unreachable(url):
        raise OSError("connection refused")

    with member_app.app_context():
        assert alliance.pull_all(unreachable)["Issuer market"].startswith("the feed could not be fetched")
        assert alliance.pull_all(issuer_feed(app)) == {"Issuer market": 1}


def test_the_worker_pulls_a_member_again_only_after_the_interval(app, issued, member_app, monkeypatch):
    pin_issuer(member_app)
    calls = []

    def counted(url):
        calls.append(url)
        raise OSError("connection refused")

    monkeypatch.setattr(alliance, "fetch_url", counted)
    with member_app.app_context():
        assert alliance.pull_due_feeds() == 0
        assert alliance.pull_due_feeds() == 0  # tried a minute ago: not again yet
    assert len(calls) == 1


def test_a_members_finding_used_here_is_told_once_to_the_seller_or_to_the_reporting_platform(
    app, world, issued, member_app
):
    key_id = pin_issuer(member_app)
    with member_app.app_context():
        seller = make_account(Role.SELLER, "shop-owner@member.example", country="CN", language="zh")
        other_platform = make_account(Role.PLATFORM_CLIENT, "api@member.example")
        report(
            other_platform,
            # the seller has an account here: told in its language
            ("known-shop", "seller", [("email", seller.email), ("phone", "+86 138 0000 0001")]),
            # nobody here to tell: the platform client that reported the account is told instead
            ("unknown-shop", "seller", [("phone", "+8613800000001")]),
            ("unrelated", "seller", [("phone", "+8613900000002")]),
        )
        assert alliance.tell_uses() == 0  # no finding pulled yet
        platform_language = other_platform.party.preferred_language
    assert member_pull(member_app, key_id, issuer_feed(app)) == 1  # the pull tells at once
    with member_app.app_context():
        told = db.session.scalars(select(Notification).where(Notification.kind.startswith("alliance_record_used")))
        told = {(n.recipient, n.kind, n.locale, n.data["ref"], n.data["issuer"]) for n in told}
        assert told == {
            ("shop-owner@member.example", "alliance_record_used", "zh", "known-shop", "Issuer market"),
            ("api@member.example", "alliance_record_used_platform", platform_language, "unknown-shop", "Issuer market"),
        }
        assert alliance.tell_uses() == 0  # once
        # an account reported later that the finding matches is told by the minute job
        other_platform = db.session.scalar(select(Account).where(Account.email == "api@member.example"))
        report(other_platform, ("late-shop", "seller", [("phone", "+86 138 0000 0001")]))
        assert alliance.tell_uses() == 1
        note = db.session.scalars(select(Notification).where(Notification.kind == "alliance_record_used")).one()
        from odr.i18n import render_notification

        subject, body = render_notification(note)
        assert "Issuer market" in body and "known-shop" in body and subject
