"""The inbox: every act served on the signed-in account, and the unread count in every page's header."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, has_request_context, redirect, render_template, url_for
from flask_login import current_user, login_required

from odr.domain_events import commit
from odr.notifications import deliveries

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.app_context_processor
def unread_deliveries():
    """The header's badge: one count query per page, for a signed-in account only."""
    if not has_request_context() or current_user is None or not current_user.is_authenticated:
        return {}  # a mail rendered by a worker has no reader
    return {"inbox_unread": deliveries.unread_count(current_user)}


@bp.get("/inbox")
@login_required
def inbox():
    items = [
        dict(item, at=datetime.fromisoformat(item["made_available_at"])) for item in deliveries.inbox_view(current_user)
    ]
    return render_template("notifications/inbox.html", items=items)


@bp.post("/inbox/<int:delivery_id>/open")
@login_required
def open_(delivery_id):
    row = deliveries.open_delivery(current_user, delivery_id)
    if row is None:
        abort(404)
    commit()
    return redirect(url_for("cases.show", case_id=row.case_id))
