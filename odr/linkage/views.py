"""Linked-account pages: a case's links (mediator, administrator, the parties) and the contest desk."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from odr.errors import ValidationFailed
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState
from odr.linkage import services

bp = Blueprint("linkage", __name__, template_folder="templates")


@bp.get("/cases/<int:case_id>/linkage")
@login_required
def case_links(case_id):
    return render_template("linkage/case.html", view=services.case_linkage(current_user, case_id), errors=BLANK)


@bp.post("/cases/<int:case_id>/linkage/contests")
@login_required
def contest(case_id):
    try:
        services.do_contest(
            current_user, case_id, request.form.get("identifier_id", type=int), request.form.get("reason")
        )
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return render_template(
            "linkage/case.html",
            view=services.case_linkage(current_user, case_id),
            errors=FormState(errors=exc.fields),
            contested=request.form.get("identifier_id", type=int),
        ), 422
    flash(_("Your contest is filed. An administrator will decide it and you will see the decision here."), "success")
    return redirect(url_for("linkage.case_links", case_id=case_id))


@bp.route("/linkage/contests", methods=["GET", "POST"])
@login_required
def contests():
    errors, status = {}, 200
    if request.method == "POST":
        choice = request.form.get("decision")
        try:
            services.do_decide_contest(
                current_user,
                request.form.get("contest_id", type=int) or 0,
                {"uphold": True, "reject": False}.get(choice or ""),
                request.form.get("reason"),
            )
            flash(_("The decision is recorded."), "success")
            return redirect(url_for("linkage.contests"))
        except ValidationFailed as exc:
            flash(exc.message, "error")
            errors, status = exc.fields, 422
    return render_template(
        "linkage/contests.html", contests=services.open_contests(current_user), errors=FormState(errors=errors)
    ), status
