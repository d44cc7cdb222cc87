"""Linked accounts through the API and the pages: bulk reports, a case's links, contesting a wrong link."""

from __future__ import annotations

import pytest

from odr.linkage import services
from tests.linkage.conftest import report

pytestmark = pytest.mark.e2e

BANK = "6222020000000001"


def test_bulk_report_answers_each_item_and_explains_an_accounts_links(app, api, platform, other_platform):
    client = api(platform)
    response = client.post(
        "/linkage/accounts",
        {
            "accounts": [
                {"ref": "shop-1", "identifiers": [{"kind": "bank_account", "value": BANK}]},
                {
                    "ref": "shop-2",
                    "identifiers": [
                        {"kind": "bank_account", "value": BANK},
                        {"kind": "phone", "value": "+8613800000001"},
                    ],
                },
                {"ref": "shop-3", "identifiers": [{"kind": "phone", "value": "13800000001"}]},
            ]
        },
    )
    body = response.get_json()
    assert response.status_code == 200
    assert (body["accepted"], body["refused"]) == (2, 1)
    assert body["results"][2]["status"] == "refused" and "identifiers[0]" in body["results"][2]["errors"]
    api(other_platform).post(
        "/linkage/accounts",
        {"accounts": [{"ref": "elsewhere", "identifiers": [{"kind": "phone", "value": "+86 138 0000 0001"}]}]},
    )
    links = client.get("/linkage/accounts/shop-1").get_json()
    assert links["component_size"] == 3
    paths = {
        entry["account"]["ref"]: [s.get("ref") or s.get("identifier_kind") for s in entry["path"]]
        for entry in links["linked"]
    }
    # Another platform's account is shown by platform and role only.
    assert paths == {
        "shop-2": ["shop-1", "bank_account", "shop-2"],
        None: ["shop-1", "bank_account", "shop-2", "phone", None],
    }
    assert client.get("/linkage/accounts/unknown").status_code == 404


def test_a_batch_with_nothing_acceptable_is_422_and_other_roles_are_refused(app, api, world, platform):
    response = api(platform).post("/linkage/accounts", {"accounts": [{"ref": "x", "identifiers": "phone"}]})
    assert response.status_code == 422
    assert response.get_json()["results"][0]["errors"]["identifiers"]
    assert api(platform).post("/linkage/accounts", {"accounts": "all"}).status_code == 422
    assert api(world.seller).post("/linkage/accounts", {"accounts": []}).status_code == 403
    assert api(world.seller).get("/linkage/accounts/x").status_code == 403


def test_case_links_over_the_api_full_for_the_mediator_minimal_for_the_party(app, api, world, platform, case_id):
    report(
        platform,
        ("shop-1", "seller", [("email", world.seller.email), ("bank_account", BANK)]),
        ("shop-2", "seller", [("bank_account", BANK)]),
    )
    mediator = api(world.mediator).get(f"/cases/{case_id}/linkage").get_json()
    assert mediator["sides"][0]["linked"][0]["account"]["ref"] == "shop-2"
    seller = api(world.seller).get(f"/cases/{case_id}/linkage").get_json()
    (side,) = seller["sides"]
    assert side["linked_accounts"] == 1 and "linked" not in side and "shop-2" not in str(seller)
    assert api(world.stranger_seller).get(f"/cases/{case_id}/linkage").status_code == 404

    identifier_id = side["linking_identifiers"][0]["identifier_id"]
    contest = api(world.seller).post(
        f"/cases/{case_id}/linkage/contests", {"identifier_id": identifier_id, "reason": "Not our bank account."}
    )
    assert contest.status_code == 201
    assert api(world.seller).get("/linkage/contests").status_code == 403
    (pending,) = api(world.admin).get("/linkage/contests").get_json()["contests"]
    decided = api(world.admin).post(
        f"/linkage/contests/{pending['id']}/decision", {"upheld": True, "reason": "The bank confirmed another holder."}
    )
    assert decided.get_json()["status"] == "upheld"
    assert api(world.mediator).get(f"/cases/{case_id}/linkage").get_json()["sides"][0]["linked"] == []
    assert (
        api(world.admin)
        .post(f"/linkage/contests/{pending['id']}/decision", {"upheld": "yes", "reason": "x"})
        .status_code
        == 409
    )


def test_the_mediator_sees_on_the_case_page_why_two_accounts_are_linked(app, browser, world, platform, case_id):
    report(
        platform,
        ("shop-1", "seller", [("email", world.seller.email), ("phone", "+8613800000001")]),
        ("shop-<2>", "seller", [("phone", "+8613800000001")]),
    )
    mediator = browser(world.mediator)
    assert f"/cases/{case_id}/linkage" in mediator.get(f"/cases/{case_id}").get_data(as_text=True)
    page = mediator.get(f"/cases/{case_id}/linkage").get_data(as_text=True)
    assert "shop-&lt;2&gt;" in page and "same identifier: Phone number" in page
    assert browser(world.stranger_seller).get(f"/cases/{case_id}/linkage").status_code == 404


def test_the_seller_contests_a_link_on_the_page_and_the_administrator_decides(app, browser, world, platform, case_id):
    report(
        platform,
        ("shop-1", "seller", [("email", world.seller.email), ("address", "1 Example Road")]),
        ("shop-2", "seller", [("address", "1 Example Road")]),
    )
    seller = browser(world.seller)
    page_path = f"/cases/{case_id}/linkage"
    page = seller.get(page_path).get_data(as_text=True)
    assert "shop-2" not in page and "Contest this link" in page
    (entry,) = services.case_linkage(world.seller, case_id)["sides"][0].linking_identifiers
    empty = seller.post(
        f"{page_path}/contests", {"identifier_id": entry["identifier"].id, "reason": ""}, form_page=page_path
    )
    assert empty.status_code == 422 and "Say why the link is wrong" in empty.get_data(as_text=True)
    filed = seller.post(
        f"{page_path}/contests",
        {"identifier_id": entry["identifier"].id, "reason": "A shared office building."},
        form_page=page_path,
    )
    assert filed.status_code == 302
    assert "awaiting decision" in seller.get(page_path).get_data(as_text=True)
    admin = browser(world.admin)
    desk = admin.get("/linkage/contests").get_data(as_text=True)
    assert "A shared office building." in desk
    contest_id = services.open_contests(world.admin)[0].id
    decided = admin.post(
        "/linkage/contests",
        {"contest_id": contest_id, "decision": "reject", "reason": "Same invoices."},
        form_page="/linkage/contests",
    )
    assert decided.status_code == 302
    assert "rejected" in seller.get(page_path).get_data(as_text=True)
    assert browser(world.seller).get("/linkage/contests").status_code == 403
