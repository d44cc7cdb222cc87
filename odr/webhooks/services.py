"""Webhooks for platform clients (docs/webhooks.md).

A platform client registers endpoints (a URL and a shared secret). Every measure ordered, lifted or
modified and every case outcome becomes one ``WebhookDelivery`` per active endpoint, written in the
transaction of the act (so nothing is announced for an act that rolled back, and the web request never
waits for a receiver). The periodic job ``webhook_deliveries`` POSTs the due rows, each signed with
HMAC-SHA256 over ``"<timestamp>.<body>"`` (header ``ODR-Signature: t=<unix>,v1=<hex>``), and retries a
receiver that answers other than 2xx, times out or cannot be reached with exponential backoff, until the
retry window (24 hours) has passed; then the row is failed with the last error. Every attempt carries the
same ``ODR-Delivery-Id``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import uuid
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from flask import current_app
from sqlalchemy import Select, select, update

from odr.accounts.models import Account, Role
from odr.cases.models import Case
from odr.errors import Forbidden, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.mediation.measures import measure_json
from odr.mediation.models import Measure, MeasureKind
from odr.mediation.signals import measures_ordered
from odr.models_base import utcnow
from odr.procedure.services import procedure_of
from odr.procedure.signals import state_entered
from odr.queue import periodic_job
from odr.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookStatus

RETRY_WINDOW = timedelta(hours=24)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=4)
# A claimed row is not picked again before this (longer than any attempt's timeout).
CLAIM = timedelta(minutes=5)
BATCH = 100
SIGNATURE_HEADER = "ODR-Signature"
DELIVERY_HEADER = "ODR-Delivery-Id"
EVENT_HEADER = "ODR-Event"

# The event each kind of measure announces.
MEASURE_EVENTS = {
    MeasureKind.TAKE_DOWN: "measure.ordered",
    MeasureKind.RESTORE: "measure.lifted",
    MeasureKind.RESTORE_AGAINST_SECURITY: "measure.lifted",
    MeasureKind.MODIFY: "measure.modified",
    MeasureKind.REMOVE_ELEMENT: "measure.modified",
    MeasureKind.NOT_PURCHASABLE_IN: "measure.modified",
    # Account-level measures of the conduct policy (docs/conduct.md).
    MeasureKind.SUSPEND_ACCOUNT: "account.suspended",
    MeasureKind.TERMINATE_ACCOUNT: "account.terminated",
    MeasureKind.REINSTATE_ACCOUNT: "account.reinstated",
}
CASE_OUTCOME = "case.outcome"
EVENT_TYPES = sorted({*MEASURE_EVENTS.values(), CASE_OUTCOME})
_LOCAL_NAMES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


# -- signing -------------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``ODR-Signature`` header: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (docs/webhooks.md): the signature matches and its timestamp is recent."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# -- endpoints -----------------------------------------------------------------------------------------


def _platform(account: Account) -> None:
    if account.role != Role.PLATFORM_CLIENT:
        raise Forbidden(_("Only a platform's API client registers webhooks."))


def _allow_private() -> bool:
    return bool(current_app.config["ODR"].get("WEBHOOK_ALLOW_PRIVATE"))


def _non_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_url(raw: object, fields: dict[str, str]) -> str:
    """An endpoint URL: http(s) only, a host, no credentials; no private, loopback or link-local address
    (the platform must not be made to POST into its own network: docs/webhooks.md, SSRF)."""
    url = raw.strip() if isinstance(raw, str) else ""
    if not url:
        fields["url"] = _("Enter the URL of your endpoint.")
        return url
    if len(url) > 2000 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        fields["url"] = _("Enter a URL of at most 2000 characters, without spaces.")
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        fields["url"] = _("This is not a valid URL.")
        return url
    if parts.scheme not in {"http", "https"}:
        fields["url"] = _("Only http and https URLs can receive webhooks.")
        return url
    host = (parts.hostname or "").lower()
    if not host or parts.username is not None or parts.password is not None or port == 0:
        fields["url"] = _("Name a host, without a user name or password in the URL.")
        return url
    if _allow_private():
        return url
    try:
        private = _non_public(host)
    except ValueError:  # a name, not an address literal
        private = host == "localhost" or host.endswith(_LOCAL_NAMES) or "." not in host
    if private:
        fields["url"] = _("This address is in a private or local network; use a public address.")
    return url


def _check_secret(raw: object, fields: dict[str, str]) -> str:
    if raw in (None, ""):
        return "whsec_" + secrets.token_urlsafe(32)
    secret = raw.strip() if isinstance(raw, str) else ""
    if not 16 <= len(secret) <= 200:
        fields["secret"] = _("The secret must be 16 to 200 characters, or left empty to have one made for you.")
    return secret


def register_endpoint(account: Account, url: object, secret: object = None) -> WebhookEndpoint:
    """A platform client registers an endpoint; an empty secret is made for it. The caller commits."""
    _platform(account)
    fields: dict[str, str] = {}
    url = check_url(url, fields)
    secret = _check_secret(secret, fields)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    endpoint = WebhookEndpoint(account_id=account.id, url=url, secret=secret, active=True)
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def _own_endpoint(account: Account, endpoint_id: int) -> WebhookEndpoint:
    _platform(account)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.account_id != account.id or not endpoint.active:
        raise NotFound(_("This webhook endpoint does not exist, or it is not yours."))
    return endpoint


def remove_endpoint(account: Account, endpoint_id: int, at: datetime | None = None) -> WebhookEndpoint:
    """No further events go to the endpoint (its pending deliveries are still tried). The caller commits."""
    endpoint = _own_endpoint(account, endpoint_id)
    endpoint.active, endpoint.removed_at = False, at or utcnow()
    return endpoint


def endpoints(account: Account) -> list[WebhookEndpoint]:
    return list(db.session.scalars(endpoints_query(account).order_by(WebhookEndpoint.id)))


def endpoints_query(account: Account) -> Select[WebhookEndpoint]:
    """The account's active endpoints, unordered, for a page of them (``odr.pagination.keyset``)."""
    _platform(account)
    return select(WebhookEndpoint).where(WebhookEndpoint.account_id == account.id, WebhookEndpoint.active.is_(True))


def deliveries(account: Account, status: str | None = None, limit: int = 200) -> list[WebhookDelivery]:
    """The account's webhook deliveries, newest first; ``status`` one of pending, delivered, failed."""
    query = deliveries_query(account, status)
    return list(
        db.session.scalars(query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit))
    )


def deliveries_query(account: Account, status: str | None = None) -> Select[WebhookDelivery]:
    """The query of ``deliveries``, unordered, for a page of them (``odr.pagination.keyset``)."""
    _platform(account)
    query = (
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookDelivery.endpoint_id == WebhookEndpoint.id)
        .where(WebhookEndpoint.account_id == account.id)
    )
    if status not in (None, "", "all"):
        if status not in set(WebhookStatus):
            raise ValidationFailed(
                _("Status must be pending, delivered, failed or all."),
                {"status": _("Use pending, delivered, failed or all.")},
            )
        query = query.where(WebhookDelivery.status == status)
    return query


def replay(account: Account, delivery_id: str, at: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again, with the same delivery ID and body, in a new retry window. The caller commits."""
    _platform(account)
    row = db.session.scalar(
        select(WebhookDelivery)
        .join(WebhookEndpoint, WebhookDelivery.endpoint_id == WebhookEndpoint.id)
        .where(WebhookDelivery.delivery_id == str(delivery_id), WebhookEndpoint.account_id == account.id)
    )
    if row is None:
        raise NotFound(_("This webhook delivery does not exist, or it is not yours."))
    at = at or utcnow()
    row.status = WebhookStatus.PENDING
    row.next_attempt_at, row.retry_until = at, at + RETRY_WINDOW
    row.failed_at = row.delivered_at = None
    return cast(WebhookDelivery, row)


def endpoint_json(endpoint: WebhookEndpoint, *, with_secret: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": endpoint.id,
        "url": endpoint.url,
        "active": endpoint.active,
        "created_at": endpoint.created_at.isoformat() if endpoint.created_at else None,
    }
    if with_secret:
        found["secret"] = endpoint.secret
    return found


def delivery_json(row: WebhookDelivery) -> dict[str, Any]:
    def instant(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "delivery_id": row.delivery_id,
        "endpoint_id": row.endpoint_id,
        "event_type": row.event_type,
        "case_id": row.case_id,
        "status": row.status,
        "attempts": row.attempts,
        "created_at": instant(row.created_at),
        "next_attempt_at": instant(row.next_attempt_at) if row.status == WebhookStatus.PENDING else None,
        "retry_until": instant(row.retry_until),
        "last_attempt_at": instant(row.last_attempt_at),
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "delivered_at": instant(row.delivered_at),
        "failed_at": instant(row.failed_at),
        "body": json.loads(row.body),
    }


# -- events --------------------------------------------------------------------------------------------


_TARGETS = (  # built once: every measure asks
    select(WebhookEndpoint)
    .join(Account, WebhookEndpoint.account_id == Account.id)
    .where(WebhookEndpoint.active.is_(True), Account.active.is_(True), Account.role == Role.PLATFORM_CLIENT)
    .order_by(WebhookEndpoint.id)
)


def _targets() -> list[WebhookEndpoint]:
    """The active endpoints of active platform clients."""
    return list(db.session.scalars(_TARGETS))


def enqueue(
    event_type: str,
    case: Case | None,
    data: dict[str, Any],
    at: datetime,
    targets: list[WebhookEndpoint] | None = None,
) -> list[WebhookDelivery]:
    """One delivery of the event per active endpoint of an active platform client (in the caller's
    transaction; nothing is sent here). ``targets``: those endpoints, read once for several events."""
    if targets is None:
        targets = _targets()
    rows = []
    for endpoint in targets:
        delivery_id = f"whd_{uuid.uuid4().hex}"
        body = {"id": delivery_id, "type": event_type, "created_at": at.isoformat(), "data": data}
        rows.append(
            WebhookDelivery(
                delivery_id=delivery_id,
                endpoint_id=endpoint.id,
                event_type=event_type,
                case_id=case.id if case is not None else None,
                body=json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")),
                status=WebhookStatus.PENDING,
                created_at=at,
                retry_until=at + RETRY_WINDOW,
                next_attempt_at=at,
                attempts=0,
            )
        )
    db.session.add_all(rows)
    return rows


@measures_ordered.in_transaction.connect
def _measures(case: Case, *, measures: list[Measure], at: datetime, **_data: Any) -> None:
    targets = _targets()  # once for all the measures of the act (a case of 500 listings orders 500)
    for measure in measures:
        enqueue(MEASURE_EVENTS[MeasureKind(measure.kind)], case, measure_json(measure), at, targets)


@state_entered.in_transaction.connect
def _outcome(case: Case, *, at: datetime, previous: str, state: str, **_data: Any) -> None:
    entered = procedure_of(case).state(state)
    if previous == state or not entered.final:
        return
    enqueue(
        CASE_OUTCOME,
        case,
        {
            "case_id": case.id,
            "case_reference": case.reference,
            "outcome": entered.outcome or state,
            "state": state,
            "decided_at": at.isoformat(),
        },
        at,
    )


# -- sending -------------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4, 8 ... minutes, at most 4 hours."""
    wait: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(wait, LONGEST_RETRY)


def _refused_address(url: str) -> str | None:
    """Where the URL's host resolves to a non-public address now (a DNS answer may have changed since
    the endpoint was registered), why it is not contacted."""
    if _allow_private():
        return None
    parts = urlsplit(url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except OSError as exc:
        return f"cannot resolve {parts.hostname}: {exc}"
    for info in infos:
        address = str(info[4][0])
        if _non_public(address):
            return f"refused: {parts.hostname} resolves to the non-public address {address}"
    return None


def attempt(row: WebhookDelivery, now: datetime) -> str | None:
    """POST the delivery once; None when the receiver accepted it (2xx), else why not."""
    row.last_status_code = None
    refused = _refused_address(row.endpoint.url)
    if refused:
        return refused
    body = row.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "odr-webhooks/1",
        DELIVERY_HEADER: row.delivery_id,
        EVENT_HEADER: row.event_type,
        SIGNATURE_HEADER: signature(row.endpoint.secret, int(now.timestamp()), body),
    }
    timeout = float(current_app.config["ODR"].get("WEBHOOK_TIMEOUT_SECONDS") or 10)
    try:
        response = requests.post(row.endpoint.url, data=body, headers=headers, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return f"timed out after {timeout:g} s"
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    row.last_status_code = response.status_code
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code}: {response.text[:300]}"[:500]


@periodic_job("webhook_deliveries", "POST the due webhook deliveries to platform clients (retried for 24 hours).")
def send_due(now: datetime | None = None) -> int:
    """Send every due delivery once; return how many the receivers accepted.

    Each row is claimed by a conditional update (its next attempt moved past the claim period) and
    committed before the POST, so two workers never send the same attempt; a worker that dies mid-way
    leaves the row to be tried again when the claim runs out.
    """
    now = now or utcnow()
    ids = db.session.scalars(
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == WebhookStatus.PENDING, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(BATCH)
    ).all()
    db.session.commit()
    delivered = 0
    for row_id in ids:
        claimed = db.session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == row_id,
                WebhookDelivery.status == WebhookStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + CLAIM, attempts=WebhookDelivery.attempts + 1)
        )
        db.session.commit()
        if getattr(claimed, "rowcount", 0) != 1:
            continue
        row = db.session.get_one(WebhookDelivery, row_id)
        error = attempt(row, now)
        row.last_attempt_at = now
        if error is None:
            row.status, row.delivered_at, row.last_error = WebhookStatus.DELIVERED, now, None
            delivered += 1
        else:
            row.last_error = error
            if now >= row.retry_until:
                row.status, row.failed_at = WebhookStatus.FAILED, now
            else:
                row.next_attempt_at = min(now + backoff(row.attempts), row.retry_until)
        db.session.commit()
    return delivered
