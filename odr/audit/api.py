"""GET /api/v1/audit: the audit log for administrators, paged, newest first."""

from __future__ import annotations

from flask import g, jsonify, request

from odr.api import authenticated, bp, page_request, paged
from odr.audit import services


@bp.get("/audit")
@authenticated
def api_audit_log():
    services.check_reader(g.api_account)
    filters = services.check_filters(request.args)
    limit, cursor = page_request()
    page = services.entries(g.api_account, filters, limit=limit, cursor=cursor)
    return jsonify(paged("entries", [services.entry_dict(entry, email) for entry, email in page.items], page))
