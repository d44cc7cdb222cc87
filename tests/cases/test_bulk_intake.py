"""Notices in bulk: every item checked like a single notice, answered item by item, grouped into cases as a
platform expects, and filed once however often the batch is sent."""

import json

import pytest

from odr.cases import bulk
from odr.cases.models import Case, Listing
from odr.conduct.models import NoticeRefusal
from odr.extensions import db
from odr.idempotency import IdempotentRequest
from tests.conftest import notice_data

pytestmark = pytest.mark.e2e


def count(model):
    db.session.expire_all()
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def listing_item(n: int, seller="seller@example.cn", **overrides) -> dict:
    return notice_data(seller, listings=[f"https://shop.example/item/{n}"], item_key=f"L{n}", **overrides)


def ndjson(items) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def post_batch(client, body, content_type="application/json", headers=None):
    data = json.dumps(body) if content_type == "application/json" and not isinstance(body, bytes) else body
    return client.client.post(
        "/api/v1/notices:batch",
        data=data,
        content_type=content_type,
        headers={**client.headers, **(headers or {})},
    )


def test_each_item_is_answered_valid_ones_with_their_case_invalid_ones_with_their_fields(world, api):
    holder = api(world.holder)
    items = [listing_item(1), listing_item(2, jurisdiction="XX"), listing_item(3, respondent={"email": "nope"})]
    response = post_batch(holder, items, headers={"Accept-Language": "de"})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()
    first, unknown, bad_seller = answer["items"]
    assert first["status"] == "created" and first["item_key"] == "L1"
    assert first["case"]["reference"] and first["case"]["links"]["self"] == f"/api/v1/cases/{first['case']['id']}"
    assert unknown["status"] == "refused" and "jurisdiction" in unknown["error"]["fields"]
    # In the caller's language.
    assert "Unbekannte" in unknown["error"]["fields"]["jurisdiction"]
    assert set(bad_seller["error"]["fields"]) == {"respondent.email"}
    assert answer["summary"] == {"items": 3, "created": 1, "replayed": 0, "refused": 2, "cases": 1}
    assert count(Case) == 1
    # Refused items count in the filer's record, as a refused single notice does.
    assert count(NoticeRefusal) == 2


def test_listings_of_one_holder_against_one_seller_become_one_case(world, api):
    holder = api(world.holder)
    items = [listing_item(n) for n in range(5)] + [listing_item(9, seller="other-seller@example.jp")]
    answer = post_batch(holder, items).get_json()
    cases = answer["cases"]
    assert [(c["items"], c["listings"]) for c in cases] == [([0, 1, 2, 3, 4], 5), ([5], 1)]
    assert len({item["case"]["id"] for item in answer["items"][:5]}) == 1
    case = db.session.get(Case, cases[0]["id"])
    assert sorted(x.locator for x in case.listings) == [f"https://shop.example/item/{n}" for n in range(5)]
    assert len(case.filings) == 1  # one notice for the five listings


def test_a_group_past_the_listing_limit_of_a_notice_opens_the_next_case(world, api, monkeypatch):
    monkeypatch.setattr(bulk, "MAX_LISTINGS", 3)
    answer = post_batch(api(world.holder), [listing_item(n) for n in range(7)]).get_json()
    assert [c["items"] for c in answer["cases"]] == [[0, 1, 2], [3, 4, 5], [6]]


def test_a_retried_batch_creates_nothing_new_and_answers_the_same_cases(world, api):
    holder = api(world.holder)
    items = [listing_item(n) for n in range(4)] + [listing_item(7, jurisdiction="XX")]
    first = post_batch(holder, items).get_json()
    again = post_batch(holder, items).get_json()
    assert [i.get("case") for i in again["items"]] == [i.get("case") for i in first["items"]]
    assert [i["status"] for i in again["items"]] == ["replayed"] * 4 + ["refused"]
    assert count(Case) == 1 and count(Listing) == 4
    # An item key reused for another notice is refused for that item only.
    changed = post_batch(holder, [listing_item(1, title="Other"), listing_item(5)]).get_json()
    assert changed["items"][0]["error"]["code"] == "idempotency_key_reused"
    assert changed["items"][1]["status"] == "created"


def test_without_item_keys_the_requests_idempotency_key_files_each_item_once(world, api):
    holder = api(world.holder)
    items = [notice_data(listings=[f"item-{n}"]) for n in range(3)]
    first = post_batch(holder, items, headers={"Idempotency-Key": "feed-42"}).get_json()
    again = post_batch(holder, items, headers={"Idempotency-Key": "feed-42"}).get_json()
    assert [i["status"] for i in again["items"]] == ["replayed"] * 3
    assert again["cases"][0]["id"] == first["cases"][0]["id"]
    assert count(Case) == 1 and count(IdempotentRequest) == 3


def test_ndjson_is_read_line_by_line_and_a_malformed_line_is_named(world, api):
    body = ndjson([listing_item(1)]) + b"\n{not json\n" + ndjson([listing_item(2)]) + b"[1, 2]\n"
    response = post_batch(api(world.holder), body, "application/x-ndjson", headers={"Accept-Language": "fr"})
    answer = response.get_json()
    assert [(i["line"], i["status"]) for i in answer["items"]] == [
        (1, "created"),
        (3, "refused"),
        (4, "created"),
        (5, "refused"),
    ]
    error = answer["items"][1]["error"]
    assert error["code"] == "malformed_line" and "3" in error["message"]
    assert "ligne" in error["message"].lower()
    assert answer["summary"]["cases"] == 1


def test_more_than_ten_thousand_items_are_refused_before_anything_is_filed(world, api, monkeypatch):
    holder = api(world.holder)
    body = ndjson([listing_item(1)]) + b"{}\n" * bulk.MAX_ITEMS
    response = post_batch(holder, body, "application/x-ndjson")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "too_many_items" and "10,000" in error["message"]
    as_array = post_batch(holder, [listing_item(1)] + [{}] * bulk.MAX_ITEMS)
    assert as_array.get_json()["error"]["code"] == "too_many_items"
    assert count(Case) == 0 and count(NoticeRefusal) == 0


def test_a_body_that_is_not_a_list_of_notices_is_refused(world, api):
    holder = api(world.holder)
    assert post_batch(holder, {"jurisdiction": "CN"}).get_json()["error"]["code"] == "malformed_json"
    assert post_batch(holder, b"x", "text/plain").get_json()["error"]["code"] == "malformed_request"
    assert post_batch(holder, [42]).get_json()["items"][0]["error"]["code"] == "malformed_item"


def test_sellers_and_platform_strangers_cannot_file_in_bulk(world, api):
    assert post_batch(api(world.seller), [listing_item(1)]).status_code == 403
    assert count(Case) == 0


def test_a_new_seller_named_in_many_items_is_one_party(world, api):
    holder = api(world.holder)
    new = {"email": "new@shop.example", "name": "New Shop", "country": "CN", "language": "zh"}
    items = [listing_item(1, respondent=new), listing_item(2, respondent=new, title="Other goods")]
    answer = post_batch(holder, items).get_json()
    assert answer["summary"]["cases"] == 2
    first, second = (db.session.get(Case, c["id"]) for c in answer["cases"])
    assert first.respondent_party_id == second.respondent_party_id


def test_a_further_listing_in_a_case_costs_one_statement_its_measures(world, api, sql_statements):
    """Statements per listing (a count, not a time): grouped into one case, each further listing adds only the
    INSERT of the measure ordered on it; its listing row and its item's key are written with the others in one
    statement, and the platform's webhook endpoints are read once per act. (Before: four per listing.)"""
    holder = api(world.holder)

    def statements(n: int, first: int) -> int:
        with sql_statements() as sent:
            answer = post_batch(holder, [listing_item(first + k) for k in range(n)]).get_json()
        assert answer["summary"] == {"items": n, "created": n, "replayed": 0, "refused": 0, "cases": 1}
        return len(sent)

    few, many = statements(5, 0), statements(25, 100)
    assert many - few <= 20, (few, many)
    assert count(Listing) == 30 and count(IdempotentRequest) == 30


def test_a_seller_whose_listings_cross_chunks_gets_one_case(world, api, monkeypatch):
    """A platform's feed interleaves its sellers: each seller's listings become one case however many chunks of
    the batch they are spread over (before, one case per seller per chunk); the limit of a notice still holds."""
    monkeypatch.setattr(bulk, "CHUNK_ITEMS", 3)
    monkeypatch.setattr(bulk, "MAX_LISTINGS", 5)
    sellers = ["seller@example.cn", "other-seller@example.jp"]
    answer = post_batch(api(world.holder), [listing_item(n, seller=sellers[n % 2]) for n in range(12)]).get_json()
    assert [(c["items"], c["listings"]) for c in answer["cases"]] == [
        ([0, 2, 4, 6, 8], 5),
        ([1, 3, 5, 7, 9], 5),
        ([10], 1),
        ([11], 1),
    ]
    assert answer["summary"] == {"items": 12, "created": 12, "replayed": 0, "refused": 0, "cases": 4}
    assert count(Listing) == 12 and count(IdempotentRequest) == 12


def test_items_another_request_filed_meanwhile_are_answered_as_its_cases(world, api, monkeypatch):
    """A lost race (another request recorded one of the keys after this one read them): what this batch had not
    committed yet is planned again, that item answers the other's case, and nothing is filed twice."""
    monkeypatch.setattr(bulk, "CHUNK_ITEMS", 3)
    holder = api(world.holder)
    earlier = post_batch(holder, [listing_item(4)]).get_json()["cases"][0]["id"]
    recorded = bulk.Submission.recorded
    hidden: list[str] = []

    def not_yet_committed(account_id, keys):
        keys = list(keys)
        if "item:L4" in keys and not hidden:
            hidden.append("item:L4")
            return {}
        return recorded(account_id, keys)

    monkeypatch.setattr(bulk.Submission, "recorded", staticmethod(not_yet_committed))
    sellers = ["seller@example.cn", "other-seller@example.jp"]
    answer = post_batch(holder, [listing_item(n, seller=sellers[n % 2]) for n in range(8)]).get_json()
    assert hidden == ["item:L4"]
    statuses = [(i["index"], i["status"]) for i in answer["items"]]
    assert statuses == [(n, "replayed" if n == 4 else "created") for n in range(8)]
    assert answer["items"][4]["case"]["id"] == earlier
    assert count(Case) == 3 and count(Listing) == 8 and count(IdempotentRequest) == 8


def test_an_item_key_twice_in_a_batch_is_refused_the_second_time_wherever_it_falls(world, api, monkeypatch):
    monkeypatch.setattr(bulk, "CHUNK_ITEMS", 2)
    answer = post_batch(api(world.holder), [listing_item(1), listing_item(2), listing_item(1)]).get_json()
    assert [i["status"] for i in answer["items"]] == ["created", "created", "refused"]
    assert answer["items"][2]["error"]["code"] == "duplicate_item_key"
    assert count(Listing) == 2
