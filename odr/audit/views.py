"""The administrators' audit log page and its CSV and JSON exports."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, render_template, request
from flask_login import current_user, login_required

from odr.audit import pages, services
from odr.errors import ValidationFailed
from odr.pagination import check_limit

bp = Blueprint("audit", __name__, template_folder="templates")


@bp.get("/admin/audit")
@login_required
def log_page():
    services.check_reader(current_user)
    errors: dict = {}
    try:
        filters = services.check_filters(request.args)
    except ValidationFailed as exc:
        filters, errors = services.AuditFilters(), exc.fields
    page = services.entries(
        current_user,
        filters,
        limit=check_limit(request.args.get("limit"), 100),
        cursor=None if errors else request.args.get("cursor"),
    )
    status = 422 if errors else 200
    return render_template(
        "audit/log.html", page=pages.audit_page(page.items, filters, page.next_cursor), errors=errors
    ), status


@bp.get("/admin/audit.csv")
@login_required
def export_csv():
    rows = services.export_rows(current_user, services.check_filters(request.args))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=services.EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        # A cell that a spreadsheet would run as a formula is written as text.
        writer.writerow({k: f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for k, v in row.items()})
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
    )


@bp.get("/admin/audit.json")
@login_required
def export_json():
    rows = services.export_rows(current_user, services.check_filters(request.args))
    response = jsonify({"entries": rows})
    response.headers["Content-Disposition"] = 'attachment; filename="audit-log.json"'
    return response
