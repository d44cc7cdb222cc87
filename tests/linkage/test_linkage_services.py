"""Linked accounts without HTTP: keyed identifiers, components, explanations, contests, campaigns."""

from __future__ import annotations

import hashlib
import hmac
import random

import networkx as nx
import pytest
from sqlalchemy import select, text

from odr.cases import services as case_services
from odr.cases.events import verify_chain
from odr.cases.models import Case
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.linkage import services
from odr.linkage.models import AccountIdentifier, IdentifierKind, LinkedAccount
from tests.conftest import make_account, notice_data
from tests.linkage.conftest import report


def component(account_id):
    return db.session.get(LinkedAccount, account_id).component_id


def test_identifiers_are_stored_only_as_keyed_hashes(app, platform):
    ids = report(platform, ("s1", "seller", [("phone", "+86 755 1234 5678"), ("bank_account", "CN12 3456 7890")]))
    stored = db.session.scalars(select(AccountIdentifier.digest).where(AccountIdentifier.account_id == ids["s1"])).all()
    key = services.linkage_key()
    expected = hmac.new(key, b"phone:+8675512345678", hashlib.sha256).hexdigest()
    assert expected in stored
    dump = "\n".join(
        str(row)
        for table in ("linkage_accounts", "linkage_identifiers")
        for row in db.session.execute(text(f"SELECT * FROM {table}"))
    )
    assert "1234" not in dump.replace(expected, "") and "CN12" not in dump


def test_spellings_of_one_identifier_link_and_kinds_never_cross(app, platform):
    ids = report(
        platform,
        ("a", "seller", [("phone", "+86 (755) 1234-5678")]),
        ("b", "seller", [("phone", "+86 755 12345678")]),
        ("c", "seller", [("business_licence", "8675512345678")]),
    )
    assert component(ids["a"]) == component(ids["b"]) != component(ids["c"])


def test_accounts_sharing_identifiers_form_one_component_with_the_shortest_explaining_path(app, platform):
    ids = report(
        platform,
        ("a", "seller", [("phone", "+8613800000001")]),
        ("b", "seller", [("phone", "+8613800000001"), ("bank_account", "6222020000000001")]),
        ("c", "seller", [("bank_account", "6222 0200 0000 0001"), ("shop_name", "Lucky  Star Shop")]),
        ("d", "seller", [("shop_name", "lucky star shop")]),
        ("e", "seller", [("email", "e@example.com")]),
    )
    assert len({component(ids[r]) for r in "abcd"}) == 1
    assert component(ids["e"]) != component(ids["a"])
    graph = services.component_graph([component(ids["a"])])
    path = services.explaining_paths(graph, {ids["a"]})[ids["d"]]
    steps = services.path_steps(graph, path)
    assert [s.get("ref") or s["identifier_kind"] for s in steps] == [
        "a",
        "phone",
        "b",
        "bank_account",
        "c",
        "shop_name",
        "d",
    ]


def test_a_batch_is_answered_item_by_item_and_refused_items_store_nothing(app, platform):
    items = [
        {"ref": "good", "identifiers": [{"kind": "phone", "value": "+4915112345678"}]},
        {"ref": "bad-kind", "identifiers": [{"kind": "passport", "value": "X1"}]},
        {
            "ref": "half-good",
            "identifiers": [{"kind": "email", "value": "ok@example.com"}, {"kind": "email", "value": "not an address"}],
        },
        {
            "ref": "dup",
            "identifiers": [{"kind": "email", "value": "A@example.com"}, {"kind": "email", "value": "a@example.com "}],
        },
        {"ref": "good", "identifiers": [{"kind": "phone", "value": "+4915100000000"}]},
        "not an object",
        {"identifiers": [{"kind": "phone", "value": "+4915100000001"}]},
    ]
    results = services.do_report_accounts(platform, items)
    assert [r.accepted for r in results] == [True, False, False, False, False, False, False]
    assert "identifiers[0]" in results[1].errors
    assert "identifiers[1]" in results[2].errors and "identifiers[0]" not in results[2].errors
    assert "identifiers[1]" in results[3].errors
    assert "ref" in results[4].errors and "ref" in results[6].errors
    assert db.session.scalars(select(LinkedAccount.ref)).all() == ["good"]
    assert db.session.scalar(select(db.func.count()).select_from(AccountIdentifier)) == 1


def test_reporting_the_same_account_again_changes_nothing(app, platform):
    item = [{"ref": "s", "identifiers": [{"kind": "phone", "value": "+4915112345678"}]}]
    first = services.do_report_accounts(platform, item)[0]
    again = services.do_report_accounts(platform, item)[0]
    assert (first.added, again.added, again.known, again.account_id) == (1, 0, 1, first.account_id)


def test_only_platform_clients_report_accounts(app, world, platform):
    with pytest.raises(Forbidden):
        services.do_report_accounts(world.seller, [{"ref": "x", "identifiers": []}])
    with pytest.raises(ValidationFailed):
        services.do_report_accounts(platform, [])


def test_incremental_components_equal_a_full_recomputation(app, platform):
    rng = random.Random(7)
    phones = [f"+86138{n:08d}" for n in range(60)]
    accounts = [
        (f"acc-{n}", "seller", [("phone", rng.choice(phones)) for _ in range(rng.randint(1, 2))]) for n in range(120)
    ]
    for ref, role, identifiers in accounts:
        services.do_report_accounts(
            platform,
            [
                {
                    "ref": ref,
                    "role": role,
                    "identifiers": [{"kind": k, "value": v} for k, v in dict.fromkeys(identifiers)],
                }
            ],
        )
    graph = nx.Graph()
    for ref, _role, identifiers in accounts:
        graph.add_node(ref)
        graph.add_edges_from((ref, value) for _kind, value in identifiers)
    expected = {frozenset(n for n in part if n.startswith("acc-")) for part in nx.connected_components(graph)}
    by_ref = dict(db.session.execute(select(LinkedAccount.ref, LinkedAccount.component_id)).all())
    incremental = {frozenset(r for r, c in by_ref.items() if c == comp) for comp in set(by_ref.values())}
    assert incremental == expected
    db.session.execute(db.update(LinkedAccount).values(component_id=LinkedAccount.id))  # forget everything
    db.session.commit()
    assert services.rebuild_components() > 0
    by_ref = dict(db.session.execute(select(LinkedAccount.ref, LinkedAccount.component_id)).all())
    assert {frozenset(r for r, c in by_ref.items() if c == comp) for comp in set(by_ref.values())} == expected


def test_the_seller_on_a_case_sees_that_a_link_was_used_but_not_the_other_accounts(app, world, platform, case_id):
    report(
        platform,
        ("shop-1", "seller", [("email", world.seller.email), ("bank_account", "6222020000000001")]),
        ("shop-2", "seller", [("bank_account", "6222020000000001")]),
    )
    view = services.case_linkage(world.seller, case_id)
    assert not view["full"]
    (side,) = view["sides"]
    assert side.side == "respondent" and len(side.linked) == 1
    assert [e["identifier"].kind for e in side.linking_identifiers] == ["bank_account"]
    seller_side = services.case_linkage(world.mediator, case_id)["sides"][0]
    assert [s.get("ref") or s["identifier_kind"] for s in seller_side.linked[0]["steps"]] == [
        "shop-1",
        "bank_account",
        "shop-2",
    ]


def test_strangers_do_not_see_a_cases_links(app, world, platform, case_id):
    for outsider in (world.stranger_seller, world.other_mediator, world.court):
        with pytest.raises(NotFound):
            services.case_linkage(outsider, case_id)


def test_the_mediator_sees_the_linked_accounts_records(app, world, platform, case_id):
    other = make_account(world.seller.role, "second-shop@example.cn", country="CN", language="zh", tz="Asia/Shanghai")
    earlier = case_services.file_notice(world.stranger_holder, notice_data(seller_email=other.email)).obj
    report(
        platform,
        ("shop-1", "seller", [("email", world.seller.email), ("phone", "+8613800000001")]),
        ("shop-2", "seller", [("email", other.email), ("phone", "+86 138 0000 0001")]),
    )
    (entry,) = services.case_linkage(world.mediator, case_id)["sides"][0].linked
    assert entry["account"].ref == "shop-2"
    assert [r.reference for r in entry["records"]] == [earlier.reference]


def test_an_upheld_contest_withdraws_the_link_and_splits_the_component(app, world, platform, case_id):
    ids = report(
        platform,
        ("shop-1", "seller", [("email", world.seller.email), ("address", "1 Example Road")]),
        ("shop-2", "seller", [("address", "1 example road")]),
    )
    assert component(ids["shop-1"]) == component(ids["shop-2"])
    (entry,) = services.case_linkage(world.seller, case_id)["sides"][0].linking_identifiers
    with pytest.raises(ValidationFailed):
        services.do_contest(world.seller, case_id, entry["identifier"].id, "  ")
    with pytest.raises(NotFound):  # the right holder cannot contest the seller's link
        services.do_contest(world.holder, case_id, entry["identifier"].id, "Not mine")
    contest = services.do_contest(world.seller, case_id, entry["identifier"].id, "We moved out in 2024.")
    with pytest.raises(NotAllowed):
        services.do_contest(world.seller, case_id, entry["identifier"].id, "Again")
    with pytest.raises(Forbidden):
        services.do_decide_contest(world.mediator, contest.id, True, "ok")
    services.do_decide_contest(world.admin, contest.id, True, "Tenancy ended; the address is shared by a building.")
    assert component(ids["shop-1"]) != component(ids["shop-2"])
    case = db.session.get(Case, case_id)
    assert [e.kind for e in case.events][-2:] == ["link_contested", "link_contest_decided"]
    assert not verify_chain(case.events)
    assert services.case_linkage(world.mediator, case_id)["sides"][0].linked == []
    with pytest.raises(NotAllowed):
        services.do_decide_contest(world.admin, contest.id, False, "again")


def test_a_rejected_contest_keeps_the_link(app, world, platform, case_id):
    ids = report(
        platform,
        ("shop-1", "seller", [("email", world.seller.email), ("phone", "+8613800000009")]),
        ("shop-2", "seller", [("phone", "+8613800000009")]),
    )
    (entry,) = services.case_linkage(world.seller, case_id)["sides"][0].linking_identifiers
    contest = services.do_contest(world.seller, case_id, entry["identifier"].id, "Not us.")
    services.do_decide_contest(world.admin, contest.id, False, "Same phone on both shops' invoices.")
    assert component(ids["shop-1"]) == component(ids["shop-2"])


def test_linked_notifiers_against_one_seller_are_a_coordinated_campaign(app, world, platform):
    first = case_services.file_notice(world.holder, notice_data()).obj
    second = case_services.file_notice(world.stranger_holder, notice_data()).obj
    assert services.coordinated_campaigns(second) == []  # not linked yet: two independent notifiers
    iban = "ES7620770024003102575766"
    report(
        platform,
        ("n1", "notifier", [("email", world.holder.email), ("bank_account", iban)]),
        ("n2", "notifier", [("email", world.stranger_holder.email), ("bank_account", f" {iban.lower()} ")]),
    )
    (campaign,) = services.coordinated_campaigns(second)
    assert campaign["reasons"] == ["linked_notifiers"]
    assert {n.id for n in campaign["notices"]} == {first.id, second.id}


def test_a_burst_of_notices_from_one_notifier_is_flagged(app, world):
    cases = [
        case_services.file_notice(world.holder, notice_data(title=f"Bag {n}")).obj
        for n in range(services.BURST_NOTICES)
    ]
    (campaign,) = services.coordinated_campaigns(cases[-1])
    assert campaign["reasons"] == ["burst"]
    assert services.coordinated_campaigns(cases[0])[0]["reasons"] == ["burst"]


@pytest.mark.parametrize(
    "kind,value",
    [
        ("phone", "0755 1234"),
        ("email", "nobody"),
        ("image_fingerprint", "xyz"),
        ("bank_account", "12"),
        ("shop_name", " a "),
    ],
)
def test_malformed_identifiers_are_refused_with_a_reason(app, kind, value):
    with pytest.raises(ValueError):
        services.normalise(IdentifierKind(kind), value)


def against(seller_email: str) -> dict:
    """A notice against a seller that has no account yet (it is invited)."""
    return notice_data(
        respondent={"email": seller_email, "name": seller_email.split("@")[0], "country": "CN", "language": "zh"}
    )


def test_linked_notifiers_filing_against_several_sellers_are_flagged(app, world, platform):
    first = case_services.file_notice(world.holder, against("shop-a@example.cn")).obj
    case_services.file_notice(world.stranger_holder, against("shop-b@example.cn"))
    assert services.coordinated_campaigns(first) == []  # two notifiers, not linked
    report(
        platform,
        ("n1", "notifier", [("email", world.holder.email), ("phone", "+34600000001")]),
        ("n2", "notifier", [("email", world.stranger_holder.email), ("phone", "+34 600 000 001")]),
    )
    assert services.coordinated_campaigns(first) == []  # linked, but against two sellers only
    case_services.file_notice(world.stranger_holder, against("shop-c@example.cn"))
    (campaign,) = services.coordinated_campaigns(first)
    assert campaign["reasons"] == ["linked_notifiers_many_sellers"]
    assert {p.id for p in campaign["parties"]} == {world.holder.party_id, world.stranger_holder.party_id}
