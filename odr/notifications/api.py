"""The inbox over the API: what was served on the account, and opening one (which may be its receipt)."""

from __future__ import annotations

from flask import g, jsonify

from odr.api import authenticated, bp, json_body, page_request, paged
from odr.domain_events import commit
from odr.errors import NotFound, ValidationFailed
from odr.extensions import gettext as _
from odr.notifications import deliveries, preferences


@bp.get("/inbox")
@authenticated
def inbox():
    items, page = deliveries.inbox_page(g.api_account, *page_request())
    return jsonify(paged("deliveries", items, page, unread=deliveries.unread_count(g.api_account)))


@bp.post("/inbox/<int:delivery_id>/open")
@authenticated
def open_delivery(delivery_id: int):
    row = deliveries.open_delivery(g.api_account, delivery_id)
    if row is None:
        raise NotFound(_("This delivery does not exist, or it is not yours."))
    commit()
    return jsonify(deliveries.delivery_json(row))


@bp.get("/me/notification-preferences")
@authenticated
def notification_preferences():
    return jsonify(preferences.preferences_json(preferences.preferences_of(g.api_account)))


@bp.put("/me/notification-preferences")
@authenticated
def save_notification_preferences():
    body = json_body()
    current = preferences.preferences_of(g.api_account)
    email = body.get("email", bool(current.email if current.email is not None else True))
    if not isinstance(email, bool):
        raise ValidationFailed(_("Please correct the marked fields."), {"email": _("E-mail is either on or off.")})
    found = preferences.save_preferences(g.api_account, body.get("frequency", current.frequency), email)
    commit()
    return jsonify(preferences.preferences_json(found))
