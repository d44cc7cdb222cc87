"""Public pages: the register of notices and the transparency report, each as HTML, CSV and JSON, and the
Lumen export. No sign-in: what is published here is minimised for publication."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, jsonify, render_template, request

from odr.cases.models import RightType
from odr.errors import ValidationFailed
from odr.forms import FormState
from odr.transparency import services
from odr.transparency.charts import report_charts

bp = Blueprint("transparency", __name__, template_folder="templates")

REGISTER_PAGE_ROWS = 500


def csv_response(rows, filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        # A cell starting with = + - @ would be a formula in a spreadsheet; publish it as text.
        writer.writerow([f"'{c}" if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
    return Response(
        buffer.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def _filters(with_case_filters=True) -> tuple[services.Filters | None, dict]:
    try:
        return services.check_filters(request.args, with_case_filters=with_case_filters), {}
    except ValidationFailed as exc:
        return None, exc.fields


@bp.get("/transparency/register")
def register():
    filters, errors = _filters()
    records = services.notice_records(filters) if filters else []
    return render_template(
        "transparency/register.html",
        filters=filters,
        errors=FormState(errors=errors),
        args=request.args,
        records=records[:REGISTER_PAGE_ROWS],
        total=len(records),
        outcomes=services.OUTCOMES,
        measure_titles=services.MEASURE_TITLES,
        right_types=list(RightType),
        citation=services.CITATIONS["register"],
    ), 422 if errors else 200


@bp.get("/transparency/register.<any(csv, json):fmt>")
def register_data(fmt):
    filters = services.check_filters(request.args)
    records = services.notice_records(filters)
    if fmt == "csv":
        return csv_response(services.register_csv_rows(records), f"register-{filters.start}-{filters.end}.csv")
    return jsonify(
        {
            "citation": services.CITATIONS["register"],
            "filters": filters.query_args(),
            "notices": [r.to_dict() for r in records],
        }
    )


@bp.get("/transparency/report")
def report():
    filters, errors = _filters(with_case_filters=False)
    figures = services.transparency_report(filters) if filters else None
    charts = report_charts(figures) if figures else []
    return render_template(
        "transparency/report.html",
        filters=filters,
        errors=FormState(errors=errors),
        args=request.args,
        report=figures,
        charts=charts,
        outcomes=services.OUTCOMES,
        measure_titles=services.MEASURE_TITLES,
    ), 422 if errors else 200


@bp.get("/transparency/report.<any(csv, json):fmt>")
def report_data(fmt):
    filters = services.check_filters(request.args, with_case_filters=False)
    figures = services.transparency_report(filters)
    if fmt == "csv":
        return csv_response(services.report_csv_rows(figures), f"transparency-{filters.start}-{filters.end}.csv")
    return jsonify(figures)


@bp.get("/transparency/lumen.json")
def lumen():
    filters = services.check_filters(request.args)
    return jsonify({"notices": [{"notice": n} for n in services.lumen_notices(filters, request.host)]})
