"""Deposit pages: deposit a work, see your deposits, download a certificate."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required

from odr.cases.pages import may_deposit
from odr.deposits import pages, services
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState, submit

bp = Blueprint("deposits", __name__, template_folder="templates")


def _index(form: FormState = BLANK):
    page = pages.deposits_page(current_user, form)
    return render_template("deposits/index.html", page=page, form=form)


@bp.route("/deposits", methods=["GET", "POST"])
@login_required
def index():
    if not may_deposit(current_user):
        abort(404)
    if request.method == "GET":
        return _index()
    upload = request.files.get("work")

    def act():
        services.deposit_work(
            current_user,
            request.form.get("title"),
            upload.stream if upload and upload.filename else None,
            upload.filename if upload else None,
            key=request.form.get("submission_key"),
        )
        flash(_("Your work is deposited. Download its certificate and keep it."), "success")

    return submit(act, form="deposit", page=_index, done=url_for("deposits.index"))


@bp.get("/deposits/<int:deposit_id>/certificate")
@login_required
def certificate(deposit_id):
    deposit = services.get_deposit(current_user, deposit_id)
    return Response(
        deposit.certificate,
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=deposit-certificate-{deposit.id}.json"},
    )
