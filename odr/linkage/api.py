"""Linked accounts over the API: bulk reporting with per-item results, an account's links, a case's links,
contests and their decisions."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify

from odr.api import authenticated, bp, json_body, page_request, paged
from odr.linkage import services
from odr.linkage.models import LinkContest
from odr.pagination import keyset


@bp.post("/linkage/accounts")
@authenticated
def api_report_accounts():
    results = services.do_report_accounts(g.api_account, json_body().get("accounts"))
    body = {
        "accepted": sum(r.accepted for r in results),
        "refused": sum(not r.accepted for r in results),
        "results": [r.to_dict() for r in results],
    }
    # 200 with per-item results even when some are refused; 422 when none could be accepted.
    return jsonify(body), 200 if body["accepted"] else 422


@bp.get("/linkage/accounts/<path:ref>")
@authenticated
def api_account_links(ref):
    return jsonify(services.account_links(g.api_account, ref))


def side_json(side: services.SideLinks, full: bool) -> dict:
    body: dict[str, Any] = {
        "side": side.side,
        "linking_identifiers": [
            {
                "identifier_id": e["identifier"].id,
                "kind": e["identifier"].kind,
                "platform": e["account"].platform.name,
                "shared_with": e["shared_with"],
                "contests": [contest_json(c) for c in e["contests"]],
            }
            for e in side.linking_identifiers
        ],
    }
    if full:
        body["accounts"] = [{"id": a.id, "platform": a.platform.name, "ref": a.ref, "role": a.role} for a in side.own]
        body["linked"] = [
            {
                "account": entry["steps"][-1],
                "path": entry["steps"],
                "records": [
                    {
                        "reference": c.reference,
                        "jurisdiction": c.jurisdiction,
                        "state": c.state,
                        "filed_at": c.created_at.isoformat(),
                    }
                    for c in entry["records"]
                ],
            }
            for entry in side.linked
        ]
    else:
        body["linked_accounts"] = len(side.linked)
    return body


def contest_json(contest: LinkContest) -> dict:
    return {
        "id": contest.id,
        "identifier_id": contest.identifier_id,
        "case_id": contest.case_id,
        "status": contest.status,
        "reason": contest.reason,
        "decision_reason": contest.decision_reason,
        "filed_at": contest.created_at.isoformat(),
        "decided_at": contest.decided_at.isoformat() if contest.decided_at else None,
    }


@bp.get("/cases/<int:case_id>/linkage")
@authenticated
def api_case_linkage(case_id):
    view = services.case_linkage(g.api_account, case_id)
    return jsonify(
        {
            "case_id": case_id,
            "sides": [side_json(s, view["full"]) for s in view["sides"]],
            "campaigns": [
                {
                    "reasons": c["reasons"],
                    "notices": [n.reference for n in c["notices"]],
                    "parties": [p.name for p in c["parties"]],
                }
                for c in view["campaigns"]
            ],
        }
    )


@bp.post("/cases/<int:case_id>/linkage/contests")
@authenticated
def api_contest_link(case_id):
    data = json_body()
    contest = services.do_contest(g.api_account, case_id, data.get("identifier_id"), data.get("reason"))
    return jsonify(contest_json(contest)), 201


@bp.get("/linkage/contests")
@authenticated
def api_open_contests():
    limit, cursor = page_request()
    page = keyset(
        services.open_contests_query(g.api_account),
        [LinkContest.created_at, LinkContest.id],
        limit=limit,
        cursor=cursor,
        descending=False,
    )
    return jsonify(paged("contests", [contest_json(c) for c in page.items], page))


@bp.post("/linkage/contests/<int:contest_id>/decision")
@authenticated
def api_decide_contest(contest_id):
    data = json_body()
    contest = services.do_decide_contest(g.api_account, contest_id, data.get("upheld"), data.get("reason"))
    return jsonify(contest_json(contest))
