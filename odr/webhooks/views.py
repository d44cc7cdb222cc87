"""The webhooks page: register and remove endpoints, list deliveries, replay one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required

from odr.accounts.models import Role
from odr.domain_events import commit
from odr.extensions import gettext as _
from odr.forms import BLANK, FormState, submit
from odr.webhooks import pages, services

bp = Blueprint("webhooks", __name__, template_folder="templates")


def _platform_only() -> None:
    if current_user.role != Role.PLATFORM_CLIENT:
        abort(403)


def _page(form: FormState = BLANK):
    status = request.args.get("status", "all")
    if status not in {"all", "pending", "delivered", "failed"}:
        status = "all"
    return render_template("webhooks/index.html", page=pages.webhooks_page(current_user, status, form), form=form)


@bp.get("/webhooks")
@login_required
def index():
    _platform_only()
    return _page()


@bp.post("/webhooks/endpoints")
@login_required
def register():
    _platform_only()

    def act():
        endpoint = services.register_endpoint(current_user, request.form.get("url"), request.form.get("secret"))
        commit()
        flash(_("Endpoint registered. Its signing secret: %(secret)s", secret=endpoint.secret), "success")
        return endpoint

    return submit(act, form="endpoint", page=_page, done=url_for("webhooks.index"))


@bp.post("/webhooks/endpoints/<int:endpoint_id>/remove")
@login_required
def remove(endpoint_id: int):
    _platform_only()

    def act():
        services.remove_endpoint(current_user, endpoint_id)
        commit()

    return submit(act, form="remove", page=_page, done=url_for("webhooks.index"))


@bp.post("/webhooks/deliveries/<delivery_id>/replay")
@login_required
def replay(delivery_id: str):
    _platform_only()

    def act():
        services.replay(current_user, delivery_id)
        commit()
        flash(_("The delivery will be sent again with the same delivery ID."), "success")

    return submit(act, form="replay", page=_page, done=url_for("webhooks.index"))
