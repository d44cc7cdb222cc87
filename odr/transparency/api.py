"""The register, the transparency report and the Lumen export over the API (public, like the pages)."""

from __future__ import annotations

from flask import jsonify, request

from odr.api import bp, page_request, paged
from odr.transparency import services


@bp.get("/transparency/register")
def api_register():
    filters = services.check_filters(request.args)
    records, page = services.notice_records_page(filters, *page_request())
    return jsonify(
        {
            "citation": services.CITATIONS["register"],
            "filters": filters.query_args(),
            **paged("notices", [r.to_dict() for r in records], page),
        }
    )


@bp.get("/transparency/report")
def api_report():
    return jsonify(services.transparency_report(services.check_filters(request.args, with_case_filters=False)))


@bp.get("/transparency/lumen")
def api_lumen():
    filters = services.check_filters(request.args)
    records, page = services.notice_records_page(filters, *page_request())
    return jsonify(
        paged("notices", [{"notice": n} for n in services.lumen_notices(filters, request.host, records)], page)
    )
