"""Deposit pages: deposit a work, see your deposits, download a certificate."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from odr.accounts.models import PARTY_ROLES
from odr.deposits import services
from odr.errors import ValidationFailed

bp = Blueprint("deposits", __name__, template_folder="templates")


@bp.route("/deposits", methods=["GET", "POST"])
@login_required
def index():
    if current_user.role not in PARTY_ROLES:
        abort(404)
    errors = {}
    if request.method == "POST":
        upload = request.files.get("work")
        try:
            deposit, _new = services.deposit_work(
                current_user, request.form.get("title"), upload.stream if upload and upload.filename else None,
                upload.filename if upload else None, key=request.form.get("submission_key"))
            flash(_("Your work is deposited. Download its certificate and keep it."), "success")
            return redirect(url_for("deposits.index"))
        except ValidationFailed as exc:
            flash(exc.message, "error")
            errors = exc.fields
    return render_template("deposits/index.html", deposits=services.deposits_of(current_user), errors=errors,
                           submission_key=secrets.token_urlsafe(16)), 422 if errors else 200


@bp.get("/deposits/<int:deposit_id>/certificate")
@login_required
def certificate(deposit_id):
    deposit = services.get_deposit(current_user, deposit_id)
    return Response(deposit.certificate, mimetype="application/json", headers={
        "Content-Disposition": f"attachment; filename=deposit-certificate-{deposit.id}.json"})
