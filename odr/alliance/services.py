"""Issue, serve, pull and revoke alliance records (the format is specified in docs/alliance.md).

Every platform keeps one append-only log of the records it issues: each record names the one before
it (``prev``), is signed with the platform's Ed25519 key, and the log's Merkle root (RFC 6962, from
``odr.integrity``) is signed as a tree head. A member pulls a feed and imports it only when every
record and the tree head verify; anything else is refused whole, with a log line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.request
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy import Select, exists, select
from sqlalchemy.exc import IntegrityError

from odr.accounts.models import Account, Role
from odr.alliance.models import AllianceDigest, AllianceMember, AllianceRecord, RecordContest, RecordUse
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.extensions import lazy_gettext as _l
from odr.integrity.canonical import canonical_json
from odr.integrity.keys import platform_key
from odr.integrity.merkle import MerkleTree
from odr.linkage.models import AccountIdentifier, LinkedAccount
from odr.linkage.services import party_accounts
from odr.models_base import utcnow
from odr.notifications.services import notify
from odr.queue import periodic_job
from odr.vocabulary import CaseRole, EventKind

RECORD_FORMAT = "odr-alliance-record/1"
FEED_FORMAT = "odr-alliance-feed/1"
GENESIS = "0" * 64
MAX_FEED_BYTES = 20 * 1024 * 1024
MAX_VALIDITY = timedelta(days=5 * 366)
PULL_INTERVAL = timedelta(minutes=15)
# A finding rests on an adjudicated outcome: the case states each kind of finding may be issued from.
FINDINGS = {
    "counterfeit_settlement": {"settled"},
    "counterfeit_neutral_decision": {"settled"},  # a neutral's decision becomes the settlement here
    "counterfeit_court": {"decided"},
    "health_safety_counterfeit": {"settled", "decided"},
    "repeat_infringer_termination": {"settled", "decided"},
}
FINDING_TITLES = {
    "counterfeit_settlement": _l("Counterfeiting established by a settlement"),
    "counterfeit_neutral_decision": _l("Counterfeiting established by a neutral's decision"),
    "counterfeit_court": _l("Counterfeiting established by a court"),
    "health_safety_counterfeit": _l("Confirmed health-and-safety counterfeit"),
    "repeat_infringer_termination": _l("Terminated as a repeat infringer"),
}


class FeedRefused(Exception):
    """A feed that is unreachable, malformed, truncated, re-ordered, replayed or not signed by the member."""


def entry_hash(body: dict) -> str:
    return hashlib.sha256(canonical_json(body)).hexdigest()


def leaf(body: dict, signature: str) -> bytes:
    return canonical_json({"body": body, "signature": signature})


def alliance_digests(accounts: list[LinkedAccount]) -> set[str]:
    """The alliance-keyed digests of these accounts' identifiers in force."""
    digests: set[str] = set()
    for account in accounts:
        for identifier in account.identifiers:
            if identifier.alliance_digest and identifier.withdrawn_at is None:
                digests.add(identifier.alliance_digest)
    return digests


def own_key_id() -> str:
    return platform_key().key_id


# --- this platform's log -------------------------------------------------------------------------


def _append(
    fields: dict, *, case_id: int | None = None, digests: Sequence[str] = (), expires_at: datetime | None = None
) -> AllianceRecord:
    key = platform_key()
    last = db.session.execute(
        select(AllianceRecord.seq, AllianceRecord.entry_hash)
        .where(AllianceRecord.issuer == key.key_id)
        .order_by(AllianceRecord.seq.desc())
        .limit(1)
    ).first()
    body = {
        "format": RECORD_FORMAT,
        "issuer": key.key_id,
        "seq": (last.seq + 1) if last else 1,
        "prev": last.entry_hash if last else GENESIS,
        "issued_at": utcnow().isoformat(),
        **fields,
    }
    signature = base64.b64encode(key.sign(canonical_json(body))).decode()
    record = AllianceRecord(
        issuer=key.key_id,
        seq=body["seq"],
        body=body,
        signature=signature,
        entry_hash=entry_hash(body),
        kind=body["kind"],
        expires_at=expires_at,
        case_id=case_id,
    )
    record.digests = [AllianceDigest(digest=d) for d in digests]
    db.session.add(record)
    return record


def do_issue(account: Account, case_id: int, finding, expires_on) -> AllianceRecord:
    """An administrator records an adjudicated finding about the case's seller; the seller is told."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator issues alliance records."))
    case = get_case(account, case_id)
    fields: dict[str, str] = {}
    if finding not in FINDINGS:
        fields["finding"] = _("Choose one of the findings the alliance records.")
    elif case.state not in FINDINGS[finding]:
        fields["finding"] = _("This finding needs a case that ended in a settlement or a decision.")
    try:
        expires = datetime.combine(date.fromisoformat(str(expires_on)), time.min, timezone.utc)
        if not utcnow() < expires <= utcnow() + MAX_VALIDITY:
            fields["expires_on"] = _("The record must expire in the future, within five years.")
    except ValueError:
        fields["expires_on"] = _("Enter a date as YYYY-MM-DD.")
    digests = sorted(alliance_digests(party_accounts(case.respondent)))
    if not digests and not fields:
        fields["case_id"] = _("No identifier of this seller is keyed for the alliance; nothing could be matched.")
    if fields:
        raise ValidationFailed(_("The record cannot be issued."), fields)
    record = _append(
        {
            "kind": "finding",
            "finding": finding,
            "case_reference": case.reference,
            "jurisdiction": case.jurisdiction,
            "identifiers": digests,
            "expires_at": expires.isoformat(),
        },
        case_id=case.id,
        digests=digests,
        expires_at=expires,
    )
    _tell_seller(case, record, "alliance_record_issued")
    db.session.flush()
    events.record(
        case,
        EventKind.ALLIANCE_RECORD_ISSUED,
        utcnow(),
        actor=account,
        role=CaseRole.ADMIN,
        payload={"finding": finding, "entry_hash": record.entry_hash, "expires_at": expires.isoformat()},
    )
    commit()
    return record


def _tell_seller(case: Case, record: AllianceRecord, kind: str) -> None:
    party = case.respondent
    emails = {a.email for a in party.accounts} or ({party.contact_email} if party.contact_email else set())
    for email in sorted(emails):
        notify(
            email,
            party.preferred_language,
            kind,
            {
                "case_reference": case.reference,
                "finding": record.body.get("finding", ""),
                "expires_at": record.body.get("expires_at", "")[:10],
            },
        )


def _revoke(record: AllianceRecord, reason: str) -> AllianceRecord:
    record.revoked_at = utcnow()
    return _append({"kind": "revocation", "revokes": record.entry_hash, "reason": reason})


def feed(after: int = 0) -> dict:
    """This platform's log from ``after`` on, with the signed tree head over the whole log."""
    key = platform_key()
    records = db.session.scalars(
        select(AllianceRecord).where(AllianceRecord.issuer == key.key_id).order_by(AllianceRecord.seq)
    ).all()
    tree = MerkleTree()
    for record in records:
        tree.add(leaf(record.body, record.signature))
    head = {"issuer": key.key_id, "tree_size": tree.size, "merkle_root": tree.root()}
    return {
        "format": FEED_FORMAT,
        "issuer": key.key_id,
        "public_key": key.public_pem.decode(),
        "tree_head": head,
        "tree_head_signature": base64.b64encode(key.sign(canonical_json(head))).decode(),
        "entries": [{"body": r.body, "signature": r.signature} for r in records if r.seq > after],
    }


# --- members and their feeds ---------------------------------------------------------------------


def key_id_of(public_pem: str) -> str:
    public = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()


def do_add_member(name: str, feed_url: str, public_pem: str) -> AllianceMember:
    """Pin a member platform by its public key (exchanged out of band, like the alliance key)."""
    try:
        key_id = key_id_of(public_pem)
    except ValueError as exc:
        raise ValidationFailed(
            _("The member's public key is not an Ed25519 public key in PEM form."), {"public_key": str(exc)}
        ) from None
    if key_id == own_key_id():
        raise ValidationFailed(_("This is this platform's own key."), {"public_key": _("Own key.")})
    member = AllianceMember(name=name.strip()[:200], key_id=key_id, public_key_pem=public_pem, feed_url=feed_url)
    db.session.add(member)
    commit()
    return member


def fetch_url(url: str, timeout: float = 20) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (a configured member URL)
        data = answer.read(MAX_FEED_BYTES + 1)
    if len(data) > MAX_FEED_BYTES:
        raise OSError("the feed is larger than the limit")
    return data


def _verify(public: Ed25519PublicKey, signature: str, data: bytes, what: str) -> None:
    try:
        public.verify(base64.b64decode(signature, validate=True), data)
    except (InvalidSignature, ValueError, TypeError) as exc:
        raise FeedRefused(f"{what}: the signature does not verify with the member's key") from exc


def check_feed(member: AllianceMember, raw: bytes) -> list[dict]:
    """The new entries of a member's feed if all of it verifies; FeedRefused naming the first fault."""
    try:
        data = json.loads(raw)
        head, entries = data["tree_head"], data["entries"]
        if data.get("format") != FEED_FORMAT or not isinstance(entries, list) or not isinstance(head, dict):
            raise ValueError("unknown feed format")
    except (ValueError, KeyError, TypeError) as exc:
        raise FeedRefused(f"the feed is not a well-formed {FEED_FORMAT} document ({exc})") from None
    if data.get("issuer") != member.key_id or head.get("issuer") != member.key_id:
        raise FeedRefused("the feed is signed by an unknown key, not by this member's pinned key")
    public = serialization.load_pem_public_key(member.public_key_pem.encode())
    if not isinstance(public, Ed25519PublicKey):
        raise FeedRefused("the member's pinned key is not an Ed25519 key")
    _verify(public, data.get("tree_head_signature", ""), canonical_json(head), "tree head")
    stored = db.session.scalars(
        select(AllianceRecord).where(AllianceRecord.issuer == member.key_id).order_by(AllianceRecord.seq)
    ).all()
    tree = MerkleTree()
    for record in stored:
        tree.add(leaf(record.body, record.signature))
    seq, prev = (stored[-1].seq, stored[-1].entry_hash) if stored else (0, GENESIS)
    fresh = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise FeedRefused("an entry is not an object")
        body, signature = entry.get("body"), entry.get("signature", "")
        if not isinstance(body, dict) or body.get("format") != RECORD_FORMAT or body.get("issuer") != member.key_id:
            raise FeedRefused("an entry is not a record of this member")
        if not isinstance(body.get("seq"), int) or body["seq"] <= seq:
            if any(r.seq == body.get("seq") for r in stored):
                raise FeedRefused(f"record {body.get('seq')} was imported before: a replayed record")
            raise FeedRefused(f"record {body.get('seq')} is out of order after {seq}")
        if body["seq"] != seq + 1 or body.get("prev") != prev:
            raise FeedRefused(f"record {body['seq']} does not follow record {seq}: the log is re-ordered or has a gap")
        _verify(public, signature, canonical_json(body), f"record {body['seq']}")
        _check_record_fields(body)
        tree.add(leaf(body, signature))
        seq, prev = body["seq"], entry_hash(body)
        fresh.append(entry)
    if tree.size != head.get("tree_size") or tree.root() != head.get("merkle_root"):
        raise FeedRefused(
            f"the log holds {tree.size} records whose Merkle root differs from the signed tree head "
            f"({head.get('tree_size')} records): the feed is truncated or altered"
        )
    return fresh


def _check_record_fields(body: dict) -> None:
    if body.get("kind") == "finding":
        if body.get("finding") not in FINDINGS or not isinstance(body.get("identifiers"), list):
            raise FeedRefused(f"record {body['seq']}: not a finding the alliance records")
        try:
            if datetime.fromisoformat(body["expires_at"]).tzinfo is None:
                raise ValueError("an expiry without its UTC offset")
        except (KeyError, TypeError, ValueError):
            raise FeedRefused(f"record {body['seq']}: no valid expiry (an RFC 3339 instant)") from None
    elif body.get("kind") != "revocation" or not isinstance(body.get("revokes"), str):
        raise FeedRefused(f"record {body['seq']}: neither a finding nor a revocation")


def do_pull(member: AllianceMember, fetch: Callable[[str], bytes] | None = None) -> int:
    """Import a member's new records, all or nothing; returns how many were imported."""
    after = db.session.scalar(select(db.func.max(AllianceRecord.seq)).where(AllianceRecord.issuer == member.key_id))
    url = f"{member.feed_url}{'&' if '?' in member.feed_url else '?'}after={after or 0}"
    try:
        try:
            raw = (fetch or fetch_url)(url)
        except OSError as exc:
            raise FeedRefused(f"the feed could not be fetched: {exc}") from None
        fresh = check_feed(member, raw)
    except FeedRefused as exc:
        current_app.logger.warning(
            "alliance feed of %s (%s) refused, nothing imported: %s", member.name, member.key_id[:16], exc
        )
        raise
    for entry in fresh:
        body = entry["body"]
        record = AllianceRecord(
            issuer=member.key_id,
            seq=body["seq"],
            body=body,
            signature=entry["signature"],
            entry_hash=entry_hash(body),
            kind=body["kind"],
            expires_at=datetime.fromisoformat(body["expires_at"]) if body["kind"] == "finding" else None,
        )
        record.digests = [AllianceDigest(digest=d) for d in body.get("identifiers", []) if isinstance(d, str)]
        db.session.add(record)
        if body["kind"] == "revocation":
            db.session.flush()
            target = db.session.scalar(
                select(AllianceRecord).where(
                    AllianceRecord.entry_hash == body["revokes"], AllianceRecord.issuer == member.key_id
                )
            )
            if target is not None:
                target.revoked_at = utcnow()
    member.pulled_at = member.attempted_at = utcnow()
    commit()
    if fresh:
        tell_uses()
    return len(fresh)


def pull_all(fetch: Callable[[str], bytes] | None = None, *, due_only: bool = False) -> dict[str, int | str]:
    """Pull every member's feed (or those not tried for PULL_INTERVAL); a refused feed is logged and the
    others still pulled. Member name -> records imported, or why the feed was refused."""
    query = select(AllianceMember).order_by(AllianceMember.id)
    if due_only:
        query = query.where(
            (AllianceMember.attempted_at.is_(None)) | (AllianceMember.attempted_at <= utcnow() - PULL_INTERVAL)
        )
    outcome: dict[str, int | str] = {}
    for member in db.session.scalars(query).all():
        try:
            outcome[member.name] = do_pull(member, fetch or fetch_url)
        except FeedRefused as exc:
            db.session.rollback()
            member.attempted_at = utcnow()  # tried: the next try waits PULL_INTERVAL, not one minute
            commit()
            outcome[member.name] = str(exc)
    return outcome


@periodic_job("alliance_pull", "Pull the alliance members' feeds not tried for 15 minutes")
def pull_due_feeds() -> int:
    return sum(n for n in pull_all(due_only=True).values() if isinstance(n, int))


@periodic_job("alliance_uses", "Tell the sellers whose reported accounts a member's finding now matches")
def tell_uses(limit: int = 500) -> int:
    """A member's finding in force that matches an account reported here is used on this platform from
    then on: tell the account's seller once (its dispute party here), or, when no party is known, the
    platform client that reported the account, so that it tells its seller. Returns how many were told.

    Runs after each pull (new findings) and every minute (accounts and identifiers reported since);
    the unique use row makes two runs tell each use once."""
    now = utcnow()
    # The pairs first (ids only: DISTINCT over a record's JSON body is not possible on PostgreSQL), then their rows.
    pairs = db.session.execute(
        select(AllianceRecord.id, LinkedAccount.id)
        .join(AllianceDigest, AllianceDigest.record_id == AllianceRecord.id)
        .join(AccountIdentifier, AccountIdentifier.alliance_digest == AllianceDigest.digest)
        .join(LinkedAccount, LinkedAccount.id == AccountIdentifier.account_id)
        .where(
            AllianceRecord.kind == "finding",
            AllianceRecord.issuer != own_key_id(),  # this platform's own findings were told when issued
            AllianceRecord.revoked_at.is_(None),
            AllianceRecord.expires_at > now,
            AccountIdentifier.withdrawn_at.is_(None),
            ~exists().where(RecordUse.record_id == AllianceRecord.id, RecordUse.account_id == LinkedAccount.id),
        )
        .distinct()
        .order_by(AllianceRecord.id, LinkedAccount.id)
        .limit(limit)
    ).all()
    records = {
        r.id: r for r in db.session.scalars(select(AllianceRecord).where(AllianceRecord.id.in_({p[0] for p in pairs})))
    }
    accounts = {
        a.id: a for a in db.session.scalars(select(LinkedAccount).where(LinkedAccount.id.in_({p[1] for p in pairs})))
    }
    pending = [(records[record_id], accounts[account_id]) for record_id, account_id in pairs]
    if not pending:
        return 0
    names = _issuer_names()
    for record, linked in pending:
        data = {
            "issuer": names.get(record.issuer, record.issuer[:16]),
            "finding": record.body["finding"],
            "case_reference": record.body["case_reference"],
            "expires_at": record.body["expires_at"][:10],
            "ref": linked.ref,
        }
        seller = linked.party
        emails: set[str] = set()
        if seller is not None:
            emails = {a.email for a in seller.accounts} or ({seller.contact_email} if seller.contact_email else set())
        if seller is not None and emails:
            for email in sorted(emails):
                notify(email, seller.preferred_language, "alliance_record_used", data)
            told = "seller"
        else:
            platform = linked.platform
            for client in db.session.scalars(
                select(Account).where(Account.role == Role.PLATFORM_CLIENT, Account.party_id == platform.id)
            ):
                notify(client.email, platform.preferred_language, "alliance_record_used_platform", data)
            told = "platform"
        db.session.add(RecordUse(record_id=record.id, account_id=linked.id, told=told, told_at=now))
    try:
        commit()
    except IntegrityError:  # another run told these first
        db.session.rollback()
        return 0
    return len(pending)


# --- standing and contests -----------------------------------------------------------------------


def _issuer_names() -> dict[str, str]:
    names = dict(db.session.execute(select(AllianceMember.key_id, AllianceMember.name)).all())
    names[own_key_id()] = _("this platform")
    return names


def findings_for(digests: set[str]) -> list[dict]:
    """Findings in force (not revoked, not expired) that name one of these identifiers, with their source."""
    if not digests:
        return []
    now = utcnow()
    records = db.session.scalars(
        select(AllianceRecord)
        .join(AllianceDigest)
        .where(
            AllianceDigest.digest.in_(digests),
            AllianceRecord.kind == "finding",
            AllianceRecord.revoked_at.is_(None),
            AllianceRecord.expires_at > now,
        )
        .order_by(AllianceRecord.stored_at)
        .distinct()
    ).all()
    names = _issuer_names()
    return [
        {
            "record_id": r.id,
            "issuer": names.get(r.issuer, r.issuer[:16]),
            "finding": r.body["finding"],
            "case_reference": r.body["case_reference"],
            "jurisdiction": r.body["jurisdiction"],
            "issued_at": r.body["issued_at"],
            "expires_at": r.body["expires_at"],
            "entry_hash": r.entry_hash,
        }
        for r in records
    ]


def account_standing(platform_account: Account, ref) -> dict:
    """A platform client's view of one of its sellers across the alliance."""
    if platform_account.role != Role.PLATFORM_CLIENT or platform_account.party_id is None:
        raise Forbidden(_("Only platform clients report accounts and identifiers."))
    linked = db.session.scalar(
        select(LinkedAccount).where(
            LinkedAccount.platform_party_id == platform_account.party_id, LinkedAccount.ref == ref
        )
    )
    if linked is None:
        raise NotFound(_("You have not reported an account with this reference."))
    digests = alliance_digests([linked])
    return {"ref": linked.ref, "findings": findings_for(digests)}


def case_standing(account: Account, case_id: int) -> dict:
    """The seller's standing across the alliance, for the case's mediator and administrators."""
    case = get_case(account, case_id)
    if not case_roles(account, case) & {"mediator", "admin"}:
        raise NotFound(_("This case does not exist, or you may not see it."))
    digests = alliance_digests(party_accounts(case.respondent))
    return {"case": case, "findings": findings_for(digests)}


def records_about(account: Account) -> list[AllianceRecord]:
    """Records this platform issued about the account's party (the seller sees them and may contest)."""
    if account.party_id is None:
        return []
    return list(db.session.scalars(records_about_query(account).order_by(AllianceRecord.seq)))


def records_about_query(account: Account) -> Select:
    """The query of ``records_about``, unordered, for a page of it (``odr.pagination.keyset``)."""
    return (
        select(AllianceRecord)
        .join(Case, Case.id == AllianceRecord.case_id)
        .where(Case.respondent_party_id == account.party_id, AllianceRecord.kind == "finding")
    )


def do_contest(account: Account, record_id: int, reason) -> RecordContest:
    record = next((r for r in records_about(account) if r.id == record_id), None)
    if record is None:
        raise NotFound(_("This record does not exist, or it is not about you."))
    if record.revoked_at is not None:
        raise NotAllowed(_("This record is revoked already."))
    if db.session.scalar(
        select(RecordContest.id).where(RecordContest.record_id == record.id, RecordContest.status == "open")
    ):
        raise NotAllowed(_("This record is already contested; the decision will be shown here."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 4000:
        raise ValidationFailed(_("Say why the record is wrong (up to 4000 characters)."), {"reason": _("Required.")})
    contest = RecordContest(record_id=record.id, filed_by_id=account.id, reason=reason)
    db.session.add(contest)
    commit()
    return contest


def do_decide_contest(account: Account, contest_id: int, upheld, reason) -> RecordContest:
    """An administrator decides; an upheld contest appends a revocation that members pull with the feed."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator decides a contested record."))
    contest = db.session.get(RecordContest, contest_id)
    if contest is None:
        raise NotFound(_("This contest does not exist."))
    if contest.status != "open":
        raise NotAllowed(_("This contest is decided already."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not isinstance(upheld, bool) or not reason:
        raise ValidationFailed(
            _("Say whether the contest is upheld, and why."),
            {"upheld" if not isinstance(upheld, bool) else "reason": _("Required.")},
        )
    contest.status, contest.decision_reason, contest.decided_at = ("upheld" if upheld else "rejected"), reason, utcnow()
    if upheld:
        revocation = _revoke(contest.record, "contest_upheld")
        case = db.session.get(Case, contest.record.case_id)
        if case is None:  # a record issued here always rests on a case here
            raise NotFound(_("This record does not exist, or it is not about you."))
        _tell_seller(case, contest.record, "alliance_record_revoked")
        db.session.flush()
        events.record(
            case,
            EventKind.ALLIANCE_RECORD_REVOKED,
            utcnow(),
            actor=account,
            role=CaseRole.ADMIN,
            payload={"revokes": contest.record.entry_hash, "entry_hash": revocation.entry_hash},
        )
    commit()
    return contest
