"""The security page of a case: the seller offers, the mediator or a reviewer decides."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from odr.cases.services import Upload
from odr.errors import ServiceError
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState
from odr.securities import pages, services

bp = Blueprint("securities", __name__, template_folder="templates")


def _page(case_id: int, form: FormState = BLANK, status: int = 200):
    page = pages.security_page(current_user, case_id)
    return render_template("securities/case.html", page=page, errors=form), status


@bp.get("/cases/<int:case_id>/security")
@login_required
def show(case_id):
    return _page(case_id)


@bp.post("/cases/<int:case_id>/security")
@login_required
def offer(case_id):
    upload = request.files.get("document")
    document = Upload(upload.stream, upload.filename) if upload and upload.filename else None
    try:
        services.do_offer_security(
            current_user, case_id, request.form.to_dict(), document, remote_addr=request.remote_addr or ""
        )
    except ServiceError as exc:
        flash(exc.message, "error")
        return _page(case_id, FormState("offer", request.form, exc.fields), exc.status)
    flash(_("Your offer is filed. The mediator or a reviewer will decide it and give reasons."), "success")
    return redirect(url_for("securities.show", case_id=case_id))


@bp.post("/securities/<int:security_id>/decision")
@login_required
def decide(security_id):
    case_id = request.form.get("case_id", type=int) or 0
    try:
        services.do_decide_security(current_user, security_id, request.form.to_dict())
    except ServiceError as exc:
        flash(exc.message, "error")
        return _page(case_id, FormState(f"decide-{security_id}", request.form, exc.fields), exc.status)
    flash(_("The decision is recorded and served on both parties."), "success")
    return redirect(url_for("securities.show", case_id=case_id))
