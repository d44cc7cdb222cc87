"""Conduct over the API: records, a case's records and wrongful-notice claim, findings, appeals."""

from __future__ import annotations

from flask import g, jsonify

from odr.api import authenticated, bp, json_body, page_request, paged
from odr.cases.access import get_case
from odr.conduct import health_safety, pages, services, triage
from odr.conduct.models import AccountMeasure
from odr.pagination import keyset


@bp.get("/conduct/record")
@authenticated
def api_own_record():
    return jsonify(services.own_record(g.api_account).to_dict())


@bp.get("/conduct/parties/<int:party_id>/record")
@authenticated
def api_party_record(party_id):
    return jsonify(services.record_for(g.api_account, party_id).to_dict())


@bp.get("/cases/<int:case_id>/conduct")
@authenticated
def api_case_conduct(case_id):
    page = pages.case_conduct_page(g.api_account, case_id)
    return jsonify(
        {
            "case_id": case_id,
            "records": {side: record.to_dict() for side, record in page.records.items()},
            "wrongful_notice": services.claim_json(page.claim) if page.claim else None,
        }
    )


@bp.get("/cases/<int:case_id>/health-safety")
@authenticated
def api_case_health_safety(case_id):
    """The fast track of a case for everyone who sees the case; the triage figures for reviewers and mediators."""
    page = pages.case_conduct_page(g.api_account, case_id)
    case = get_case(g.api_account, case_id)
    return jsonify(
        {
            "case_id": case_id,
            "health_safety": health_safety.screen_json(page.health_safety.screen, case) if page.health_safety else None,
            "triage_used": page.triage_used,
            "triage": triage.triage_json(page.triage.row) if page.triage else None,
        }
    )


@bp.post("/cases/<int:case_id>/health-safety/clear")
@authenticated
def api_clear_health_safety(case_id):
    found = health_safety.do_clear(g.api_account, case_id, json_body())
    return jsonify(health_safety.screen_json(found, found.case))


@bp.post("/cases/<int:case_id>/health-safety/counterfeit")
@authenticated
def api_confirm_counterfeit(case_id):
    found = health_safety.do_confirm_counterfeit(g.api_account, case_id, json_body())
    return jsonify(health_safety.screen_json(found, found.case))


@bp.post("/cases/<int:case_id>/wrongful-notice")
@authenticated
def api_claim_wrongful_notice(case_id):
    claim = services.do_claim_wrongful_notice(g.api_account, case_id, json_body())
    return jsonify(services.claim_json(claim)), 201


@bp.post("/conduct/claims/<int:claim_id>/finding")
@authenticated
def api_decide_wrongful_notice(claim_id):
    return jsonify(services.claim_json(services.do_decide_wrongful_notice(g.api_account, claim_id, json_body())))


@bp.post("/conduct/measures/<int:measure_id>/appeal")
@authenticated
def api_appeal(measure_id):
    return jsonify(services.measure_json(services.do_appeal(g.api_account, measure_id, json_body().get("text"))))


@bp.get("/conduct/appeals")
@authenticated
def api_pending_appeals():
    limit, cursor = page_request()
    page = keyset(
        services.pending_appeals_query(g.api_account),
        [AccountMeasure.appealed_at, AccountMeasure.id],
        limit=limit,
        cursor=cursor,
        descending=False,
    )
    return jsonify(paged("appeals", [services.measure_json(m) for m in page.items], page))


@bp.post("/conduct/measures/<int:measure_id>/appeal-decision")
@authenticated
def api_decide_appeal(measure_id):
    data = json_body()
    measure = services.do_decide_appeal(g.api_account, measure_id, data.get("lift"), data.get("reasons"))
    return jsonify(services.measure_json(measure))


@bp.get("/conduct/trusted-flaggers")
@authenticated
def api_trusted_flaggers():
    return jsonify({"trusted_flaggers": [services.trusted_flagger_json(f) for f in services.trusted_flaggers()]})


@bp.post("/conduct/trusted-flaggers")
@authenticated
def api_register_trusted_flagger():
    flagger = services.do_register_trusted_flagger(g.api_account, json_body())
    return jsonify(services.trusted_flagger_json(flagger)), 201


@bp.post("/conduct/trusted-flaggers/<int:flagger_id>/revocation")
@authenticated
def api_revoke_trusted_flagger(flagger_id):
    flagger = services.do_revoke_trusted_flagger(g.api_account, flagger_id, json_body())
    return jsonify(services.trusted_flagger_json(flagger))


@bp.get("/conduct/good-faith")
@authenticated
def api_good_faith():
    if g.api_account.party is None:
        return jsonify({"good_faith": None})
    return jsonify({"good_faith": services.good_faith_standing(g.api_account.party)})


@bp.get("/conduct/queue")
@authenticated
def api_queue():
    return jsonify(
        {
            "queue": [
                {
                    "case_id": e.case.id,
                    "case_reference": e.case.reference,
                    "state": e.case.state,
                    "filed_at": e.case.created_at.isoformat(),
                    "lane": e.lane,
                    "trusted_flagger": services.trusted_flagger_json(e.flagger) if e.flagger else None,
                    "health_safety": e.health_safety,
                    "triage_score": e.triage.score if e.triage is not None else None,
                    "triage_suggestion": e.triage.suggestion if e.triage is not None else None,
                }
                for e in services.notice_queue(g.api_account)
            ],
            "note": (
                "Health-and-safety cases first, then the lanes, then the higher triage score: the order says what "
                "to look at first; it decides nothing and changes no period."
            ),
        }
    )
