"""The inbox: every act served on the signed-in account, and the unread count in every page's header."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, has_request_context, redirect, render_template, url_for
from flask_login import current_user, login_required

from odr.accounts.views import read_with_signed_in, read_with_signed_in_account
from odr.domain_events import commit
from odr.notifications import deliveries

bp = Blueprint("notifications", __name__, template_folder="templates")


read_with_signed_in(deliveries.UNREAD_WITH_ACCOUNT)


@bp.app_context_processor
def unread_deliveries():
    """The header's badge, for a signed-in account only: read with the account on a page that only reads, counted
    on its own otherwise."""
    if not has_request_context() or current_user is None or not current_user.is_authenticated:
        return {}  # a mail rendered by a worker has no reader
    known = read_with_signed_in_account()
    name = deliveries.UNREAD_WITH_ACCOUNT.name
    return {"inbox_unread": known[name] if name in known else deliveries.unread_count(current_user)}


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
