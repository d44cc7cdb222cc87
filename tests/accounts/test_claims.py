"""Claiming a case: a seller who signed up without the invitation code (or lost it) reaches its case with the
code from the profile, or, once its e-mail address is verified, by accepting the case offered to that address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from odr.accounts.models import Account, Party, Role
from odr.cases import claims, services
from odr.cases.access import case_roles
from odr.cases.models import Case
from odr.errors import Forbidden, NotAllowed, ValidationFailed
from odr.extensions import db
from odr.models_base import utcnow
from odr.notifications.models import Notification
from tests.conftest import make_account, notice_data

SHOP = "new-shop@example.vn"


def _notice_against_new_shop(world, title="Counterfeit FLAMENCO bags") -> Case:
    data = notice_data(
        seller_email=SHOP,
        title=title,
        respondent={"email": SHOP, "name": "Cửa hàng Hoa", "country": "VN", "language": "vi"},
    )
    return services.file_notice(world.holder, data).obj


def _code() -> str:
    invitation = select(Notification).where(Notification.recipient == SHOP, Notification.kind == "invitation")
    note = db.session.scalar(invitation)
    return note.data["invitation_code"]


@pytest.fixture
def shop(world) -> Account:
    """The seller signed up on its own, with another address and without the code."""
    return make_account(Role.SELLER, "owner@hoa.example.vn", country="VN", language="vi", tz="Asia/Ho_Chi_Minh")


def test_the_code_from_the_profile_joins_the_case_as_signing_up_with_it_would(world, shop):
    case = _notice_against_new_shop(world)
    second = _notice_against_new_shop(world, title="Second listing")
    assert case_roles(shop, case) == set()
    party = claims.claim_with_code(shop, f"  {_code()}  ")
    assert party.id == case.respondent_party_id and shop.party_id == party.id
    assert case_roles(shop, case) == {"respondent"} and case_roles(shop, second) == {"respondent"}
    # Recorded on each case's chain, by the one function that also records a sign-up with the code.
    for each in (case, second):
        joined = [e for e in each.events if e.kind == "respondent_joined"]
        recorded = [(e.actor_id, e.actor_case_role, e.payload) for e in joined]
        assert recorded == [(shop.id, "respondent", {"how": "code"})]
    # The code is spent: it works once.
    other = make_account(Role.SELLER, "other@hoa.example.vn", country="VN", language="vi")
    with pytest.raises(ValidationFailed):
        claims.claim_with_code(other, _code())


def test_signing_up_with_the_code_is_recorded_by_the_same_act(world, client):
    case = _notice_against_new_shop(world)
    signup = {
        "email": SHOP,
        "password": "long-enough-pass",
        "display_name": "Nguyễn",
        "organisation": "ignored",
        "role": "seller",
        "country": "VN",
        "language": "vi",
        "time_zone": "Asia/Ho_Chi_Minh",
        "invitation_code": _code(),
    }
    assert client.post("/api/v1/accounts", json=signup).status_code == 201
    db.session.expire_all()
    (joined,) = [e for e in db.session.get(Case, case.id).events if e.kind == "respondent_joined"]
    assert joined.payload == {"how": "sign_up"}


def test_a_wrong_code_is_not_valid_whoever_it_would_belong_to(world, shop):
    _notice_against_new_shop(world)
    answers = set()
    for code in ["guess-guess-guess", "", None, 42, "x" * 5000, "a" * 22]:
        with pytest.raises(ValidationFailed) as refused:
            claims.claim_with_code(shop, code)
        answers.add((refused.value.code, refused.value.message, tuple(refused.value.fields.items())))
    assert len(answers) == 1
    ((code, message, fields),) = answers
    assert code == "invitation_code_not_valid" and "not valid" in message and fields[0][0] == "invitation_code"
    assert shop.party.name == "Org of owner@hoa.example.vn"


def test_only_sellers_and_representatives_claim(world):
    _notice_against_new_shop(world)
    for account in (world.holder, world.mediator, world.admin, world.court):
        with pytest.raises(Forbidden):
            claims.claim_with_code(account, _code())


def test_an_organisation_that_takes_part_in_cases_is_not_moved_away_from_them(world):
    _notice_against_new_shop(world)
    before = world.seller.party_id
    services.file_notice(world.holder, notice_data(title="Against the seller's own organisation"))
    with pytest.raises(NotAllowed) as refused:
        claims.claim_with_code(world.seller, _code())
    assert refused.value.code == "party_has_cases" and world.seller.party_id == before
    # The invitation is still there for the right account.
    assert db.session.scalar(select(Party).where(Party.contact_email == SHOP)).invitation_sha256


def test_the_case_is_offered_to_the_matching_address_only_once_it_is_verified(world):
    case = _notice_against_new_shop(world)
    seller = make_account(Role.SELLER, SHOP, country="VN", language="vi", tz="Asia/Ho_Chi_Minh")
    assert claims.offer_for(seller) is None
    with pytest.raises(NotAllowed):
        claims.accept_offer(seller, case.respondent_party_id)
    seller.email_verified_at = utcnow()
    db.session.commit()
    offer = claims.offer_for(seller)
    assert offer.party.id == case.respondent_party_id and [c.id for c in offer.cases] == [case.id]
    # Offered, not joined: nothing changes until the seller accepts.
    assert case_roles(seller, case) == set()
    claims.accept_offer(seller, case.respondent_party_id)
    assert case_roles(seller, case) == {"respondent"} and claims.offer_for(seller) is None
    assert [e.payload for e in case.events if e.kind == "respondent_joined"] == [{"how": "verified_email"}]


def test_a_verified_address_of_another_kind_of_account_is_offered_nothing(world):
    _notice_against_new_shop(world)
    holder = make_account(Role.RIGHT_HOLDER, "holder@hoa.example.vn")
    holder.email, holder.email_verified_at = SHOP.upper(), utcnow()
    db.session.commit()
    assert claims.offer_for(holder) is None
