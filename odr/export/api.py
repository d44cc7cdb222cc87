"""The court portal and deposits over the API: inbox, bundle download, receipt, decision; deposits."""

from __future__ import annotations

from flask import g, jsonify, request

from odr.api import authenticated, bp, created, idempotency_key, multipart_data, page_request, paged
from odr.cases.access import get_case
from odr.cases.services import Upload
from odr.evidence.storage import blob_store
from odr.export import court
from odr.export.models import CaseExport
from odr.export.services import acknowledge, court_exports_query, latest_export, pinned_key_id
from odr.pagination import keyset


def export_json(export, case, decision) -> dict:
    return {
        "export_id": export.id,
        "case_id": case.id,
        "reference": case.reference,
        "state": case.state,
        "bundle_name": export.bundle_name,
        "export_seq": export.export_seq,
        "sha256": export.sha256,
        "size": export.size,
        "merkle_root": export.merkle_root,
        "key_id": export.key_id,
        "timestamped": export.timestamped,
        "created_at": export.created_at.isoformat(),
        "acknowledged_at": export.acknowledged_at.isoformat() if export.acknowledged_at else None,
        "decided": decision is not None,
    }


@bp.get("/court/exports")
@authenticated
def api_court_exports():
    limit, cursor = page_request()
    page = keyset(
        court_exports_query(g.api_account),
        [CaseExport.created_at, CaseExport.id],
        limit=limit,
        cursor=cursor,
        rows=True,
        key_of=lambda row: (row[0].created_at, row[0].id),
    )
    # The fingerprint to verify bundles against, pinned when the court's account was created (never a bundle's).
    return jsonify(
        {
            **paged("exports", [export_json(*row) for row in page.items], page),
            "pinned_key_id": pinned_key_id(g.api_account),
        }
    )


@bp.get("/cases/<int:case_id>/export")
@authenticated
def api_download_export(case_id):
    export = latest_export(g.api_account, case_id)
    response = blob_store().send(
        "exports",
        export.stored_name,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{export.bundle_name}.zip",
        max_age=0,
    )
    response.headers["X-Content-SHA256"] = export.sha256
    return response


@bp.post("/cases/<int:case_id>/export/acknowledge")
@authenticated
def api_acknowledge_export(case_id):
    body = request.get_json(silent=True) or {}
    sha256 = body.get("sha256") if isinstance(body, dict) and isinstance(body.get("sha256"), str) else None
    export = acknowledge(g.api_account, case_id, sha256)
    return jsonify(
        {"export_id": export.id, "sha256": export.sha256, "acknowledged_at": export.acknowledged_at.isoformat()}
    )


@bp.post("/cases/<int:case_id>/decision")
@authenticated
def api_decide(case_id):
    get_case(g.api_account, case_id)  # unknown and foreign cases answer 404 before anything else
    data = multipart_data()
    upload = request.files.get("document")
    document = Upload(upload.stream, upload.filename) if upload and upload.filename else None
    result = court.decide(
        g.api_account, case_id, data, document, key=idempotency_key(), remote_addr=request.remote_addr or ""
    )
    filing = result.obj
    return created(
        {"filing_id": filing.id, "case_id": case_id, "state": filing.case.state, "terms": filing.terms}, result.created
    )
