"""What to do next over the API: the signed-in account's pending obligations, most urgent first."""

from __future__ import annotations

from flask import g, jsonify

from odr.api import authenticated, bp
from odr.todo.services import obligations


@bp.get("/todo")
@authenticated
def todo():
    return jsonify({"obligations": [o.as_json() for o in obligations(g.api_account)]})
