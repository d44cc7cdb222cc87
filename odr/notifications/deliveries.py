"""Deliveries: every procedural act is served on the case roles its procedure names (``serve:`` in
``rules/``), one row per addressee and channel, in the same transaction as the act.

The receipt of a delivery starts the periods whose law counts from it (``starts_at_receipt`` in the
rules, the receipt rule of ``jurisdictions/``): when a delivery is made available, accepted by the mail
server or opened, the periods of the case that wait for it are started, once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, insert, inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from odr.accounts.models import Account, Party
from odr.cases import events
from odr.cases.models import RIGHT_TYPE_TITLES, Case, Filing, FilingKind
from odr.cases.signals import filing_recorded
from odr.extensions import db
from odr.i18n import isolate, render_in_locale
from odr.models_base import utcnow
from odr.notifications import preferences
from odr.notifications.models import Channel, Delivery, Notification
from odr.pagination import Page, keyset
from odr.procedure import jurisdictions
from odr.procedure.engine import ACT_EVENTS, STATE_CHANGED
from odr.procedure.services import procedure_of, start_at_receipt, timers_awaiting_receipt
from odr.procedure.signals import (
    escalation_required,
    measures_required,
    pause_decided,
    pause_requested,
    state_entered,
)
from odr.vocabulary import CaseRole, EventKind, event_label

DELIVERY_FAILED = "delivery_failed"
# Reminders carry their own words (rendered in the addressee's language when sent), shown in the inbox.
REMINDER_ACTS = {"deadline_reminder", "measure_reminder"}
# Deliveries whose words are written for each addressee (deliver_written), not an act's generic notice.
WRITTEN_ACTS = REMINDER_ACTS | {"deadline_moved"}


@dataclass(frozen=True)
class Addressee:
    role: str
    party: Party | None
    account: Account | None

    @property
    def language(self) -> str:
        if self.account is not None:
            return self.account.reading_languages[0]
        return self.party.preferred_language if self.party else "en"

    @property
    def time_zone(self) -> str:
        if self.account is not None:
            return self.account.effective_time_zone
        return self.party.time_zone if self.party else "UTC"

    @property
    def email(self) -> str | None:
        return self.account.email if self.account is not None else (self.party.contact_email if self.party else None)


def addressees(case: Case, roles: frozenset[str]) -> list[Addressee]:
    """The accounts (or, for a party without one yet, the party itself) holding each role in the case."""
    found: list[Addressee] = []
    parties = {CaseRole.CLAIMANT: case.claimant, CaseRole.RESPONDENT: case.respondent, CaseRole.COURT: case.court}
    _read_accounts([party for party in parties.values() if party is not None])
    for role in sorted(roles):
        if role == CaseRole.MEDIATOR:
            if case.mediator is not None:
                found.append(Addressee(role, None, case.mediator))
            continue
        party = parties.get(CaseRole(role))
        if party is None:
            continue
        accounts = [account for account in party.accounts if account.active]
        if accounts:
            found += [Addressee(role, party, account) for account in accounts]
        elif party.contact_email:
            found.append(Addressee(role, party, None))
    return found


def _read_accounts(parties: list[Party]) -> None:
    """The accounts of the case's parties, in one statement the first time any of them is asked for: a notice is
    served on the seller, then its measures on both parties, and each party's accounts were read on their own."""
    unread = {
        party.id: party for party in parties if inspect(party).persistent and "accounts" in inspect(party).unloaded
    }
    if not unread:
        return
    accounts: dict[int, list[Account]] = {party_id: [] for party_id in unread}
    for account in db.session.scalars(select(Account).where(Account.party_id.in_(unread)).order_by(Account.id)):
        accounts[account.party_id].append(account)  # type: ignore[index]
    for party_id, party in unread.items():
        set_committed_value(party, "accounts", accounts[party_id])  # as its lazy load would


def _accounts_of(case: Case) -> list[Account]:
    """The accounts of the case's parties (read by ``addressees``) and its mediator."""
    parties = [party for party in (case.claimant, case.respondent, case.court) if party is not None]
    return [account for party in parties for account in party.accounts] + ([case.mediator] if case.mediator else [])


def serve(
    case: Case,
    act: str,
    at: datetime,
    *,
    filing: Filing | None = None,
    data: dict | None = None,
    only: frozenset[str] | None = None,
) -> list[dict]:
    """Serve ``act`` on the roles its procedure names (never on the author of a filing; a caucus message
    only on the mediator and the party of the caucus; ``only``: of those, just the roles an act concerns, as a
    measure on one party's account), through the inbox and by e-mail; returns the deliveries' rows, with their ids."""
    procedure = procedure_of(case)
    roles = procedure.addressees(act)
    if only is not None:
        roles = roles & only
    if filing is not None and filing.caucus_party_id is not None:
        caucus_role = CaseRole.CLAIMANT if filing.caucus_party_id == case.claimant_party_id else CaseRole.RESPONDENT
        roles = roles & {CaseRole.MEDIATOR, caucus_role}
    data = dict(data or {}, case_id=case.id)
    # The acts whose receipt starts a period: what "deadlines only" still e-mails (with reminders).
    periods = {(t.receipt.act, t.receipt.role) for t in procedure.timers if t.receipt is not None}
    # A filing the platform records itself (a settlement reached by blind bidding, in the name of the last
    # bidder) is served on every addressee, its nominal author included.
    author_id = filing.author_id if filing is not None and filing.author_case_role != CaseRole.SYSTEM else None
    rows: list[dict] = []
    served = [
        (addressee, procedure.is_legally_required(act, addressee.role))
        for addressee in addressees(case, roles)
        if author_id is None or addressee.account is None or addressee.account.id != author_id
    ]
    if any(addressee.account is not None and not legal for addressee, legal in served):
        # Those of every account of the case at once: the transaction's next act asks for the others (a notice is
        # served on the seller, then its measures on both parties).
        preferences.read_preferences(_accounts_of(case))
    for addressee, legal in served:
        statement = _statement(case, act, addressee, filing, data)
        digest = _digest(case, act, filing, data, statement)
        about_deadline = (act, str(addressee.role)) in periods or bool(data.get("deadline"))
        timing = preferences.email_timing(addressee.account, at, legally_required=legal, about_deadline=about_deadline)
        rows += _deliver(
            case,
            act,
            ACT_EVENTS[act],
            addressee,
            at,
            filing=filing,
            data=data,
            digest=digest,
            statement=statement,
            legal=legal,
            timing=timing,
        )
    _write(rows)
    if rows and not _private(filing):
        _record_service(case, act, filing, rows, at)
    return rows


# An act's deliveries are written as rows, not objects: nothing reads them as objects, and the unit of work's flush of
# four deliveries and two outbox rows cost a third of a swept consequence. The ids come back in the order of the rows
# (the service event names each delivery by its id).
_INSERT_NOTIFICATIONS = insert(Notification.__table__).returning(
    Notification.__table__.c.id, sort_by_parameter_order=True
)
_INSERT_DELIVERIES = insert(Delivery.__table__).returning(Delivery.__table__.c.id, sort_by_parameter_order=True)


def _write(rows: list[dict]) -> None:
    """Insert the deliveries of ``rows`` (from ``_addressee_rows``) and the outbox rows that carry them by e-mail, one
    statement each whatever their number; each row gets its ``id`` and ``notification_id``."""
    mails = [row.pop("notification") for row in rows]
    mailed = [(row, mail) for row, mail in zip(rows, mails, strict=True) if mail is not None]
    if mailed:
        ids = db.session.execute(_INSERT_NOTIFICATIONS, [mail for _row, mail in mailed]).scalars()
        for (row, _mail), notification_id in zip(mailed, ids, strict=True):
            row["notification_id"] = notification_id
    if rows:
        for row, delivery_id in zip(rows, db.session.execute(_INSERT_DELIVERIES, rows).scalars(), strict=True):
            row["id"] = delivery_id


def _private(filing: Filing | None) -> bool:
    """A caucus message leaves no trace of its content on the shared chain, its service included."""
    return filing is not None and filing.caucus_party_id is not None


def _statement(case: Case, act: str, addressee: Addressee, filing: Filing | None, data: dict) -> dict | None:
    """The text the law requires this delivery to say (the procedure's ``statements``), rendered in the
    addressee's language, with the rule that requires it; None where the law requires nothing."""
    rule = procedure_of(case).statement(act, addressee.role)
    if rule is None:
        return None
    zone = ZoneInfo(addressee.time_zone)
    notice = next((f for f in case.filings if f.kind == FilingKind.NOTICE), None)
    measure = dict(((notice.terms or {}) if notice else {}).get("measure") or {})
    if measure.get("element"):
        measure["element"] = isolate(measure["element"])
    text = render_in_locale(
        addressee.language,
        f"notifications/statements/{rule.template}.txt",
        case=case,
        data=data,
        values=rule.values,
        reference=case.reference,
        claimant=isolate(case.claimant.name),
        respondent=isolate(case.respondent.name),
        right=RIGHT_TYPE_TITLES[case.right_type],  # lazy: in the addressee's language when rendered
        listings=[isolate(listing.locator) for listing in case.listings],
        notice_text=notice.text if notice else "",
        notice_date=notice.created_at.astimezone(zone).date().isoformat() if notice else "",
        filing_text=filing.text if filing else "",
        filing_date=filing.created_at.astimezone(zone).date().isoformat() if filing else "",
        terms=(filing.terms or {}) if filing else {},
        measure=measure,  # the proportionate measure the notice asked for, if any (check_notice_measure)
        role=addressee.role,
    )
    return {
        "template": rule.template,
        "language": addressee.language,
        "citation": rule.citation.as_dict(),
        "values": dict(rule.values),
        "text": text.strip() + "\n",
    }


def _record_service(case: Case, act: str, filing: Filing | None, rows: list[dict], at: datetime) -> None:
    """Proof of service on the case's chain: each delivery of the act, and the text the law required."""
    statements = {}
    for row in rows:
        if row["statement"] is not None:
            statements[(row["account_id"], row["party_id"])] = dict(
                row["statement"], role=row["role"], account_id=row["account_id"], party_id=row["party_id"]
            )
    events.record(
        case,
        EventKind.ACT_SERVED,
        at,
        payload={
            "act": act,
            "event_kind": str(ACT_EVENTS[act]),
            "filing_id": filing.id if filing else None,
            "deliveries": [
                {
                    "delivery_id": row["id"],
                    "role": row["role"],
                    "account_id": row["account_id"],
                    "party_id": row["party_id"],
                    "channel": row["channel"],
                    "language": row["language"],
                    "content_sha256": row["content_sha256"],
                }
                for row in rows
            ],
            "statements": list(statements.values()),
        },
    )


def _record_instant(row: Delivery, kind: EventKind, at: datetime, reason: str | None = None) -> None:
    """What happened to one delivery (accepted, refused, opened), on the case's chain."""
    filing = db.session.get(Filing, row.filing_id) if row.filing_id else None
    if _private(filing):
        return
    payload = {"delivery_id": row.id, "act": row.act, "role": row.role, "channel": row.channel, "at": at.isoformat()}
    if reason is not None:
        payload["reason"] = reason
    events.record(db.session.get_one(Case, row.case_id), kind, at, payload=payload)


def _deliver(
    case: Case,
    act: str,
    event_kind: str,
    addressee: Addressee,
    at: datetime,
    *,
    filing: Filing | None,
    data: dict,
    digest: str,
    statement: dict | None = None,
    legal: bool = False,
    timing: object = preferences.NOW,
) -> list[dict]:
    common = dict(
        case_id=case.id,
        act=act,
        event_kind=str(event_kind),
        filing_id=filing.id if filing else None,
        party_id=addressee.party.id if addressee.party else None,
        role=str(addressee.role),
        language=addressee.language,
        time_zone=addressee.time_zone,
        data=data,
        statement=statement,
        content_sha256=digest,
        made_available_at=at,
        legally_required=legal,
    )
    return _addressee_rows(
        addressee,
        common,
        by_email=timing is not None,  # None: the addressee turned this e-mail off
        # Held for the daily digest of that local day (notifications.digest), or mailed now.
        notification=_mail(case, act, addressee, data, statement) if timing == preferences.NOW else None,
        digest_on=timing if isinstance(timing, date) else None,
    )


def _addressee_rows(
    addressee: Addressee, common: dict, *, by_email: bool, notification: dict | None, digest_on: date | None = None
) -> list[dict]:
    """``addressee``'s deliveries (the columns in ``common`` and their own), for ``_write``: in the inbox of their
    account, and by e-mail where they have an address and ``by_email``, with the outbox row that carries it
    (``notification``; none where the e-mail waits for a daily digest or an invitation)."""
    rows = []
    # Every row names the same columns, so that an act's rows share one INSERT statement.
    if addressee.account is not None:
        rows.append(
            dict(
                common,
                account_id=addressee.account.id,
                channel=Channel.INBOX,
                address=None,
                notification_id=None,
                digest_on=None,
                notification=None,
            )
        )
    if addressee.email and by_email:
        rows.append(
            dict(
                common,
                account_id=addressee.account.id if addressee.account else None,
                channel=Channel.EMAIL,
                address=addressee.email,
                notification_id=None,
                digest_on=digest_on,
                notification=notification,
            )
        )
    return rows


def _mail(case: Case, act: str, addressee: Addressee, data: dict, statement: dict | None) -> dict | None:
    """The outbox row that carries this delivery by e-mail, with the text the law requires (if any); written
    with the delivery that names it (one statement for all the outbox rows of an act)."""
    if act == "notice" and addressee.account is None:
        return None  # the invitation with its code carries the notice to a seller without an account (link_invitation)
    mail = {"case_id": case.id, "reference": case.reference, "act": act, "event_kind": str(ACT_EVENTS[act])}
    if statement is not None:
        mail["statement"] = statement["text"]
    return dict(recipient=addressee.email, locale=addressee.language, kind="delivery", data=mail)


def deliver_written(
    case: Case,
    addressee: Addressee,
    act: str,
    event_kind: EventKind,
    data: dict,
    at: datetime,
    *,
    mail: str,
    by_email: bool = True,
) -> list[dict]:
    """Serve words written for one addressee (``data`` has their ``subject`` and ``text``, in their language):
    in the inbox, and by e-mail through the outbox (``mail``: the outbox kind, whose template shows them)
    unless ``by_email`` is false. A reminder, or a deadline moved by an official calendar."""
    common = dict(
        case_id=case.id,
        act=act,
        event_kind=str(event_kind),
        party_id=addressee.party.id if addressee.party else None,
        role=str(addressee.role),
        language=addressee.language,
        time_zone=addressee.time_zone,
        data=data,
        content_sha256=hashlib.sha256(data["text"].encode("utf-8")).hexdigest(),
        made_available_at=at,
    )
    rows = _addressee_rows(
        addressee,
        common,
        by_email=by_email,
        notification=dict(recipient=addressee.email, locale=addressee.language, kind=mail, data=data),
    )
    _write(rows)
    return rows


def link_invitation(case: Case, party: Party, note: Notification) -> None:
    """The invitation is the e-mail delivery of the notice to a seller without an account: it carries the
    text the law requires the notice's delivery to say."""
    db.session.flush()
    for row in db.session.scalars(
        select(Delivery).where(
            Delivery.case_id == case.id,
            Delivery.act == "notice",
            Delivery.party_id == party.id,
            Delivery.channel == Channel.EMAIL,
            Delivery.notification_id.is_(None),
        )
    ):
        row.notification_id = note.id
        if row.statement is not None:
            note.data = dict(note.data or {}, statement=row.statement["text"])


def _digest(case: Case, act: str, filing: Filing | None, data: dict, statement: dict | None = None) -> str:
    """What was served, as a digest: the filing's text (and terms) or the act's data, and the text the law
    required the delivery to say, as the addressee received it."""
    content: dict = {"case_id": case.id, "act": act, "data": data}
    if statement is not None:
        content["statement"] = statement
    if filing is not None:
        content["filing"] = {
            "id": filing.id,
            "kind": filing.kind.value,
            "language": filing.language,
            "text": filing.text,
            "terms": filing.terms or {},
        }
    body = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# -- subscribers: each act is served in the transaction that performs it ---------------------------


@filing_recorded.in_transaction.connect
def _filing(filing: Filing, **_data) -> None:
    serve(filing.case, filing.kind.value, filing.created_at, filing=filing)


@state_entered.in_transaction.connect
def _state(case: Case, *, at: datetime, previous: str, state: str, cause: str, **_data) -> None:
    if previous != state:  # a case opens in its first state: the notice itself is what is served
        serve(case, STATE_CHANGED, at, data={"from": previous, "to": state, "cause": cause})
    start_clocks(case, at)


@measures_required.in_transaction.connect
def _measures(case: Case, *, at: datetime, measure: str, **_data) -> None:
    serve(case, "take_measures" if measure == "take_down" else "lift_measures", at)


@pause_requested.in_transaction.connect
def _pause_requested(case: Case, *, request, at: datetime, **_data) -> None:
    serve(case, "pause_request", at, data={"request_id": request.id, "count": request.count})


@pause_decided.in_transaction.connect
def _pause_decided(case: Case, *, request, at: datetime, **_data) -> None:
    data = {"request_id": request.id, "status": request.status.value, "count": request.granted_count}
    serve(case, "pause_decision", at, data=data)


@escalation_required.in_transaction.connect
def _escalation(case: Case, *, at: datetime, **_data) -> None:
    # Export's subscriber, connected first, has named the court that receives the case (if any does).
    serve(case, "export_to_court", at, data={"court": case.court.name if case.court else None})


# -- receipt ------------------------------------------------------------------------------------------


def receipt(case: Case, act: str, role: str, since: datetime | None = None) -> tuple[datetime, str] | None:
    """When ``role`` received the latest service of ``act`` in the case's current state (or made since ``since``),
    and how, under the jurisdiction's receipt rule: the earliest of its ways, for the first addressee of the role
    to receive it."""
    rule = _receipt_rule(case)
    if rule is None:
        return None
    rows = db.session.scalars(
        select(Delivery).where(
            Delivery.case_id == case.id,
            Delivery.act == act,
            Delivery.role == role,
            Delivery.made_available_at >= (since or case.state_entered_at),
        )
    ).all()
    by_addressee: dict[tuple, list[Delivery]] = {}
    for row in rows:
        by_addressee.setdefault((row.account_id, row.party_id), []).append(row)
    found: list[tuple[datetime, str]] = []
    for own in by_addressee.values():
        inbox = [r.made_available_at for r in own if r.channel == Channel.INBOX]
        mail = [r for r in own if r.channel == Channel.EMAIL]
        if "available_and_accepted" in rule.ways and mail and mail[0].accepted_at is not None:
            found.append((max(inbox + [mail[0].accepted_at]), "available_and_accepted"))
        opened = [r.opened_at for r in own if r.opened_at is not None]
        if "opened" in rule.ways and opened:
            found.append((min(opened), "opened"))
    return min(found, key=lambda item: item[0]) if found else None


def _receipt_rule(case: Case):
    jurisdiction = jurisdictions.get(case.procedure_choice.jurisdiction if case.procedure_choice else case.jurisdiction)
    return jurisdiction.receipt if jurisdiction else None


def start_clocks(case: Case, at: datetime) -> int:
    """Start each period of the current state that waits for a receipt that has now happened."""
    started = 0
    rule = _receipt_rule(case)
    for timer in timers_awaiting_receipt(case):
        waits_for = timer.receipt
        received = receipt(case, waits_for.act, waits_for.role) if waits_for and rule else None
        if waits_for is None or rule is None or received is None:
            continue
        received_at, way = received
        start_at_receipt(
            case,
            timer,
            received_at,
            {
                "act": waits_for.act,
                "role": waits_for.role,
                "way": way,
                "received_at": received_at.isoformat(),
                "rule": rule.citation.as_dict(),
            },
            at,
        )
        started += 1
    return started


def open_delivery(account: Account, delivery_id: int, at: datetime | None = None) -> Delivery | None:
    """The addressee opens a delivery of their inbox (the first opening is kept); the caller commits."""
    row = db.session.scalar(
        select(Delivery).where(
            Delivery.id == delivery_id, Delivery.account_id == account.id, Delivery.channel == Channel.INBOX
        )
    )
    if row is None:
        return None
    if row.opened_at is None:
        row.opened_at = at or utcnow()
        if row.act != DELIVERY_FAILED:
            _record_instant(row, EventKind.DELIVERY_OPENED, row.opened_at)
        start_clocks(db.session.get_one(Case, row.case_id), row.opened_at)
    return row


def accepted(notification_id: int, at: datetime) -> None:
    """The addressee's mail server accepted the e-mail: its deliveries are accepted, and may be received."""
    for row in db.session.scalars(select(Delivery).where(Delivery.notification_id == notification_id)):
        if row.accepted_at is None:
            row.accepted_at = at
            _record_instant(row, EventKind.DELIVERY_ACCEPTED, at)
            start_clocks(db.session.get_one(Case, row.case_id), at)


def failed(notification_id: int, at: datetime, reason: str) -> None:
    """The mail server refused the e-mail for good. Where the addressee has no inbox either, the act did
    not reach them: the author of the act and the mediator are told in their inbox (the periods that
    wait for its receipt do not start)."""
    for row in db.session.scalars(select(Delivery).where(Delivery.notification_id == notification_id)):
        row.failed_at, row.failure = at, reason[:500]
        _record_instant(row, EventKind.DELIVERY_REFUSED, at, row.failure)
        if row.account_id is not None:
            continue  # the addressee still has the act in their inbox
        case = db.session.get_one(Case, row.case_id)
        filing = db.session.get(Filing, row.filing_id) if row.filing_id else None
        told: dict[int, tuple[Account, str]] = {}
        if filing is not None:
            told[filing.author.id] = (filing.author, filing.author_case_role)
        if case.mediator is not None:
            told[case.mediator.id] = (case.mediator, CaseRole.MEDIATOR)
        data = {"case_id": case.id, "act": row.act, "role": row.role, "address": row.address, "reason": row.failure}
        for account, role in told.values():
            addressee = Addressee(role, account.party, account)
            db.session.add(
                Delivery(
                    case_id=case.id,
                    act=DELIVERY_FAILED,
                    event_kind=row.event_kind,
                    filing_id=row.filing_id,
                    account_id=account.id,
                    party_id=account.party_id,
                    role=str(addressee.role),
                    language=addressee.language,
                    time_zone=addressee.time_zone,
                    channel=Channel.INBOX,
                    data=data,
                    content_sha256=_digest(case, DELIVERY_FAILED, None, data),
                    made_available_at=at,
                )
            )


# Built once: every page's navigation reads it.
_UNREAD_COUNT = select(func.count(Delivery.id)).where(
    Delivery.account_id == bindparam("account_id"), Delivery.channel == Channel.INBOX, Delivery.opened_at.is_(None)
)


# The same count as a column of a statement that reads an account: the signed-in account's, read on every page
# (``odr.accounts.views.read_with_signed_in``), carries its header's badge instead of a statement of its own.
UNREAD_WITH_ACCOUNT = (
    select(func.count(Delivery.id))
    .where(Delivery.account_id == Account.id, Delivery.channel == Channel.INBOX, Delivery.opened_at.is_(None))
    .correlate(Account)
    .scalar_subquery()
    .label("inbox_unread")
)


def unread_count(account: Account) -> int:
    """The viewer's unopened inbox deliveries, in one query (through the session's connection: a count needs none
    of the ORM's handling of a statement, which cost about as much again as sending it)."""
    return db.session.connection().execute(_UNREAD_COUNT, {"account_id": account.id}).scalar() or 0


def inbox(account: Account, limit: int = 200) -> list[Delivery]:
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.account_id == account.id, Delivery.channel == Channel.INBOX)
            .order_by(Delivery.made_available_at.desc(), Delivery.id.desc())
            .limit(limit)
        )
    )


def delivery_json(row: Delivery, reference: str | None = None) -> dict:
    """A delivery as the inbox and the API show it: the act and its instants, never the content."""
    failure = None
    if row.act == DELIVERY_FAILED:
        failure = {"act": row.data.get("act"), "role": row.data.get("role"), "reason": row.data.get("reason")}
    reference = reference or db.session.get_one(Case, row.case_id).reference
    return {
        "id": row.id,
        "case_id": row.case_id,
        "reference": reference,
        "act": row.act,
        "event_kind": row.event_kind,
        "title": event_label(row.event_kind),
        "role": row.role,
        "language": row.language,
        "channel": row.channel,
        "content_sha256": row.content_sha256,
        # The text the law required this delivery to say, with the rule that requires it.
        "statement": (
            {"text": row.statement["text"], "citation": row.statement["citation"]} if row.statement else None
        ),
        # A reminder's own words: the period, its end in the addressee's time zone, what happens if nobody acts.
        "reminder": row.data.get("text") if row.act in REMINDER_ACTS else None,
        # Words written for this addressee (a reminder, a deadline moved by an official calendar), in their language.
        "text": row.data.get("text") if row.act in WRITTEN_ACTS else None,
        "made_available_at": row.made_available_at.isoformat(),
        "opened_at": row.opened_at.isoformat() if row.opened_at else None,
        "unread": row.opened_at is None,
        "failure": failure,
    }


def inbox_view(account: Account) -> list[dict]:
    rows = inbox(account)
    cases = db.session.scalars(select(Case).where(Case.id.in_({row.case_id for row in rows}))).all()
    references = {case.id: case.reference for case in cases}
    return [delivery_json(row, references[row.case_id]) for row in rows]


def inbox_page(account: Account, limit: int, cursor: str | None) -> tuple[list[dict], Page]:
    """One page of the inbox, newest first (keyset on the instant made available and the id)."""
    page = keyset(
        select(Delivery).where(Delivery.account_id == account.id, Delivery.channel == Channel.INBOX),
        [Delivery.made_available_at, Delivery.id],
        limit=limit,
        cursor=cursor,
    )
    cases = db.session.scalars(select(Case).where(Case.id.in_({row.case_id for row in page.items}))).all()
    references = {case.id: case.reference for case in cases}
    return [delivery_json(row, references[row.case_id]) for row in page.items], page


def served_on(case_id: int, act: str, role: str) -> bool:
    """Whether ``act`` was served on anyone holding ``role`` in the case (made available, not failed)."""
    return (
        db.session.scalar(
            select(Delivery.id)
            .where(
                Delivery.case_id == case_id, Delivery.act == act, Delivery.role == role, Delivery.failed_at.is_(None)
            )
            .limit(1)
        )
        is not None
    )
