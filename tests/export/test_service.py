"""Proof of service in the court bundle: every delivery of a procedural act, with its channel, instants,
content digest and the text the law required, in case.json, tied to the chained events that record it (the
standalone verifier checks the tie), and in the ECF XML as ecf:ElectronicServiceInformation."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lxml import etree

from odr.cases import services
from odr.cases.filings import record_filing
from odr.cases.models import FilingKind
from odr.domain_events import commit
from odr.export import ecf, verifier
from odr.extensions import db
from odr.integrity.keys import platform_key
from odr.notifications import deliveries
from odr.notifications.models import Channel, Delivery
from odr.vocabulary import CaseRole
from tests.conftest import notice_data
from tests.export.conftest import stored_bundle

SCHEMAS = Path(ecf.__file__).parent / "ecf-5.0" / "schema"


def _row(case_id, act, account_id, channel) -> Delivery:
    return db.session.scalar(
        db.select(Delivery).where(
            Delivery.case_id == case_id,
            Delivery.act == act,
            Delivery.account_id == account_id,
            Delivery.channel == channel,
        )
    )


def served_case(app, world, tmp_path):
    """A CN case whose notice the seller opened and whose mail server accepted it, whose response e-mail to the
    right holder was refused for good, with a caucus message, escalated: its bundle unpacked."""
    case = services.file_notice(world.holder, notice_data(), [], remote_addr="203.0.113.7").obj
    case.mediator_id = world.mediator.id
    db.session.commit()
    now = datetime.now(UTC)
    notice_mail = _row(case.id, "notice", world.seller.id, Channel.EMAIL)
    deliveries.accepted(notice_mail.notification_id, now + timedelta(seconds=1))
    deliveries.open_delivery(
        world.seller, _row(case.id, "notice", world.seller.id, Channel.INBOX).id, now + timedelta(seconds=2)
    )
    commit()
    services.add_filing(world.seller, case.id, {"kind": "response", "language": "zh", "text": "我们的产品是正品。"})
    response_mail = _row(case.id, "response", world.holder.id, Channel.EMAIL)
    deliveries.failed(response_mail.notification_id, datetime.now(UTC), "550 5.1.1 no such user")
    record_filing(
        case,
        FilingKind.MESSAGE,
        author=world.mediator,
        role=CaseRole.MEDIATOR,
        language="en",
        text="Between us: your lowest figure?",
        at=datetime.now(UTC),
        caucus_party_id=case.respondent_party_id,
    )
    commit()
    services.take_action(world.holder, case.id, "escalate")
    export, path = stored_bundle(app, case.id)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "unpacked")
    (folder,) = (tmp_path / "unpacked").iterdir()
    return case, path, folder, notice_mail, response_mail


def test_case_json_lists_every_delivery_with_its_instants_digest_and_chained_events(app, world, tmp_path):
    case, path, bag, notice_mail, response_mail = served_case(app, world, tmp_path)
    document = json.loads((bag / "data/case.json").read_text())
    service = {entry["delivery_id"]: entry for entry in document["service"]}
    events = {e["seq"]: e for e in map(json.loads, (bag / "data/events.jsonl").read_text().splitlines())}

    notice = service[notice_mail.id]
    assert (notice["act"], notice["role"], notice["channel"]) == ("notice", "respondent", "email")
    assert notice["participant_id"] == f"account-{world.seller.id}" and notice["address"] == world.seller.email
    assert notice["accepted_at"] and notice["failed_at"] is None
    assert notice["content_sha256"] == notice_mail.content_sha256
    assert notice["statement"]["citation"]["article"].startswith("Art. 42(2)")
    assert "第四十二条第二款" in notice["statement"]["text"]
    assert events[notice["events"]["served"]]["kind"] == "act_served"
    assert events[notice["events"]["accepted"]]["kind"] == "delivery_accepted"
    opened = next(e for e in service.values() if e["act"] == "notice" and e["channel"] == "inbox")
    assert opened["opened_at"] and events[opened["events"]["opened"]]["kind"] == "delivery_opened"

    refused = service[response_mail.id]
    assert refused["failed_at"] and refused["failure"] == "550 5.1.1 no such user"
    assert events[refused["events"]["refused"]]["payload"]["reason"] == "550 5.1.1 no such user"

    # Every act of the case is there, through each channel; a caucus message's service is not.
    acts = {entry["act"] for entry in service.values()}
    # (The escalation's own service follows the bundle that it sends.)
    assert {"notice", "response", "state_changed", "take_measures"} <= acts
    caucus = db.session.scalars(
        db.select(Delivery.id).where(Delivery.case_id == case.id, Delivery.act == "message")
    ).all()
    assert caucus and not set(caucus) & set(service)
    # Each listed delivery matches the chain: the standalone verifier says so.
    out = io.StringIO()
    assert verifier.verify_bundle(str(path), platform_key().key_id, out=out) == 0, out.getvalue()
    assert "deliveries of procedural acts match the chained proof of service" in out.getvalue()


def test_the_ecf_filing_carries_its_service_and_validates(app, world, tmp_path):
    case, _path, bag, _notice_mail, response_mail = served_case(app, world, tmp_path)
    schema = ecf.schema(SCHEMAS)
    response = next(f for f in case.filings if f.kind == FilingKind.RESPONSE)
    xml = (bag / f"data/ecf/filing-{response.id:06d}.xml").read_bytes()
    assert ecf.validate(xml, schema) == []
    root = etree.fromstring(xml)
    services_ = root.findall("ecf:ElectronicServiceInformation", ecf.NS)
    ids = {node.get(f"{{{ecf.NS['structures']}}}id") for node in services_}
    expected = db.session.scalars(db.select(Delivery.id).where(Delivery.filing_id == response.id)).all()
    assert ids == {f"D{i}" for i in expected}
    refused = next(n for n in services_ if n.get(f"{{{ecf.NS['structures']}}}id") == f"D{response_mail.id}")
    assert refused.findtext("ecf:ReceivingMDELocationID/nc:IdentificationID", namespaces=ecf.NS) == (
        f"mailto:{world.holder.email}"
    )
    assert refused.findtext("ecf:ServiceRecipientID/nc:IdentificationID", namespaces=ecf.NS) == (
        f"account-{world.holder.id}"
    )
    line = refused.findtext("ecf:ServiceRecipientID/nc:IdentificationSourceText", namespaces=ecf.NS)
    assert "refused" in line and "550 5.1.1" in line and response_mail.content_sha256 in line


class _Bag:
    def __init__(self, lines):
        self.files = {"data/events.jsonl"}
        self._lines = lines

    def lines(self, _rel):
        return iter(self._lines)


def test_the_verifier_refuses_a_service_list_the_chain_does_not_record():
    served = {
        "seq": 3,
        "kind": "act_served",
        "payload": {
            "deliveries": [
                {
                    "delivery_id": 7,
                    "role": "respondent",
                    "channel": "email",
                    "language": "zh",
                    "content_sha256": "ab",
                    "account_id": 2,
                    "party_id": 2,
                }
            ],
            "statements": [],
        },
    }
    accepted = {"seq": 4, "kind": "delivery_accepted", "payload": {"delivery_id": 7, "at": "2027-01-02T03:04:05+00:00"}}
    lines = [json.dumps(served).encode() + b"\n", json.dumps(accepted).encode() + b"\n"]
    entry = {
        "delivery_id": 7,
        "act": "notice",
        "role": "respondent",
        "channel": "email",
        "language": "zh",
        "content_sha256": "ab",
        "accepted_at": "2027-01-02T03:04:05Z",
        "events": {"served": 3, "accepted": 4},
    }

    def run(item):
        report = verifier.Report(io.StringIO())
        verifier.check_service(_Bag(lines), {"service": [item]}, report)
        return report.failures

    assert run(entry) == []
    assert run(dict(entry, content_sha256="cd"))  # not the content served
    assert run(dict(entry, accepted_at="2027-01-01T00:00:00Z"))  # accepted a day earlier than recorded
    assert run(dict(entry, opened_at="2027-01-02T05:00:00Z"))  # an opening the chain does not record
    assert run(dict(entry, statement={"text": "Invented."}))  # a legal text never served
    assert run(dict(entry, events={"served": 4}))  # not an act_served event
