"""A seller's security over the API: the terms and offers of a case, an offer, a decision."""

from __future__ import annotations

from flask import g, jsonify, request

from odr.api import authenticated, bp, created, idempotency_key, json_body, multipart_data
from odr.cases.access import get_case
from odr.cases.services import Upload
from odr.securities import services


@bp.get("/cases/<int:case_id>/security")
@authenticated
def api_case_security(case_id):
    case = get_case(g.api_account, case_id)
    return jsonify(
        {
            "case_id": case.id,
            "terms": services.terms_json(case),
            "may_offer_now": services.why_not_offer(case) is None,
            "why_not": services.why_not_offer(case),
            "securities": [services.security_json(s) for s in services.securities_of(case)],
        }
    )


@bp.post("/cases/<int:case_id>/security")
@authenticated
def api_offer_security(case_id):
    get_case(g.api_account, case_id)  # unknown and foreign cases answer 404 before anything else
    data = multipart_data()
    upload = request.files.get("document")
    document = Upload(upload.stream, upload.filename) if upload and upload.filename else None
    result = services.do_offer_security(
        g.api_account, case_id, data, document, key=idempotency_key(), remote_addr=request.remote_addr or ""
    )
    return created(services.security_json(result.obj), result.created)


@bp.post("/securities/<int:security_id>/decision")
@authenticated
def api_decide_security(security_id):
    return jsonify(services.security_json(services.do_decide_security(g.api_account, security_id, json_body())))
