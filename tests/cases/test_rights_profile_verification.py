"""The platform verifies a right holder's rights profile (odr/cases/verification.py, /admin/rights-profiles): an
administrator reads it with its documents and verifies it or refuses it with a reason; a change of what was
checked sets it back to waiting; a notice filed with the verified identity carries the date of the check, as
it was at filing."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest

from odr.cases import verification
from odr.cases.models import Case, RightsProfile
from odr.errors import Forbidden, ValidationFailed
from odr.extensions import db
from tests.cases.test_guided_notice import ELEMENTS, to_summary
from tests.cases.test_rights_profile import IDENTITY, PDF, save
from tests.conftest import NOTICE_ELEMENTS, notice_data

CHECKED_AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def profile() -> RightsProfile:
    row = db.session.scalar(db.select(RightsProfile))
    db.session.refresh(row)
    return row


def test_a_saved_profile_waits_and_an_administrator_verifies_it(world, browser):
    save(browser(world.holder))
    assert profile().review_status == verification.WAITING
    verification.do_decide(world.admin, profile().id, "verified", at=CHECKED_AT)
    checked = profile()
    assert (checked.review_status, checked.reviewed_by_id, checked.reviewed_at) == (
        "verified",
        world.admin.id,
        CHECKED_AT,
    )


def test_a_refusal_needs_a_reason_and_records_it(world, browser):
    save(browser(world.holder))
    with pytest.raises(ValidationFailed) as refused:
        verification.do_decide(world.admin, profile().id, "refused", "  ")
    assert "reason" in refused.value.fields and profile().review_status == verification.WAITING
    verification.do_decide(world.admin, profile().id, "refused", "The certificate names another company.")
    assert (profile().review_status, profile().refusal_reason) == ("refused", "The certificate names another company.")
    assert profile().reviewed_by_id == world.admin.id and profile().reviewed_at is not None


@pytest.mark.parametrize("who", ["holder", "seller", "mediator", "court"])
def test_only_an_administrator_may_verify(world, browser, who):
    save(browser(world.holder))
    with pytest.raises(Forbidden):
        verification.do_decide(getattr(world, who), profile().id, "verified")
    assert profile().review_status == verification.WAITING


@pytest.mark.parametrize(
    "change",
    [
        {"identity": "Flamenco Diseños S.A., Calle Mayor 2, 28013 Madrid"},
        {"registrations": "CN 99999999 (class 25)"},
        {"authorisation": (io.BytesIO(PDF), "otro-poder.pdf")},
        {"remove_document": "right_certificate"},
    ],
)
def test_a_change_of_what_was_checked_sets_the_profile_back_to_waiting(world, browser, change):
    holder = browser(world.holder)
    save(holder)
    verification.do_decide(world.admin, profile().id, "verified")
    unchanged = {"right_certificate": (io.BytesIO(b""), ""), "authorisation": (io.BytesIO(b""), "")}
    assert save(holder, **{**unchanged, **change}).status_code == 303
    assert profile().review_status == verification.WAITING and profile().reviewed_at is None


def test_saving_the_same_identity_and_documents_keeps_the_verification(world, browser):
    holder = browser(world.holder)
    save(holder)
    verification.do_decide(world.admin, profile().id, "verified")
    unchanged = {"right_certificate": (io.BytesIO(b""), ""), "authorisation": (io.BytesIO(b""), "")}
    assert save(holder, contact="Ana García, +34 611 111 111", **unchanged).status_code == 303
    assert profile().review_status == verification.VERIFIED


def file_with_identity(holder, identity: str) -> Case:
    draft = to_summary(holder, elements=dict(ELEMENTS, **{"elements.identity": identity}))
    page = f"/notices/drafts/{draft}/summary"
    key = re.search(r'name="submission_key" value="([^"]+)"', holder.get(page).get_data(as_text=True)).group(1)
    assert holder.post(f"/notices/drafts/{draft}/file", {"submission_key": key}, form_page=page).status_code == 302
    return db.session.scalar(db.select(Case).order_by(Case.id.desc()))


def test_a_notice_with_the_verified_identity_keeps_the_mark_after_the_profile_changes(world, browser):
    holder = browser(world.holder)
    save(holder)
    verification.do_decide(world.admin, profile().id, "verified", at=CHECKED_AT)
    case = file_with_identity(holder, IDENTITY)
    assert case.filings[0].terms["identity_verified_on"] == "2026-12-01"
    save(holder, identity="Otra S.L., Sevilla")  # the profile changes after filing
    assert profile().review_status == verification.WAITING
    for reader in (holder, browser(world.seller)):
        html = reader.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "Identity verified by the platform on December 1, 2026" in html
    case.mediator_id = world.mediator.id  # the mediator reads it too, in its own language
    db.session.commit()
    html = browser(world.mediator).get(f"/cases/{case.id}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "Identität von der Plattform am 1. Dezember 2026 überprüft" in html
    assert browser(world.stranger_holder).get(f"/cases/{case.id}").status_code in (403, 404)


def test_a_notice_with_another_identity_or_an_unverified_profile_has_no_mark(world, browser):
    holder = browser(world.holder)
    save(holder)
    waiting = file_with_identity(holder, IDENTITY)  # not verified yet
    verification.do_decide(world.admin, profile().id, "verified")
    other = file_with_identity(holder, "Flamenco Diseños S.L., Madrid")  # not the identity verified
    for case in (waiting, other):
        assert "identity_verified_on" not in case.filings[0].terms
        assert "verified by the platform" not in holder.get(f"/cases/{case.id}").get_data(as_text=True)


# -- the pages -----------------------------------------------------------------------------------


def seen_on(admin, page: str) -> str:
    """The version of the profile the review page shows (sent back with the decision)."""
    return re.search(r'name="seen" value="([^"]*)"', admin.get(page).get_data(as_text=True)).group(1)


def test_the_administrator_lists_reads_and_verifies_a_waiting_profile(world, browser):
    holder = browser(world.holder)
    save(holder)
    assert "Waiting for the platform to check" in holder.get("/rights-profile").get_data(as_text=True)
    admin = browser(world.admin)
    listing = admin.get("/admin/rights-profiles").get_data(as_text=True)
    assert "Flamenco Diseños S.L." in listing
    page = f"/admin/rights-profiles/{profile().id}"
    html = admin.get(page).get_data(as_text=True)
    assert "registro-cn.pdf" in html and "poder.pdf" in html and "CN 12345678" in html
    download = admin.get(f"{page}/documents/right_certificate")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    assert download.mimetype == "application/octet-stream" and download.headers["Content-Disposition"].startswith(
        "attachment"
    )
    assert admin.get(f"{page}/documents/nothing").status_code == 404
    response = admin.post(page, {"decision": "verified", "reason": "", "seen": seen_on(admin, page)}, form_page=page)
    assert response.status_code == 303
    assert "Flamenco Diseños S.L." not in admin.get("/admin/rights-profiles").get_data(as_text=True)
    assert "Verified by the platform on" in holder.get("/rights-profile").get_data(as_text=True)


def test_a_refusal_without_a_reason_is_refused_with_the_form_kept_and_the_holder_reads_the_reason(world, browser):
    holder = browser(world.holder)
    save(holder)
    admin = browser(world.admin)
    page = f"/admin/rights-profiles/{profile().id}"
    seen = seen_on(admin, page)
    response = admin.post(page, {"decision": "refused", "reason": "", "seen": seen}, form_page=page)
    assert response.status_code == 422 and 'value="refused" checked' in response.get_data(as_text=True)
    response = admin.post(
        page, {"decision": "refused", "reason": "El poder <b>caducó</b>.", "seen": seen}, form_page=page
    )
    assert response.status_code == 303
    html = holder.get("/rights-profile").get_data(as_text=True)
    assert "Refused by the platform" in html and "El poder &lt;b&gt;caducó&lt;/b&gt;." in html


def test_the_review_pages_are_the_administrators_only(world, browser):
    save(browser(world.holder))
    page = f"/admin/rights-profiles/{profile().id}"
    for who in ("holder", "seller", "mediator"):
        client = browser(getattr(world, who))
        assert client.get("/admin/rights-profiles").status_code == 403
        assert client.get(page).status_code == 403
        assert client.get(f"{page}/documents/right_certificate").status_code == 403
    assert browser(world.mediator).post(page, {"decision": "verified"}, form_page="/").status_code in (400, 403)
    assert profile().review_status == verification.WAITING


def test_the_review_pages_speak_the_administrators_language(world, browser):
    save(browser(world.holder))
    world.admin.language = "es"
    db.session.commit()
    admin = browser(world.admin)
    html = admin.get("/admin/rights-profiles", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Perfiles de derechos por comprobar" in html


def test_a_profile_changed_while_the_administrator_reads_it_is_not_decided_unseen(world, browser):
    holder = browser(world.holder)
    save(holder)
    admin = browser(world.admin)
    page = f"/admin/rights-profiles/{profile().id}"
    seen = seen_on(admin, page)
    save(holder, identity="Otra S.L., Sevilla")  # changed after the administrator opened the page
    response = admin.post(page, {"decision": "verified", "seen": seen}, form_page=page)
    assert response.status_code == 409 and "changed meanwhile" in response.get_data(as_text=True)
    assert profile().review_status == verification.WAITING


@pytest.mark.parametrize("path", ["api", "batch"])
def test_every_way_of_filing_marks_a_notice_stating_the_verified_identity(world, browser, api, path):
    """The mark is written where a case opens, so a notice filed through the API, or in a batch, carries it too."""
    save(browser(world.holder))
    verification.do_decide(world.admin, profile().id, "verified", at=CHECKED_AT)
    data = notice_data(elements=dict(NOTICE_ELEMENTS, identity=IDENTITY))
    if path == "api":
        answer = api(world.holder).post("/cases", data)
        assert answer.status_code == 201, answer.get_json()
    else:
        answer = api(world.holder).post("/notices:batch", [dict(data, item_key="one")])
        assert answer.status_code in (200, 201, 207), answer.get_json()
    case = db.session.scalar(db.select(Case).order_by(Case.id.desc()))
    assert case.filings[0].terms["identity_verified_on"] == "2026-12-01"
    another = dict(NOTICE_ELEMENTS, identity="Flamenco Diseños S.L., Calle Sierpes 5, Sevilla")
    other = api(world.holder).post("/cases", notice_data(elements=another, listings=["https://shop.example/item/9"]))
    assert other.status_code == 201, other.get_json()
    assert "identity_verified_on" not in db.session.get(Case, other.get_json()["id"]).filings[0].terms
