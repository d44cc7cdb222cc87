"""The lifecycle through the web pages, as a browser without JavaScript would do it (CSRF on)."""

import io
import re

import pytest

from odr.cases.models import Case
from odr.extensions import db
from tests.conftest import decide_eu_notice, notice_form_elements

pytestmark = pytest.mark.e2e


def case_page(session, case_id):
    page = session.get(f"/cases/{case_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_sign_up_file_answer_and_settle_through_the_pages(app, world, browser):
    holder = browser()
    signup = holder.post(
        "/signup",
        {
            "email": "new@holder.es",
            "password": "long-password-1",
            "display_name": "Ana",
            "organisation": "Ana S.L.",
            "role": "right_holder",
            "country": "ES",
            "language": "es",
            "time_zone": "Europe/Madrid",
        },
        form_page="/signup",
    )
    assert signup.status_code == 302

    notice = holder.post(
        "/cases/new",
        {
            "jurisdiction": "EU",
            "right_type": "trademark",
            "title": "Marca <script>alert(1)</script>",
            "text": "Uso de nuestra marca.",
            "language": "es",
            "listings": "https://shop.example/a\nitem-b",
            "respondent_email": world.seller.email,
            "submission_key": "web-1",
            **notice_form_elements(),
            "evidence": (io.BytesIO(b"%PDF-1.4 evidence"), "../../etc/passwd.pdf"),
        },
        form_page="/cases/new",
        content_type="multipart/form-data",
    )
    assert notice.status_code == 302, notice.get_data(as_text=True)
    case_id = int(notice.headers["Location"].rsplit("/", 1)[1])
    html = case_page(holder, case_id)
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "passwd.pdf" in html and "../" not in re.findall(r"<bdi>([^<]*passwd[^<]*)</bdi>", html)[0]

    decide_eu_notice(world.admin, case_id)  # a platform reviewer's reasoned decision (DSA Art. 16)
    seller = browser(world.seller)
    assert (
        seller.post(
            f"/cases/{case_id}/filings",
            {"kind": "response", "language": "zh", "text": "我们不同意。", "submission_key": "s-1"},
            form_page=f"/cases/{case_id}",
        ).status_code
        == 302
    )
    assert (
        seller.post(
            f"/cases/{case_id}/filings",
            {
                "kind": "settlement",
                "language": "zh",
                "text": "删除商品。",
                "listing_measure": "remove",
                "submission_key": "s-2",
            },
            form_page=f"/cases/{case_id}",
        ).status_code
        == 302
    )
    case = db.session.get(Case, case_id)
    proposal = case.filings[-1]
    for session in (seller, holder):
        html = case_page(session, case_id)
        digest = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', html).group(1)
        assert (
            session.post(
                f"/cases/{case_id}/settlements/{proposal.id}/accept",
                {"text_sha256": digest},
                form_page=f"/cases/{case_id}",
            ).status_code
            == 302
        )
    db.session.expire_all()
    assert db.session.get(Case, case_id).state == "settled"
    assert "Settled" in case_page(holder, case_id)


def test_a_form_error_is_shown_and_nothing_is_filed(world, browser):
    holder = browser(world.holder)
    response = holder.post(
        "/cases/new",
        {
            "jurisdiction": "ZZ",
            "right_type": "trademark",
            "title": "",
            "text": "x",
            "language": "es",
            "listings": "",
            "respondent_email": "nobody",
        },
        form_page="/cases/new",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Unknown jurisdiction" in html and "This field is required" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Case)) == 0


def test_a_post_without_csrf_token_is_refused(world, browser):
    holder = browser(world.holder)
    response = holder.client.post("/cases/new", data={"title": "x"})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_each_demo_role_sees_its_cases(app):
    from odr.accounts.models import Account
    from odr.cases.access import visible_cases
    from odr.demo import PASSWORD, load_demo
    from tests.conftest import Browser

    logins = load_demo()
    assert {role for role, _e, _p in logins} >= {"right_holder", "seller", "mediator", "court", "admin"}
    for role, email, _password in logins:
        account = db.session.scalar(db.select(Account).where(Account.email == email))
        expected = {case.id for case in db.session.scalars(visible_cases(account))}
        assert expected, (role, email)
        session = Browser(app)
        session.login(email, PASSWORD)
        html = session.get("/?lang=en").get_data(as_text=True)
        shown = {int(n) for n in re.findall(r'href="/cases/(\d+)"', html)}
        assert shown == expected, (role, email)
