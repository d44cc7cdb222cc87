"""Alliance pages: records about the signed-in seller (with contest), the administrator's desk (issue a record,
decide contests, pull members' feeds) and a seller's standing on a case (mediator, administrator)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from odr.accounts.models import Role
from odr.alliance import services
from odr.alliance.models import AllianceMember, RecordContest
from odr.errors import ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.forms import FormState

bp = Blueprint("alliance", __name__, template_folder="templates")


# Notifications are rendered outside any view, in the recipient's language: the titles are a template global.
@bp.app_template_global("alliance_finding_title")
def alliance_finding_title(code: str) -> str:
    return str(services.FINDING_TITLES.get(code, code))


def _desk(errors=None, status=200):
    admin = current_user.role == Role.ADMIN
    return render_template(
        "alliance/index.html",
        records=services.records_about(current_user),
        findings=services.FINDING_TITLES,
        errors=FormState(errors=errors or {}),
        admin=admin,
        contests=db.session.scalars(select(RecordContest).where(RecordContest.status == "open")).all() if admin else [],
        members=db.session.scalars(select(AllianceMember).order_by(AllianceMember.name)).all() if admin else [],
    ), status


@bp.get("/alliance")
@login_required
def index():
    return _desk()


@bp.post("/alliance/records")
@login_required
def issue():
    try:
        services.do_issue(
            current_user,
            request.form.get("case_id", type=int) or 0,
            request.form.get("finding"),
            request.form.get("expires_on"),
        )
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return _desk(exc.fields, 422)
    flash(_("The record is issued and the seller is told."), "success")
    return redirect(url_for("alliance.index"))


@bp.post("/alliance/records/<int:record_id>/contests")
@login_required
def contest(record_id):
    try:
        services.do_contest(current_user, record_id, request.form.get("reason"))
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return _desk(exc.fields, 422)
    flash(_("Your contest is filed. An administrator will decide it and you will see the decision here."), "success")
    return redirect(url_for("alliance.index"))


@bp.post("/alliance/contests/<int:contest_id>/decision")
@login_required
def decide(contest_id):
    try:
        services.do_decide_contest(
            current_user,
            contest_id,
            {"uphold": True, "reject": False}.get(request.form.get("decision") or ""),
            request.form.get("reason"),
        )
    except ValidationFailed as exc:
        flash(exc.message, "error")
        return _desk(exc.fields, 422)
    flash(_("The decision is recorded."), "success")
    return redirect(url_for("alliance.index"))


@bp.get("/cases/<int:case_id>/alliance")
@login_required
def case_standing(case_id):
    return render_template(
        "alliance/case.html", titles=services.FINDING_TITLES, **services.case_standing(current_user, case_id)
    )
