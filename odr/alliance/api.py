"""The alliance over the API: the public feed, issuing records, standing, contests."""

from __future__ import annotations

from flask import g, jsonify, request

from odr.alliance import services
from odr.alliance.models import AllianceRecord, RecordContest
from odr.api import authenticated, bp, json_body, page_request, paged
from odr.pagination import keyset


def record_json(record: AllianceRecord) -> dict:
    return {
        "id": record.id,
        "entry_hash": record.entry_hash,
        "body": record.body,
        "signature": record.signature,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
    }


def contest_json(contest: RecordContest) -> dict:
    return {
        "id": contest.id,
        "record_id": contest.record_id,
        "status": contest.status,
        "reason": contest.reason,
        "decision_reason": contest.decision_reason,
    }


@bp.get("/alliance/feed")
def api_alliance_feed():
    return jsonify(services.feed(request.args.get("after", 0, type=int)))


@bp.post("/alliance/records")
@authenticated
def api_issue_record():
    data = json_body()
    case_id = data.get("case_id")
    record = services.do_issue(
        g.api_account,
        case_id if isinstance(case_id, int) else 0,
        data.get("finding"),
        data.get("expires_on"),
    )
    return jsonify(record_json(record)), 201


@bp.get("/alliance/standing/<path:ref>")
@authenticated
def api_account_standing(ref):
    return jsonify(services.account_standing(g.api_account, ref))


@bp.get("/cases/<int:case_id>/alliance")
@authenticated
def api_case_standing(case_id):
    return jsonify({"case_id": case_id, "findings": services.case_standing(g.api_account, case_id)["findings"]})


@bp.get("/alliance/records/about-me")
@authenticated
def api_records_about_me():
    limit, cursor = page_request()
    page = keyset(
        services.records_about_query(g.api_account),
        [AllianceRecord.seq, AllianceRecord.id],
        limit=limit,
        cursor=cursor,
        descending=False,
    )
    return jsonify(paged("records", [record_json(r) for r in page.items], page))


@bp.post("/alliance/records/<int:record_id>/contests")
@authenticated
def api_contest_record(record_id):
    return jsonify(contest_json(services.do_contest(g.api_account, record_id, json_body().get("reason")))), 201


@bp.post("/alliance/contests/<int:contest_id>/decision")
@authenticated
def api_decide_record_contest(contest_id):
    data = json_body()
    return jsonify(
        contest_json(services.do_decide_contest(g.api_account, contest_id, data.get("upheld"), data.get("reason")))
    )
