"""Pages of the DSA lane: the statement of reasons of a case (in the reader's language) and the seller's or
notifier's internal complaint."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from odr.dsa import pages, services
from odr.errors import ServiceError

bp = Blueprint("dsa", __name__, template_folder="templates")


@bp.get("/cases/<int:case_id>/statement-of-reasons")
@login_required
def statement(case_id: int):
    return render_template("dsa/statement.html", page=pages.statement_page(current_user, case_id), errors={}, text="")


@bp.post("/cases/<int:case_id>/complaints")
@login_required
def complain(case_id: int):
    text = request.form.get("text", "")
    try:
        services.file_complaint(current_user, case_id, {"text": text})
    except ServiceError as problem:
        page = pages.statement_page(current_user, case_id)
        errors = dict(problem.fields) or {"text": problem.message}
        return render_template("dsa/statement.html", page=page, errors=errors, text=text), problem.status
    flash(_("Your complaint was filed. A member of the platform's staff will decide it with reasons."))
    return redirect(url_for("dsa.statement", case_id=case_id))
