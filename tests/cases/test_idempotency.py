"""Identical retried submissions create one filing; a key reused for something else is refused."""

import pytest

from odr.cases.models import Case, Filing
from odr.extensions import db
from tests.conftest import notice_data, notice_form_elements

pytestmark = pytest.mark.e2e


def count(model):
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_retried_notice_creates_one_case(world, api):
    holder = api(world.holder)
    first = holder.upload("/cases", notice_data(), [("a.pdf", b"%PDF-1.4 x")], headers={"Idempotency-Key": "n-1"})
    again = holder.upload(
        "/cases",
        notice_data(),
        [("a.pdf", b"%PDF-1.4 x")],
        headers={"Idempotency-Key": "n-1", "Prefer": "return=representation"},
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert count(Case) == 1
    # The one evidence file, stored once (the notice's element files come with it: the right certificate...).
    assert [e["name"] for e in again.get_json()["evidence"]].count("a.pdf") == 1


def test_a_retried_filing_creates_one_filing(world, api):
    holder, seller = api(world.holder), api(world.seller)
    case_id = holder.post("/cases", notice_data()).get_json()["id"]
    answer = {"kind": "response", "language": "zh", "text": "答复"}
    first = seller.post(f"/cases/{case_id}/filings", answer, headers={"Idempotency-Key": "r-1"})
    # The retry is answered from the record, even though a second answer would now be refused.
    again = seller.post(f"/cases/{case_id}/filings", answer, headers={"Idempotency-Key": "r-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert count(Filing) == 2  # the notice and the one answer


def test_the_same_key_with_another_body_is_refused(world, api):
    holder = api(world.holder)
    holder.post("/cases", notice_data(), headers={"Idempotency-Key": "k"})
    response = holder.post("/cases", notice_data(title="Another"), headers={"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(Case) == 1


def test_keys_belong_to_one_account(world, api):
    api(world.holder).post("/cases", notice_data(), headers={"Idempotency-Key": "shared"})
    other = api(world.stranger_holder).post("/cases", notice_data(), headers={"Idempotency-Key": "shared"})
    assert other.status_code == 201
    assert count(Case) == 2


def test_a_double_submitted_form_files_once(world, browser):
    holder = browser(world.holder)
    form = {
        "jurisdiction": "CN",
        "right_type": "design",
        "title": "Bolso",
        "text": "Copia del bolso",
        "language": "es",
        "listings": "https://shop.example/1",
        "respondent_email": world.seller.email,
        "submission_key": "form-123",
    }
    # Each post sends the same files afresh (the notice's element files), as a browser would.
    first = holder.post("/cases/new", {**form, **notice_form_elements()}, form_page="/cases/new")
    second = holder.post("/cases/new", {**form, **notice_form_elements()}, form_page="/cases/new")
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Case) == 1
