"""Conduct pages: one's own record, a party's record, a case's records and wrongful-notice claim, appeals."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from odr.conduct import health_safety, pages, services
from odr.errors import ServiceError
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState

bp = Blueprint("conduct", __name__, template_folder="templates")


@bp.get("/conduct/record")
@login_required
def own_record():
    return render_template("conduct/record.html", page=pages.record_page(current_user), errors=BLANK)


@bp.get("/conduct/parties/<int:party_id>/record")
@login_required
def party_record(party_id):
    return render_template("conduct/record.html", page=pages.record_page(current_user, party_id), errors=BLANK)


@bp.post("/conduct/measures/<int:measure_id>/appeal")
@login_required
def appeal(measure_id):
    try:
        services.do_appeal(current_user, measure_id, request.form.get("appeal"))
    except ServiceError as exc:
        flash(exc.message, "error")
        page = pages.record_page(current_user)
        return render_template(
            "conduct/record.html", page=page, errors=FormState(f"appeal-{measure_id}", request.form, exc.fields)
        ), exc.status
    flash(_("Your appeal is filed. An administrator will decide it and give reasons."), "success")
    return redirect(url_for("conduct.own_record"))


@bp.route("/conduct/appeals", methods=["GET", "POST"])
@login_required
def appeals():
    errors, status = BLANK, 200
    if request.method == "POST":
        measure_id = request.form.get("measure_id", type=int) or 0
        try:
            services.do_decide_appeal(
                current_user,
                measure_id,
                {"lift": True, "uphold": False}.get(request.form.get("decision") or ""),
                request.form.get("reasons"),
            )
            flash(_("The decision is recorded."), "success")
            return redirect(url_for("conduct.appeals"))
        except ServiceError as exc:
            flash(exc.message, "error")
            errors, status = FormState(f"decide-{measure_id}", request.form, exc.fields), exc.status
    services.pending_appeals(current_user)  # administrators only
    return render_template("conduct/appeals.html", appeals=pages.appeals_page(current_user), errors=errors), status


@bp.get("/cases/<int:case_id>/conduct")
@login_required
def case_conduct(case_id):
    return render_template("conduct/case.html", page=pages.case_conduct_page(current_user, case_id), errors=BLANK)


@bp.post("/cases/<int:case_id>/conduct/wrongful-notice")
@login_required
def claim(case_id):
    try:
        services.do_claim_wrongful_notice(current_user, case_id, request.form.to_dict())
    except ServiceError as exc:
        flash(exc.message, "error")
        page = pages.case_conduct_page(current_user, case_id)
        return render_template(
            "conduct/case.html", page=page, errors=FormState("claim", request.form, exc.fields)
        ), exc.status
    flash(_("Your claim is filed. The mediator, a reviewer or the court will decide it."), "success")
    return redirect(url_for("conduct.case_conduct", case_id=case_id))


@bp.post("/conduct/claims/<int:claim_id>/finding")
@login_required
def finding(claim_id):
    case_id = request.form.get("case_id", type=int) or 0
    try:
        services.do_decide_wrongful_notice(current_user, claim_id, request.form.to_dict())
    except ServiceError as exc:
        flash(exc.message, "error")
        page = pages.case_conduct_page(current_user, case_id)
        return render_template(
            "conduct/case.html", page=page, errors=FormState("finding", request.form, exc.fields)
        ), exc.status
    flash(_("The finding is recorded."), "success")
    return redirect(url_for("conduct.case_conduct", case_id=case_id))


@bp.post("/cases/<int:case_id>/health-safety/clear")
@login_required
def clear_health_safety(case_id):
    return _health_safety_decision(
        case_id, "clear", health_safety.do_clear, _("The match is cleared; the case is on the standard procedure.")
    )


@bp.post("/cases/<int:case_id>/health-safety/counterfeit")
@login_required
def confirm_counterfeit(case_id):
    return _health_safety_decision(
        case_id,
        "counterfeit",
        health_safety.do_confirm_counterfeit,
        _("Counterfeit goods confirmed; the seller's account is suspended with a statement of reasons."),
    )


def _health_safety_decision(case_id: int, form: str, act, done: str):
    try:
        act(current_user, case_id, request.form.to_dict())
    except ServiceError as exc:
        flash(exc.message, "error")
        page = pages.case_conduct_page(current_user, case_id)
        return render_template(
            "conduct/case.html", page=page, errors=FormState(form, request.form, exc.fields)
        ), exc.status
    flash(done, "success")
    return redirect(url_for("conduct.case_conduct", case_id=case_id) + "#health-safety")


@bp.get("/conduct/trusted-flaggers")
def trusted_flaggers():
    """The registry is public (DSA Art. 22(5): the Commission publishes the list too)."""
    return render_template("conduct/trusted_flaggers.html", page=pages.registry_page())


@bp.get("/conduct/queue")
@login_required
def queue():
    return render_template("conduct/queue.html", entries=services.notice_queue(current_user))
