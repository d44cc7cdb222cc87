"""Mediator assignment from the case page (administrators)."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from odr.errors import NotAllowed, ValidationFailed
from odr.mediation.services import assign_mediator

bp = Blueprint("mediation", __name__)


@bp.post("/cases/<int:case_id>/mediator")
@login_required
def assign(case_id):
    try:
        assign_mediator(current_user, case_id, request.form.get("mediator_id"))
        flash(_("The mediator is assigned."), "success")
    except (ValidationFailed, NotAllowed) as exc:
        flash(exc.message, "error")
    return redirect(url_for("cases.show", case_id=case_id))
