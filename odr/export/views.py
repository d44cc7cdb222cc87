"""The court's download of an export from the case page."""
from __future__ import annotations

from flask import Blueprint, send_file
from flask_login import current_user, login_required

from odr.export.services import latest_export

bp = Blueprint("export", __name__)


@bp.get("/cases/<int:case_id>/export")
@login_required
def download(case_id):
    export, path = latest_export(current_user, case_id)
    response = send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=f"case-{case_id}-export-{export.id}.zip", max_age=0)
    response.headers["X-Content-SHA256"] = export.sha256
    return response
