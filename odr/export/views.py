"""The court portal: the court's inbox, bundle download, receipt, and the decision form."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from odr.accounts.models import Role
from odr.cases.services import Upload
from odr.errors import NotAllowed, ValidationFailed
from odr.export import court
from odr.export.services import acknowledge, exports_for_court, latest_export, pinned_key_id
from odr.integrity.keys import key_log_bytes

bp = Blueprint("export", __name__, template_folder="templates")


@bp.get("/court")
@login_required
def inbox():
    if current_user.role != Role.COURT:
        abort(404)
    return render_template("export/inbox.html", rows=exports_for_court(current_user),
                           pinned_key_id=pinned_key_id(current_user))


@bp.get("/.well-known/odr-key-log.json")
def key_log():
    """The platform's signing keys and their history, each entry signed by the key before it (public)."""
    return Response(key_log_bytes(), mimetype="application/json", headers={"Cache-Control": "max-age=300"})


@bp.get("/cases/<int:case_id>/export")
@login_required
def download(case_id):
    export, path = latest_export(current_user, case_id)
    response = send_file(path, mimetype="application/zip", as_attachment=True,
                         download_name=f"{export.bundle_name}.zip", max_age=0)
    response.headers["X-Content-SHA256"] = export.sha256
    return response


@bp.post("/cases/<int:case_id>/export/acknowledge")
@login_required
def acknowledge_receipt(case_id):
    try:
        acknowledge(current_user, case_id, request.form.get("sha256") or None)
        flash(_("Receipt of the bundle is recorded."), "success")
    except NotAllowed as exc:
        flash(exc.message, "error")
    return redirect(url_for("cases.show", case_id=case_id))


@bp.post("/cases/<int:case_id>/decision")
@login_required
def decide(case_id):
    form = request.form
    amounts = []
    if form.get("amount"):
        amounts.append({"payer": form.get("payer"), "amount": form.get("amount"), "currency": form.get("currency"),
                        "reason": form.get("reason")})
    data = {"outcome": form.get("outcome"), "listing_measure": form.get("listing_measure"), "amounts": amounts,
            "text": form.get("text"), "language": form.get("language"), "court_reference": form.get("court_reference")}
    upload = request.files.get("document")
    document = Upload(upload.stream, upload.filename) if upload and upload.filename else None
    try:
        court.decide(current_user, case_id, data, document, key=form.get("submission_key"),
                     remote_addr=request.remote_addr or "")
        flash(_("The decision is recorded and carried out; the case is closed."), "success")
    except ValidationFailed as exc:
        flash(exc.message + " " + " ".join(str(v) for v in exc.fields.values()), "error")
    except NotAllowed as exc:
        flash(exc.message, "error")
    return redirect(url_for("cases.show", case_id=case_id))

