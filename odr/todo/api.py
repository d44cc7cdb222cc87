"""What to do next over the API: the signed-in account's pending obligations, most urgent first."""

from __future__ import annotations

from flask import g, jsonify

from odr.api import authenticated, bp, page_request, paged
from odr.todo.services import obligations


@bp.get("/todo")
@authenticated
def todo():
    limit, cursor = page_request()
    page = obligations(g.api_account, limit=limit, cursor=cursor)
    return jsonify(paged("obligations", [o.as_json() for o in page.items], page))
