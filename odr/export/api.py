"""The court's download of an export over the API."""
from __future__ import annotations

from flask import g, send_file

from odr.api import authenticated, bp
from odr.export.services import latest_export


@bp.get("/cases/<int:case_id>/export")
@authenticated
def api_download_export(case_id):
    export, path = latest_export(g.api_account, case_id)
    response = send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=f"case-{case_id}-export-{export.id}.zip", max_age=0)
    response.headers["X-Content-SHA256"] = export.sha256
    return response
