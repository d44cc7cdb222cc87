"""The case document carries a case's latest 50 filings, how many the reader may read and a link to the earlier
ones; GET /cases/<id>/filings reads them all a page at a time, oldest first. Both follow the rule of who reads what:
a party never reads a caucus it is not in, and a stranger does not see the case at all."""

from __future__ import annotations

from odr.cases import services
from tests.mediation.conftest import mediated_case


def message(account, case_id, text, **extra):
    services.add_filing(account, case_id, {"kind": "message", "language": "es", "text": text, **extra})


def texts(filings: list[dict]) -> list[str]:
    return [f["text"] for f in filings if f["kind"] == "message"]


def walk(client, url: str | None) -> list[dict]:
    """Every filing from ``url`` on, following the next links to the last page."""
    seen: list[dict] = []
    while url:
        body = client.get(url.removeprefix("/api/v1")).get_json()
        seen += body["filings"]
        url = body["next"]
    return seen


def test_a_case_with_more_than_50_filings_carries_its_latest_50_and_links_to_the_rest(world, api):
    case_id = mediated_case(world)
    for i in range(55):
        message(world.holder, case_id, f"Mensaje {i}")
    holder = api(world.holder)
    document = holder.get(f"/cases/{case_id}").get_json()
    assert texts(document["filings"]) == [f"Mensaje {i}" for i in range(5, 55)]
    assert document["filings_total"] == 56  # with the notice that opened the case
    assert document["links"]["filings"] == f"/api/v1/cases/{case_id}/filings"

    earlier = walk(holder, document["links"]["earlier_filings"])
    assert [f["kind"] for f in earlier][0] == "notice"
    assert texts(earlier) == [f"Mensaje {i}" for i in range(5)]
    assert earlier + document["filings"] == walk(holder, document["links"]["filings"])


def test_a_case_with_50_filings_or_fewer_carries_them_all(world, api):
    case_id = mediated_case(world)
    for i in range(3):
        message(world.holder, case_id, f"Mensaje {i}")
    document = api(world.holder).get(f"/cases/{case_id}").get_json()
    assert texts(document["filings"]) == ["Mensaje 0", "Mensaje 1", "Mensaje 2"]
    assert document["filings_total"] == len(document["filings"]) == 4
    assert document["links"]["earlier_filings"] is None


def test_walking_the_filings_yields_every_readable_filing_once_in_order(world, api):
    case_id = mediated_case(world)
    for i in range(4):
        message(world.holder, case_id, f"Mensaje {i}")
        message(world.seller, case_id, f"Privado {i}", caucus=True)
    everything = [text for i in range(4) for text in (f"Mensaje {i}", f"Privado {i}")]
    for reader in (world.seller, world.mediator):
        walked = walk(api(reader), f"/cases/{case_id}/filings?limit=3")
        assert texts(walked) == everything
        assert [f["id"] for f in walked] == sorted({f["id"] for f in walked})
    holder = api(world.holder)
    assert texts(walk(holder, f"/cases/{case_id}/filings?limit=3")) == [f"Mensaje {i}" for i in range(4)]


def test_a_party_never_reads_a_caucus_it_is_not_in_through_either_route(world, api, monkeypatch):
    from odr.cases import api as case_api

    monkeypatch.setattr(case_api, "CASE_DOCUMENT_FILINGS", 2)
    case_id = mediated_case(world)
    for i in range(3):
        message(world.seller, case_id, f"Privado {i}", caucus=True)
        message(world.holder, case_id, f"Mensaje {i}")
    holder = api(world.holder)
    document = holder.get(f"/cases/{case_id}").get_json()
    assert texts(document["filings"]) == ["Mensaje 1", "Mensaje 2"]
    assert document["filings_total"] == 4
    assert not any(f["caucus"] for f in walk(holder, document["links"]["earlier_filings"]))
    assert not any(f["caucus"] for f in walk(holder, document["links"]["filings"]))
    seller = api(world.seller).get(f"/cases/{case_id}").get_json()
    assert texts(seller["filings"]) == ["Privado 2", "Mensaje 2"] and seller["filings_total"] == 7


def test_a_stranger_sees_no_filings_and_a_forged_cursor_is_refused(world, api):
    case_id = mediated_case(world)
    stranger = api(world.stranger_holder)
    assert stranger.get(f"/cases/{case_id}/filings").status_code == 404
    assert stranger.get(f"/cases/{case_id}").status_code == 404
    holder = api(world.holder)
    for parameter in ("cursor", "before"):
        refused = holder.get(f"/cases/{case_id}/filings?{parameter}=not-a-cursor")
        assert refused.status_code == 422
        assert refused.get_json()["error"]["code"] == "bad_cursor"
        assert "This cursor is not one the server gave out" in refused.get_json()["error"]["message"]
