"""Notifications leave the outbox by e-mail, each in its recipient's language, each once."""

from __future__ import annotations

import email
import logging
import socket

import pytest
from aiosmtpd.controller import Controller

from odr.extensions import db
from odr.notifications.models import Delivery, Notification
from odr.notifications.services import send_due
from tests.conftest import EU_DECISION, notice_data


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []
        self.refuse: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(app):
    # aiosmtpd's server thread says "EOF received" and "connection lost" at info level, and may say it after pytest
    # has closed the stream it captured ("--- Logging error ---"): only its warnings matter here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    app.config["ODR"].update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM="cases@odr.example")
    yield inbox
    controller.stop()


def subjects(inbox):
    return {str(email.header.make_header(email.header.decode_header(m["Subject"]))): m for m in inbox.messages}


def test_each_recipient_gets_the_mail_in_its_language_once(world, api, smtp):
    holder = api(world.holder)
    eu_case = holder.post("/cases", notice_data(jurisdiction="EU")).get_json()["id"]
    # The reviewer's decision: the statement of reasons to the seller (zh), the decision to both parties.
    assert api(world.admin).post(f"/cases/{eu_case}/notice-decision", EU_DECISION).status_code == 201
    holder.post(
        "/cases",
        notice_data(respondent={"email": "tienda@example.mx", "name": "Tienda", "country": "MX", "language": "es"}),
    )  # invitation to a new seller (es)
    outbox = db.session.scalar(db.select(db.func.count()).select_from(Notification))
    assert send_due() == outbox == len(smtp.messages)
    received = subjects(smtp)
    # The delivery's e-mail carries the statement (its subject names the act, in the seller's language).
    statement = next(m for s, m in received.items() if "理由说明" in s)
    assert statement["To"] == world.seller.email and statement["Content-Language"] == "zh"
    invitation = next(m for s, m in received.items() if "Tienda" not in s and m["To"] == "tienda@example.mx")
    assert invitation.get_payload(decode=True).decode().count("\n") > 2
    assert all(n.sent_at is not None for n in db.session.scalars(db.select(Notification)))
    assert send_due() == 0 and len(smtp.messages) == outbox
    # The mail server accepted every e-mail delivery; the statement of reasons is served once, by its own mail.
    mailed = db.session.scalars(db.select(Delivery).where(Delivery.channel == "email")).all()
    assert mailed and all(d.accepted_at is not None for d in mailed)
    assert sum("理由说明" in s for s in received) == 1
    assert "《数字服务法》第20条" in statement.get_payload(decode=True).decode()


def test_a_mail_server_refusing_an_address_for_good_fails_its_delivery(world, api, smtp):
    smtp.refuse = "nobody@example.mx"
    api(world.holder).post(
        "/cases",
        notice_data(respondent={"email": "nobody@example.mx", "name": "Tienda", "country": "MX", "language": "es"}),
    )
    send_due()
    (row,) = db.session.scalars(
        db.select(Delivery).where(Delivery.address == "nobody@example.mx", Delivery.act == "notice")
    )
    assert row.failed_at is not None and row.failure.startswith("550") and row.accepted_at is None
    assert db.session.get(Notification, row.notification_id).sent_at is not None, "a refusal for good is not retried"
    assert send_due() == 0


def test_without_a_mail_server_notifications_wait_in_the_outbox(app, world, api):
    app.config["ODR"]["SMTP_HOST"] = None
    api(world.holder).post("/cases", notice_data(jurisdiction="EU"))
    assert send_due() == 0
    assert db.session.scalar(db.select(Notification).where(Notification.sent_at.is_(None))) is not None


def test_the_court_decision_statement_renders_for_each_party(app, world):
    from odr.i18n import render_in_locale

    terms = {
        "outcome": "partly_upheld",
        "listing_measure": "remove",
        "amounts": [{"payer": "respondent", "payee": "claimant", "amount": "100.00", "currency": "EUR"}],
    }
    with app.test_request_context():
        pay, receive = (
            render_in_locale(
                "de",
                "notifications/statements/court_decision.txt",
                reference="ODR-2026-000001",
                terms=terms,
                role=role,
                listings=["item-1"],
            )
            for role in ("respondent", "claimant")
        )
    assert "ODR-2026-000001" in pay and "item-1" in pay and "100.00 EUR" in pay
    assert pay != receive and "100.00 EUR" in receive
