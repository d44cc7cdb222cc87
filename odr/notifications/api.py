"""The inbox over the API: what was served on the account, and opening one (which may be its receipt)."""

from __future__ import annotations

from flask import g, jsonify
from flask_babel import gettext as _

from odr.api import authenticated, bp, page_request, paged
from odr.domain_events import commit
from odr.errors import NotFound
from odr.notifications import deliveries


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
