"""Mediator assignment over the API (administrators)."""
from __future__ import annotations

from flask import g, jsonify

from odr.api import authenticated, bp, json_body
from odr.cases.api import case_json
from odr.mediation.services import assign_mediator


@bp.post("/cases/<int:case_id>/mediator")
@authenticated
def api_assign_mediator(case_id):
    case = assign_mediator(g.api_account, case_id, json_body().get("mediator_id"))
    return jsonify(case_json(case, g.api_account))
