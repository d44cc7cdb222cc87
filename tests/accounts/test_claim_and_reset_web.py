"""The pages and API routes of e-mail verification, claiming a case and password reset (CSRF on)."""

from __future__ import annotations

from sqlalchemy import select

from odr.accounts.models import Account, Role
from odr.cases import services
from odr.extensions import db
from odr.notifications.models import Notification
from tests.conftest import CSRF_RE, PASSWORD, make_account, notice_data

SHOP = "new-shop@example.vn"


def _invite_new_shop(world):
    data = notice_data(respondent={"email": SHOP, "name": "Cửa hàng Hoa", "country": "VN", "language": "vi"})
    case = services.file_notice(world.holder, data).obj
    invitation = select(Notification).where(Notification.recipient == SHOP, Notification.kind == "invitation")
    note = db.session.scalar(invitation)
    return case, note.data["invitation_code"]


def _link(address: str, kind: str) -> str:
    note = db.session.scalar(
        select(Notification)
        .where(Notification.recipient == address, Notification.kind == kind)
        .order_by(Notification.id.desc())
    )
    return "/" + note.data["url"].split("/", 3)[3]


def _sign_up(browser, email="owner@hoa.example.vn"):
    guest = browser()
    response = guest.post(
        "/signup",
        {
            "email": email,
            "password": "long-enough-pass",
            "display_name": "Nguyễn",
            "organisation": "Hoa",
            "role": "seller",
            "country": "VN",
            "language": "vi",
            "time_zone": "Asia/Ho_Chi_Minh",
        },
        form_page="/signup",
    )
    assert response.status_code == 302
    return guest


def test_sign_up_e_mails_a_link_and_the_profile_shows_the_address_confirmed_after_it(world, browser):
    seller = _sign_up(browser)
    profile = seller.get("/profile").get_data(as_text=True)
    assert "not confirmed yet" in profile and "Send me a new link" in profile
    link = _link("owner@hoa.example.vn", "verify_email")
    page = seller.get(link)
    assert page.status_code == 200 and "Confirm my address" in page.get_data(as_text=True)
    assert seller.post(link, form_page=link).status_code == 302
    assert "confirmed on" in seller.get("/profile").get_data(as_text=True)
    again = seller.get(link)
    assert again.status_code == 410 and "does not work" in again.get_data(as_text=True)


def test_a_new_link_is_sent_from_the_profile_and_limited(world, browser):
    seller = _sign_up(browser)
    for _ in range(3):
        assert seller.post("/profile/verification", form_page="/profile").status_code == 302
    refused = seller.post("/profile/verification", form_page="/profile")
    assert refused.status_code == 429 and "Too many confirmation e-mails" in refused.get_data(as_text=True)
    assert len(db.session.scalars(select(Notification.id).where(Notification.kind == "verify_email")).all()) == 4


def test_a_seller_claims_the_case_from_the_profile(world, browser):
    case, code = _invite_new_shop(world)
    seller = _sign_up(browser)
    assert "Claim the case" in seller.get("/profile").get_data(as_text=True)
    done = seller.post("/profile/claim", {"invitation_code": code}, form_page="/profile")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert seller.get(f"/cases/{case.id}").status_code == 200


def test_a_wrong_code_gets_a_clear_error_in_the_users_language_and_is_rate_limited(world, browser):
    _case, code = _invite_new_shop(world)
    seller = _sign_up(browser)
    seller.client.get("/?lang=es")
    for _ in range(5):
        wrong = seller.post("/profile/claim", {"invitation_code": "not-the-code-1234"}, form_page="/profile")
        assert wrong.status_code == 422
        assert "no es válido" in wrong.get_data(as_text=True)
    limited = seller.post("/profile/claim", {"invitation_code": code}, form_page="/profile")
    assert limited.status_code == 429 and "Demasiados códigos" in limited.get_data(as_text=True)
    # From another account at another address, the right code still works.
    other = make_account(Role.SELLER, "other@hoa.example.vn", country="VN", language="vi")
    api_client = browser().client
    token = api_client.post("/api/v1/tokens", json={"email": other.email, "password": PASSWORD}).get_json()["token"]
    claimed = api_client.post(
        "/api/v1/me/claims",
        json={"invitation_code": code},
        headers={"Authorization": f"Bearer {token}"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert claimed.status_code == 201 and claimed.get_json()["cases"] == [_case.id]


def test_wrong_codes_are_limited_per_address_across_accounts(world, api):
    _invite_new_shop(world)
    for n in range(20):
        account = make_account(Role.SELLER, f"s{n}@spray.example", country="VN", language="vi")
        wrong = api(account).post("/me/claims", {"invitation_code": f"guess-number-{n:04d}"})
        assert wrong.status_code == 422, n
        assert wrong.get_json()["error"]["code"] == "invitation_code_not_valid"
    last = make_account(Role.SELLER, "last@spray.example", country="VN", language="vi")
    limited = api(last).post("/me/claims", {"invitation_code": "guess-number-last"})
    assert limited.status_code == 429 and "wrong invitation codes" in limited.get_json()["error"]["message"]


def test_the_api_offers_the_case_to_the_verified_address_and_accepts_it(world, api, client):
    case, _code = _invite_new_shop(world)
    seller = make_account(Role.SELLER, SHOP, country="VN", language="vi", tz="Asia/Ho_Chi_Minh")
    me = api(seller)
    assert me.get("/me/claims").get_json() == {"email_verified": False, "offer": None}
    assert me.post("/me/claims", {"party_id": case.respondent_party_id}).status_code == 409
    assert me.post("/me/email-verification").status_code == 202
    link = _link(SHOP, "verify_email")
    csrf = CSRF_RE.search(client.get(link).get_data(as_text=True)).group(1)
    assert client.post(link, data={"csrf_token": csrf}).status_code == 302
    offer = me.get("/me/claims").get_json()
    assert offer["email_verified"] and offer["offer"]["cases"][0]["id"] == case.id
    joined = me.post("/me/claims", {"party_id": offer["offer"]["party"]["id"]})
    assert joined.status_code == 201 and me.get(f"/cases/{case.id}").get_json()["your_roles"] == ["respondent"]


def test_the_profile_offers_the_case_to_a_verified_address(world, browser):
    case, _code = _invite_new_shop(world)
    seller = _sign_up(browser, SHOP)
    assert "Join these cases" not in seller.get("/profile").get_data(as_text=True)
    link = _link(SHOP, "verify_email")
    seller.post(link, form_page=link)
    profile = seller.get("/profile").get_data(as_text=True)
    assert "Join these cases" in profile and "Cửa hàng Hoa" in profile and case.reference in profile
    party_id = str(case.respondent_party_id)
    assert seller.post("/profile/claim/offer", {"party_id": party_id}, form_page="/profile").status_code == 302
    assert seller.get(f"/cases/{case.id}").status_code == 200


def test_the_reset_request_answers_the_same_whether_or_not_the_account_exists(world, browser, client):
    pages = []
    for address in (world.seller.email, "nobody@example.org"):
        guest = browser()
        answer = guest.post("/password/forgot", {"email": address}, form_page="/password/forgot")
        assert answer.status_code == 302
        pages.append(guest.get(answer.headers["Location"]).get_data(as_text=True))
    strip = [CSRF_RE.sub("", page) for page in pages]
    assert strip[0] == strip[1] and "If an account uses this address" in strip[0]
    api_answers = [client.post("/api/v1/password-resets", json={"email": a}) for a in ("holder@example.es", "no@x.org")]
    assert [(r.status_code, r.get_data()) for r in api_answers] == [(202, b""), (202, b"")]
    sent = db.session.scalars(select(Notification.recipient).where(Notification.kind == "reset_password")).all()
    assert sorted(sent) == ["holder@example.es", world.seller.email]


def test_reset_requests_are_limited_per_account_and_per_address(world, client):
    for _ in range(3):
        assert client.post("/api/v1/password-resets", json={"email": world.seller.email}).status_code == 202
    limited = client.post("/api/v1/password-resets", json={"email": world.seller.email})
    assert limited.status_code == 429 and "new password" in limited.get_json()["error"]["message"]
    # Another account from this address still may, up to the address's own limit.
    for n in range(17):
        answer = client.post("/api/v1/password-resets", json={"email": f"user{n}@example.org"})
        assert answer.status_code == 202, n
    assert client.post("/api/v1/password-resets", json={"email": "u99@example.org"}).status_code == 429


def test_the_reset_link_sets_the_password_and_signs_out_every_browser(world, browser):
    signed_in = browser(world.seller)
    guest = browser()
    guest.post("/password/forgot", {"email": world.seller.email}, form_page="/password/forgot")
    link = _link(world.seller.email, "reset_password")
    assert guest.get(link).status_code == 200
    weak = guest.post(link, {"new_password": "          "}, form_page=link)
    assert weak.status_code == 422 and "only spaces" in weak.get_data(as_text=True)
    done = guest.post(link, {"new_password": "a brand new passphrase"}, form_page=link)
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert signed_in.get("/profile").status_code == 302  # its session ended
    again = guest.get(link)
    assert again.status_code == 410
    guest.login(world.seller.email, "a brand new passphrase")
    db.session.expire_all()
    assert db.session.get(Account, world.seller.id).email_verified_at is not None
