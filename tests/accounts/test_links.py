"""One-time links: e-mail verification at sign-up and password reset. Each works once, until it expires, only
for the address it went to; the e-mail goes through the outbox in the account's language."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from odr.accounts import links
from odr.accounts.models import LinkPurpose, OneTimeLink, Role, SignInSession
from odr.accounts.services import account_for_token, authenticate, issue_token, signed_in_account, start_session
from odr.errors import NotAllowed, ValidationFailed
from odr.extensions import db
from odr.models_base import utcnow
from odr.notifications.models import Notification
from tests.conftest import PASSWORD, make_account

NEW_PASSWORD = "a brand new passphrase"


def _mails(address: str, kind: str) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.recipient == address, Notification.kind == kind)
            .order_by(Notification.id)
        )
    )


def _token(note: Notification) -> str:
    return note.data["url"].rsplit("/", 1)[1]


@pytest.fixture
def seller(app):
    account = make_account(Role.SELLER, "wei@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
    account.locale = "zh_Hans"
    db.session.commit()
    return account


def _verification(app, seller, at=None) -> str:
    with app.test_request_context():
        token = links.issue_link(seller, LinkPurpose.VERIFY_EMAIL, at=at)
        db.session.commit()
    return token


def test_the_verification_link_is_e_mailed_in_the_accounts_language_and_only_its_digest_is_kept(app, seller):
    token = _verification(app, seller)
    (note,) = _mails("wei@example.cn", "verify_email")
    assert note.locale == "zh_Hans" and _token(note) == token and note.data["hours"] == 48
    stored = db.session.scalar(select(OneTimeLink))
    assert stored.token_sha256 != token and token not in str(stored.__dict__)
    from odr.i18n import render_notification

    with app.test_request_context():
        subject, body = render_notification(note)
    assert token in body and "48" in body and re.search(r"[\u4e00-\u9fff]", subject)


@pytest.mark.parametrize(
    "seconds_after_issue, works",
    [(48 * 3600 - 1, True), (48 * 3600, False), (48 * 3600 + 1, False)],
    ids=["the second before expiry", "at expiry", "the second after"],
)
def test_the_verification_link_works_until_it_expires(app, seller, seconds_after_issue, works):
    issued = utcnow() - timedelta(days=3)
    token = _verification(app, seller, at=issued)
    at = issued + timedelta(seconds=seconds_after_issue)
    if works:
        links.verify_email(token, at=at)
        assert db.session.get(type(seller), seller.id).email_verified_at == at
    else:
        with pytest.raises(ValidationFailed) as refused:
            links.verify_email(token, at=at)
        assert refused.value.code == "link_not_valid"
        assert db.session.get(type(seller), seller.id).email_verified_at is None


def test_the_verification_link_works_once_and_a_newer_one_replaces_it(app, seller):
    first = _verification(app, seller)
    second = _verification(app, seller)
    with pytest.raises(ValidationFailed):
        links.verify_email(first)  # replaced by the newer link
    links.verify_email(second)
    with pytest.raises(ValidationFailed):
        links.verify_email(second)  # spent
    with pytest.raises(NotAllowed):
        with app.test_request_context():
            links.send_verification(seller)  # nothing left to verify


def test_a_link_for_an_address_the_account_no_longer_uses_does_not_work(app, seller):
    token = _verification(app, seller)
    seller.email = "new-address@example.cn"
    db.session.commit()
    with pytest.raises(ValidationFailed):
        links.verify_email(token)
    assert seller.email_verified_at is None


def test_nonsense_tokens_are_refused_the_same_way(app, seller):
    for token in ["", "x", "a" * 43, None, 12, "a" * 5000]:
        with pytest.raises(ValidationFailed) as refused:
            links.verify_email(token)
        assert refused.value.code == "link_not_valid"


# -- password reset -------------------------------------------------------------------------------


def _ask_reset(app, address, at=None) -> None:
    with app.test_request_context():
        links.request_password_reset(address, at=at)


def test_a_reset_asked_for_an_unknown_address_sends_nothing_and_answers_the_same(app, seller):
    _ask_reset(app, "nobody@example.org")
    _ask_reset(app, "WEI@example.cn ")
    assert db.session.scalars(select(Notification.recipient).where(Notification.kind == "reset_password")).all() == [
        "wei@example.cn"
    ]
    with pytest.raises(ValidationFailed):
        _ask_reset(app, "not an address")


def test_a_reset_sets_the_new_password_ends_every_session_and_token_and_works_once(app, seller):
    cookie = start_session(seller)
    bearer = issue_token(seller)
    _ask_reset(app, "wei@example.cn")
    (note,) = _mails("wei@example.cn", "reset_password")
    token = _token(note)
    links.reset_password(token, NEW_PASSWORD)
    assert authenticate("wei@example.cn", NEW_PASSWORD) is not None
    assert authenticate("wei@example.cn", PASSWORD) is None
    assert signed_in_account(seller.id, cookie) is None and account_for_token(bearer) is None
    assert db.session.scalar(select(SignInSession.revoked_reason)) == "password_reset"
    # The link reached the address, so the address is confirmed.
    assert seller.email_verified_at is not None
    with pytest.raises(ValidationFailed) as reused:
        links.reset_password(token, "yet another passphrase")
    assert reused.value.code == "link_not_valid"
    assert authenticate("wei@example.cn", NEW_PASSWORD) is not None


@pytest.mark.parametrize("seconds_after_issue, works", [(3599, True), (3600, False), (3601, False)])
def test_a_reset_link_works_for_one_hour(app, seller, seconds_after_issue, works):
    issued = utcnow() - timedelta(hours=2)
    _ask_reset(app, "wei@example.cn", at=issued)
    token = _token(_mails("wei@example.cn", "reset_password")[0])
    at = issued + timedelta(seconds=seconds_after_issue)
    if works:
        links.reset_password(token, NEW_PASSWORD, at=at)
        assert authenticate("wei@example.cn", NEW_PASSWORD) is not None
    else:
        with pytest.raises(ValidationFailed):
            links.reset_password(token, NEW_PASSWORD, at=at)
        assert authenticate("wei@example.cn", PASSWORD) is not None


def test_the_new_password_follows_the_nist_rules_and_a_refused_one_does_not_spend_the_link(app, seller):
    _ask_reset(app, "wei@example.cn")
    token = _token(_mails("wei@example.cn", "reset_password")[0])
    for weak in ["short", " " * 12, "password123"]:
        with pytest.raises(ValidationFailed) as refused:
            links.reset_password(token, weak)
        assert "new_password" in refused.value.fields
    links.reset_password(token, "ten spaces then words          ok")
    assert authenticate("wei@example.cn", "ten spaces then words          ok") is not None


def test_the_link_is_dropped_from_the_outbox_once_the_mail_server_has_it(app, seller):
    from odr.notifications import services

    _ask_reset(app, "wei@example.cn")
    (note,) = _mails("wei@example.cn", "reset_password")
    services._forget_secret(note)
    assert "url" not in note.data and note.data["hours"] == 1
