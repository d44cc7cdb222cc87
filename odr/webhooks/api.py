"""Webhooks over the API: a platform client's endpoints, its deliveries, and replaying one."""

from __future__ import annotations

from flask import g, jsonify, request

from odr.api import authenticated, bp, json_body, page_request, paged
from odr.domain_events import commit
from odr.pagination import keyset
from odr.webhooks import services
from odr.webhooks.models import WebhookDelivery, WebhookEndpoint


@bp.get("/webhooks/endpoints")
@authenticated
def webhook_endpoints():
    limit, cursor = page_request()
    page = keyset(
        services.endpoints_query(g.api_account), [WebhookEndpoint.id], limit=limit, cursor=cursor, descending=False
    )
    return jsonify(paged("endpoints", [services.endpoint_json(e) for e in page.items], page))


@bp.post("/webhooks/endpoints")
@authenticated
def register_webhook_endpoint():
    body = json_body()
    endpoint = services.register_endpoint(g.api_account, body.get("url"), body.get("secret"))
    commit()
    return jsonify(services.endpoint_json(endpoint, with_secret=True)), 201


@bp.delete("/webhooks/endpoints/<int:endpoint_id>")
@authenticated
def remove_webhook_endpoint(endpoint_id: int):
    endpoint = services.remove_endpoint(g.api_account, endpoint_id)
    commit()
    return jsonify(services.endpoint_json(endpoint))


@bp.get("/webhooks/deliveries")
@authenticated
def webhook_deliveries():
    limit, cursor = page_request()
    page = keyset(
        services.deliveries_query(g.api_account, request.args.get("status")),
        [WebhookDelivery.created_at, WebhookDelivery.id],
        limit=limit,
        cursor=cursor,
    )
    return jsonify(paged("deliveries", [services.delivery_json(row) for row in page.items], page))


@bp.post("/webhooks/deliveries/<delivery_id>/replay")
@authenticated
def replay_webhook_delivery(delivery_id: str):
    row = services.replay(g.api_account, delivery_id)
    commit()
    return jsonify(services.delivery_json(row))
