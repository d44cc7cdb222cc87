"""The webhooks page's view model: a platform client's endpoints and deliveries."""

from __future__ import annotations

from dataclasses import dataclass

from odr.accounts.models import Account
from odr.forms import BLANK, FormState
from odr.webhooks import services


@dataclass(frozen=True)
class WebhooksPage:
    endpoints: list[dict]
    deliveries: list[dict]
    status: str
    event_types: list[str]
    form: FormState


def webhooks_page(account: Account, status: str = "all", form: FormState = BLANK) -> WebhooksPage:
    return WebhooksPage(
        endpoints=[services.endpoint_json(e) for e in services.endpoints(account)],
        deliveries=[
            dict(services.delivery_json(row), created=row.created_at, last_attempt=row.last_attempt_at)
            for row in services.deliveries(account, status)
        ],
        status=status or "all",
        event_types=services.EVENT_TYPES,
        form=form,
    )
