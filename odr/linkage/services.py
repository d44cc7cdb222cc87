"""Linked accounts: keyed identifiers in, connected components and their explanations out.

Identifiers arrive in the clear over TLS, are normalised, turned into HMAC-SHA256 digests with this
platform's linkage key, and the clear value is dropped. Two accounts are linked when they share a
digest; a connected component of the account-identifier graph is one business as far as the
platforms can tell, and the identifiers on the shortest path between two accounts explain why.

The component of every account is kept incrementally (a union-find persisted as
``LinkedAccount.component_id``); networkx analyses one component at a time (paths, splits after a
withdrawn link); ``rebuild_components`` recomputes all of them at once with scipy's sparse graph
routines. ``benchmarks/linkage_scale.py`` measures the three.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import networkx as nx
from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import selectinload

from odr.accounts.models import Account, Party, Role
from odr.cases import events
from odr.cases.access import case_roles, get_case
from odr.cases.models import Case
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.integrity.vault import shared_secret
from odr.linkage.models import AccountIdentifier, AccountRole, ContestStatus, IdentifierKind, LinkContest, LinkedAccount
from odr.models_base import utcnow
from odr.vocabulary import CaseRole, EventKind

MAX_BATCH_ITEMS = 1000
MAX_IDENTIFIERS_PER_ACCOUNT = 50
MAX_VALUE_LENGTH = 500
# Campaign signals: notices against one seller within this window, from linked notifiers (two or
# more parties in one component) or in a burst (this many notices from one component).
CAMPAIGN_WINDOW = timedelta(days=30)
BURST_NOTICES = 5
# ... and linked notifiers who, in the same window, filed against this many sellers or more (the
# seller's competitors among them: the platform holds no product categories to tell them apart).
SELLERS_TARGETED = 3


# --- keyed identifiers -------------------------------------------------------------------------


def key_path() -> Path:
    configured = current_app.config["ODR"].get("LINKAGE_KEY_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys" / "linkage-hmac.key"


def linkage_key() -> bytes:
    """This platform's 32-byte HMAC key, created once per deployment (odr/integrity/vault.py: in the instance
    folder, or sealed in the database so that every node shares it); only digests made with it are stored."""
    key = shared_secret("linkage-hmac", key_path(), lambda: os.urandom(32))
    if len(key) < 32:
        raise RuntimeError("the linkage key holds fewer than 32 bytes; it is not a linkage key")
    return key


def alliance_key() -> bytes | None:
    """The key the alliance's members share (out of band) for matching identifiers; None outside an alliance."""
    configured = current_app.config["ODR"].get("ALLIANCE_KEY_PATH")
    if not configured:
        return None
    key = Path(configured).read_bytes()
    if len(key) < 32:
        raise RuntimeError(f"{configured} holds fewer than 32 bytes; it is not an alliance key")
    return key


def _collapse(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def _alphanumeric(value: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", unicodedata.normalize("NFKC", value).upper())


def normalise(kind: IdentifierKind, value: str) -> str:
    """The form in which two spellings of one identifier are equal; ValueError with a reason otherwise."""
    if kind == IdentifierKind.EMAIL:
        norm = unicodedata.normalize("NFKC", value).strip().lower()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", norm):
            raise ValueError(_("Not an e-mail address."))
        return norm
    if kind == IdentifierKind.PHONE:
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
        if not value.strip().startswith("+") or not 7 <= len(digits) <= 15:
            raise ValueError(_("Give the phone number in international form, e.g. +86 755 1234 5678."))
        return "+" + digits
    if kind in (IdentifierKind.BUSINESS_LICENCE, IdentifierKind.BANK_ACCOUNT, IdentifierKind.PAYMENT_ACCOUNT):
        norm = _alphanumeric(value)
        if len(norm) < 5:
            raise ValueError(_("Too short to identify an account (at least 5 letters or digits)."))
        return norm
    if kind == IdentifierKind.IMAGE_FINGERPRINT:
        norm = value.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{16,128}", norm):
            raise ValueError(_("An image fingerprint is 16 to 128 hexadecimal digits."))
        return norm
    norm = _collapse(value)  # address, shop name
    if len(norm) < 3:
        raise ValueError(_("Too short to identify an account (at least 3 characters)."))
    return norm


def keyed_digest(key: bytes, kind: IdentifierKind, normalised: str) -> str:
    # The kind is part of the message, so a phone number never matches a bank account with equal digits.
    return hmac.new(key, f"{kind.value}:{normalised}".encode(), hashlib.sha256).hexdigest()


# --- reporting accounts and identifiers (the API's bulk endpoint) --------------------------------


@dataclass
class ItemResult:
    index: int
    ref: str | None
    errors: dict[str, str] = field(default_factory=dict)
    role: str = ""
    # (kind, digest with this platform's key, digest with the alliance key or None)
    identifiers: list[tuple[IdentifierKind, str, str | None]] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)  # normalised, only to find this platform's party
    account_id: int | None = None
    added: int = 0
    known: int = 0

    @property
    def accepted(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        body: dict[str, object] = {
            "index": self.index,
            "ref": self.ref,
            "status": "accepted" if self.accepted else "refused",
        }
        if self.accepted:
            body |= {"account_id": self.account_id, "identifiers_added": self.added, "identifiers_known": self.known}
        else:
            body["errors"] = self.errors
        return body


def check_batch(items, key: bytes, shared_key: bytes | None = None) -> list[ItemResult]:
    """Each item checked on its own: an item is accepted whole or refused whole, with its reasons."""
    if not isinstance(items, list) or not items:
        raise ValidationFailed(_("Send a non-empty list of accounts."), {"accounts": _("Required.")})
    if len(items) > MAX_BATCH_ITEMS:
        raise ValidationFailed(
            _("At most %(n)d accounts per request.", n=MAX_BATCH_ITEMS), {"accounts": _("Too many.")}
        )
    seen_refs: dict[str, int] = {}
    results = []
    for index, item in enumerate(items):
        result = _check_item(index, item, key, shared_key)
        if result.ref is not None and result.ref in seen_refs:
            result.errors.setdefault("ref", _("Duplicate of item %(n)d in this request.", n=seen_refs[result.ref]))
        elif result.ref is not None:
            seen_refs[result.ref] = index
        results.append(result)
    return results


def _check_item(index: int, item, key: bytes, shared_key: bytes | None) -> ItemResult:
    if not isinstance(item, dict):
        return ItemResult(index, None, {"item": _("Each item must be an object.")})
    ref = item.get("ref")
    result = ItemResult(index, ref.strip() if isinstance(ref, str) and ref.strip() else None)
    if result.ref is None or len(result.ref) > 200:
        result.errors["ref"] = _("Give the platform's reference of the account (1 to 200 characters).")
    role = item.get("role", AccountRole.SELLER.value)
    if role not in {r.value for r in AccountRole}:
        result.errors["role"] = _("Choose seller or notifier.")
    result.role = role
    entries = item.get("identifiers")
    if not isinstance(entries, list) or not entries:
        result.errors["identifiers"] = _("Give at least one identifier.")
        return result
    if len(entries) > MAX_IDENTIFIERS_PER_ACCOUNT:
        result.errors["identifiers"] = _("At most %(n)d identifiers per account.", n=MAX_IDENTIFIERS_PER_ACCOUNT)
        return result
    seen: dict[str, int] = {}
    for position, entry in enumerate(entries):
        name = f"identifiers[{position}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), str):
            result.errors[name] = _("Each identifier is an object with a kind and a value.")
            continue
        try:
            kind = IdentifierKind(entry.get("kind"))
        except ValueError:
            result.errors[name] = _("Unknown kind of identifier.")
            continue
        if len(entry["value"]) > MAX_VALUE_LENGTH:
            result.errors[name] = _("The value is too long.")
            continue
        try:
            norm = normalise(kind, entry["value"])
        except ValueError as exc:
            result.errors[name] = str(exc)
            continue
        digest = keyed_digest(key, kind, norm)
        if digest in seen:
            result.errors[name] = _("Duplicate of identifier %(n)d of this account.", n=seen[digest])
            continue
        seen[digest] = position
        result.identifiers.append((kind, digest, keyed_digest(shared_key, kind, norm) if shared_key else None))
        if kind == IdentifierKind.EMAIL:
            result.emails.append(norm)
    return result


def _platform_party(account: Account) -> int:
    if account.role != Role.PLATFORM_CLIENT or account.party_id is None:
        raise Forbidden(_("Only platform clients report accounts and identifiers."))
    return account.party_id


def do_report_accounts(account: Account, items) -> list[ItemResult]:
    """Store the accepted items' accounts and identifiers (one transaction) and link their components."""
    platform_party_id = _platform_party(account)
    results = check_batch(items, linkage_key(), alliance_key())
    for result in results:
        if result.accepted:
            _apply_item(platform_party_id, result)
    commit()
    return results


def _apply_item(platform_party_id: int, result: ItemResult) -> None:
    linked = db.session.scalar(
        select(LinkedAccount).where(
            LinkedAccount.platform_party_id == platform_party_id, LinkedAccount.ref == result.ref
        )
    )
    if linked is None:
        linked = LinkedAccount(platform_party_id=platform_party_id, ref=result.ref, role=result.role, component_id=0)
        db.session.add(linked)
        db.session.flush()
        linked.component_id = linked.id  # a new account is its own component until a link arrives
    if linked.party_id is None and result.emails:
        linked.party_id = _party_named_by(result.emails)
    known = set(db.session.scalars(select(AccountIdentifier.digest).where(AccountIdentifier.account_id == linked.id)))
    fresh = [entry for entry in result.identifiers if entry[1] not in known]
    result.account_id, result.known, result.added = linked.id, len(result.identifiers) - len(fresh), len(fresh)
    if fresh:
        do_link(linked, fresh)


def _party_named_by(emails: list[str]) -> int | None:
    """The dispute party whose account or invitation uses one of these e-mail addresses (read, not stored)."""
    party_id = db.session.scalar(
        select(Account.party_id).where(func.lower(Account.email).in_(emails), Account.party_id.is_not(None)).limit(1)
    )
    if party_id is None:
        party_id = db.session.scalar(select(Party.id).where(func.lower(Party.contact_email).in_(emails)).limit(1))
    return party_id


def do_link(linked: LinkedAccount, identifiers: list[tuple[IdentifierKind, str, str | None]]) -> int:
    """Add identifiers to an account and merge the components they connect; returns the component.

    Union by size: the accounts of the smaller components take the largest one's id, so an
    account changes component O(log n) times over its life.
    """
    digests = [digest for _kind, digest, _shared in identifiers]
    holders = set(
        db.session.scalars(
            select(LinkedAccount.component_id)
            .join(AccountIdentifier, AccountIdentifier.account_id == LinkedAccount.id)
            .where(AccountIdentifier.digest.in_(digests), AccountIdentifier.withdrawn_at.is_(None))
        )
    )
    # A plain INSERT, not the unit of work: this is the hot path of every report (benchmarks/linkage_scale.py).
    now = utcnow()
    db.session.execute(
        AccountIdentifier.__table__.insert(),
        [
            {
                "account_id": linked.id,
                "kind": kind.value,
                "digest": digest,
                "alliance_digest": shared,
                "created_at": now,
            }
            for kind, digest, shared in identifiers
        ],
    )
    components = holders | {linked.component_id}
    if len(components) > 1:
        sizes = db.session.execute(
            select(LinkedAccount.component_id, func.count())
            .where(LinkedAccount.component_id.in_(components))
            .group_by(LinkedAccount.component_id)
        ).all()
        target = max(sizes, key=lambda row: (row[1], -row[0]))[0]
        db.session.execute(
            update(LinkedAccount)
            .where(LinkedAccount.component_id.in_(components - {target}))
            .values(component_id=target)
        )
    return linked.component_id


# --- the graph of one component, and its explanations ---------------------------------------------


def component_graph(component_ids) -> nx.Graph:
    """Accounts ("a", id) and identifiers ("i", digest) of the given components, linked where held."""
    graph = nx.Graph()
    accounts = db.session.scalars(select(LinkedAccount).where(LinkedAccount.component_id.in_(component_ids))).all()
    graph.add_nodes_from((("a", a.id), {"account": a}) for a in accounts)
    rows = db.session.execute(
        select(AccountIdentifier.account_id, AccountIdentifier.digest, AccountIdentifier.kind, AccountIdentifier.id)
        .join(LinkedAccount, LinkedAccount.id == AccountIdentifier.account_id)
        .where(LinkedAccount.component_id.in_(component_ids), AccountIdentifier.withdrawn_at.is_(None))
    ).all()
    for account_id, digest, kind, identifier_id in rows:
        graph.add_node(("i", digest), kind=kind)
        graph.add_edge(("a", account_id), ("i", digest), identifier_id=identifier_id)
    return graph


def explaining_paths(graph: nx.Graph, sources: set[int]) -> dict[int, list]:
    """For every account reachable from the source accounts, the shortest path that links it to one of them."""
    anchor = ("anchor", 0)
    graph.add_edges_from((anchor, ("a", s)) for s in sources if ("a", s) in graph)
    try:
        paths = nx.single_source_shortest_path(graph, anchor)
    finally:
        graph.remove_node(anchor)
    return {node[1]: path[1:] for node, path in paths.items() if node[0] == "a" and node[1] not in sources}


def account_links(platform_account: Account, ref) -> dict:
    """A platform client's view of one of its accounts: the accounts linked to it with the shortest
    explaining path. Accounts reported by other platforms show their platform and role, not their reference."""
    platform_party_id = _platform_party(platform_account)
    linked = db.session.scalar(
        select(LinkedAccount).where(LinkedAccount.platform_party_id == platform_party_id, LinkedAccount.ref == ref)
    )
    if linked is None:
        raise NotFound(_("You have not reported an account with this reference."))
    graph = component_graph([linked.component_id])
    paths = explaining_paths(graph, {linked.id})
    entries = []
    for _account_id, path in sorted(paths.items(), key=lambda kv: (len(kv[1]), kv[0])):
        steps = path_steps(graph, path)
        for step in steps:
            account = graph.nodes[("a", step["account_id"])]["account"] if "ref" in step else None
            if account is not None and account.platform_party_id != platform_party_id:
                step["ref"] = None
        entries.append({"account": steps[-1], "path": steps})
    return {
        "account": {
            "id": linked.id,
            "ref": linked.ref,
            "role": linked.role,
            "identifiers": [{"kind": i.kind, "withdrawn": i.withdrawn_at is not None} for i in linked.identifiers],
        },
        "component_size": sum(1 for node in graph if node[0] == "a"),
        "linked": entries,
    }


def path_steps(graph: nx.Graph, path: list) -> list[dict]:
    """A path as the page and the API show it: accounts by platform and reference, identifiers by kind only."""
    steps = []
    for node in path:
        if node[0] == "a":
            account = graph.nodes[node]["account"]
            steps.append(
                {"account_id": account.id, "platform": account.platform.name, "ref": account.ref, "role": account.role}
            )
        else:
            steps.append(
                {
                    "identifier_kind": graph.nodes[node]["kind"],
                    "kind_title": IdentifierKind(graph.nodes[node]["kind"]).label,
                }
            )
    return steps


def party_accounts(party: Party) -> list[LinkedAccount]:
    """The reported accounts of a dispute party: named by its e-mail address when reported, or holding an
    e-mail digest of one of its accounts or its invitation address."""
    emails = {a.email.strip().lower() for a in party.accounts}
    if party.contact_email:
        emails.add(party.contact_email.strip().lower())
    key = linkage_key()
    digests = [keyed_digest(key, IdentifierKind.EMAIL, e) for e in emails]
    by_digest = select(AccountIdentifier.account_id).where(
        AccountIdentifier.digest.in_(digests), AccountIdentifier.withdrawn_at.is_(None)
    )
    return list(
        db.session.scalars(
            select(LinkedAccount)
            .where((LinkedAccount.party_id == party.id) | LinkedAccount.id.in_(by_digest))
            .options(selectinload(LinkedAccount.identifiers))
            .order_by(LinkedAccount.id)
        )
    )


@dataclass
class SideLinks:
    """What the graph says about one side of a case."""

    side: str  # "respondent" or "claimant"
    party: Party
    own: list[LinkedAccount]
    linked: list[dict]  # {"account", "steps", "records"}
    linking_identifiers: list[dict]  # the side's own identifiers that link it to others


def side_links(case: Case, side: str) -> SideLinks:
    party = case.respondent if side == "respondent" else case.claimant
    own = party_accounts(party)
    if not own:
        return SideLinks(side, party, [], [], [])
    graph = component_graph({a.component_id for a in own})
    paths = explaining_paths(graph, {a.id for a in own})
    linked_accounts = {account_id: graph.nodes[("a", account_id)]["account"] for account_id in paths}
    records = _records_of(
        {a.party_id for a in linked_accounts.values() if a.party_id and a.party_id != party.id}, exclude_case=case.id
    )
    linked = [
        {
            "account": account,
            "steps": path_steps(graph, paths[account_id]),
            "records": records.get(account.party_id, []),
        }
        for account_id, account in sorted(linked_accounts.items(), key=lambda kv: (len(paths[kv[0]]), kv[0]))
    ]
    linking: list[dict[str, Any]] = []
    for account in own:
        for identifier in account.identifiers:
            if identifier.withdrawn_at is not None:
                continue
            others = [n for n in graph.neighbors(("i", identifier.digest)) if n != ("a", account.id)]
            if others:
                linking.append({"identifier": identifier, "account": account, "shared_with": len(others)})
    contests: dict[int, list[LinkContest]] = defaultdict(list)
    for contest in db.session.scalars(
        select(LinkContest)
        .where(LinkContest.identifier_id.in_([entry["identifier"].id for entry in linking]))
        .order_by(LinkContest.id)
    ):
        contests[contest.identifier_id].append(contest)
    for entry in linking:
        entry["contests"] = contests[entry["identifier"].id]
    return SideLinks(side, party, own, linked, linking)


def _contests_of(identifier_id: int) -> list[LinkContest]:
    return list(
        db.session.scalars(
            select(LinkContest).where(LinkContest.identifier_id == identifier_id).order_by(LinkContest.id)
        )
    )


def _records_of(party_ids: set[int], exclude_case: int) -> dict[int, list[Case]]:
    """Dispute records of linked accounts' parties (reference, jurisdiction, state, date; no content)."""
    if not party_ids:
        return {}
    cases = db.session.scalars(
        select(Case)
        .where(
            (Case.respondent_party_id.in_(party_ids)) | (Case.claimant_party_id.in_(party_ids)), Case.id != exclude_case
        )
        .order_by(Case.created_at.desc())
    ).all()
    records: dict[int, list[Case]] = defaultdict(list)
    for record in cases:
        for party_id in {record.respondent_party_id, record.claimant_party_id} & party_ids:
            records[party_id].append(record)
    return records


def coordinated_campaigns(case: Case) -> list[dict]:
    """Notices against this case's seller, within the window around this notice, grouped by the
    notifiers' component: flagged when two or more linked parties filed them, or one group filed a burst."""
    around = case.created_at
    notices = db.session.scalars(
        select(Case)
        .where(
            Case.respondent_party_id == case.respondent_party_id,
            Case.created_at >= around - CAMPAIGN_WINDOW,
            Case.created_at <= around + CAMPAIGN_WINDOW,
        )
        .order_by(Case.created_at)
    ).all()
    groups: dict[int, list[Case]] = defaultdict(list)
    components_of_party: dict[int, set[int]] = {}
    for notice in notices:
        if notice.claimant_party_id not in components_of_party:
            components_of_party[notice.claimant_party_id] = {a.component_id for a in party_accounts(notice.claimant)}
    # Parties whose accounts share a component are one group; unlinked parties are groups of their own.
    merged = nx.Graph()
    for party_id, components in components_of_party.items():
        merged.add_node(("p", party_id))
        merged.add_edges_from((("p", party_id), ("c", c)) for c in components)
    group_of = {}
    for number, nodes in enumerate(nx.connected_components(merged)):
        for node in nodes:
            if node[0] == "p":
                group_of[node[1]] = number
    for notice in notices:
        groups[group_of[notice.claimant_party_id]].append(notice)
    campaigns = []
    for members in groups.values():
        parties = {n.claimant_party_id for n in members}
        reasons = []
        if len(parties) >= 2:
            reasons.append("linked_notifiers")
        if len(members) >= BURST_NOTICES:
            reasons.append("burst")
        if reasons and case.id in {n.id for n in members}:
            campaigns.append(
                {"reasons": reasons, "notices": members, "parties": [db.session.get(Party, p) for p in sorted(parties)]}
            )
    sweep = _sweep_by_linked_notifiers(case)
    if sweep:
        campaigns.append(sweep)
    return campaigns


def _sweep_by_linked_notifiers(case: Case) -> dict | None:
    """The case's notifier and the parties linked to it, when together they filed against several sellers
    within the window."""
    components = {a.component_id for a in party_accounts(case.claimant)}
    if not components:
        return None
    parties = set(
        db.session.scalars(
            select(LinkedAccount.party_id).where(
                LinkedAccount.component_id.in_(components), LinkedAccount.party_id.is_not(None)
            )
        )
    ) | {case.claimant_party_id}
    if len(parties) < 2:
        return None
    notices = db.session.scalars(
        select(Case)
        .where(
            Case.claimant_party_id.in_(parties),
            Case.created_at >= case.created_at - CAMPAIGN_WINDOW,
            Case.created_at <= case.created_at + CAMPAIGN_WINDOW,
        )
        .order_by(Case.created_at)
    ).all()
    filers = {n.claimant_party_id for n in notices}
    if len({n.respondent_party_id for n in notices}) < SELLERS_TARGETED or len(filers) < 2:
        return None
    return {
        "reasons": ["linked_notifiers_many_sellers"],
        "notices": notices,
        "parties": [db.session.get(Party, p) for p in sorted(filers)],
    }


def case_linkage(account: Account, case_id: int) -> dict:
    """What the viewer may see of the links on a case: everything for the case's mediator and
    administrators; a party sees which of its own identifiers link it, so it can contest them."""
    case = get_case(account, case_id)
    roles = case_roles(account, case)
    if roles & {"mediator", "admin"}:
        return {
            "case": case,
            "full": True,
            "sides": [side_links(case, "respondent"), side_links(case, "claimant")],
            "campaigns": coordinated_campaigns(case),
        }
    sides = [side for side in ("claimant", "respondent") if side in roles]
    if not sides:
        raise NotFound(_("This case does not exist, or you may not see it."))
    return {"case": case, "full": False, "sides": [side_links(case, side) for side in sides], "campaigns": []}


# --- contesting a wrong link ---------------------------------------------------------------------


def do_contest(account: Account, case_id: int, identifier_id: object, reason) -> LinkContest:
    """A party contests one of its own identifiers that links it to other accounts on this case."""
    case = get_case(account, case_id)
    roles = case_roles(account, case) & {"claimant", "respondent"}
    if not roles:
        raise Forbidden(_("Only a party to the case contests a link used on it."))
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason or len(reason) > 4000:
        raise ValidationFailed(_("Say why the link is wrong (up to 4000 characters)."), {"reason": _("Required.")})
    own = {
        identifier.id: identifier
        for side in roles
        for entry in side_links(case, side).linking_identifiers
        for identifier in [entry["identifier"]]
    }
    identifier = own.get(identifier_id) if isinstance(identifier_id, int) else None
    if identifier is None:
        raise NotFound(_("This link is not one used about you on this case."))
    if any(c.status == ContestStatus.OPEN.value for c in _contests_of(identifier.id)):
        raise NotAllowed(_("This link is already contested; the decision will be shown here."))
    contest = LinkContest(
        identifier_id=identifier.id, case_id=case.id, party_id=account.party_id, filed_by_id=account.id, reason=reason
    )
    db.session.add(contest)
    db.session.flush()
    events.record(
        case,
        EventKind.LINK_CONTESTED,
        utcnow(),
        actor=account,
        role=CaseRole(sorted(roles)[0]),
        payload={"contest_id": contest.id, "identifier_kind": identifier.kind},
    )
    commit()
    return contest


def open_contests(account: Account) -> list[LinkContest]:
    return list(db.session.scalars(open_contests_query(account).order_by(LinkContest.created_at, LinkContest.id)))


def open_contests_query(account: Account) -> Select:
    """The open contests, unordered, for a page of them (``odr.pagination.keyset``)."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator decides a contested link."))
    return select(LinkContest).where(LinkContest.status == ContestStatus.OPEN.value)


def do_decide_contest(account: Account, contest_id: int, upheld, reason) -> LinkContest:
    """An administrator decides a contest; an upheld one withdraws the identifier and splits its component."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator decides a contested link."))
    contest = db.session.get(LinkContest, contest_id)
    if contest is None:
        raise NotFound(_("This contest does not exist."))
    if contest.status != ContestStatus.OPEN.value:
        raise NotAllowed(_("This contest is decided already."))
    if not isinstance(upheld, bool):
        raise ValidationFailed(_("Say whether the contest is upheld."), {"upheld": _("Required.")})
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ValidationFailed(_("Give the reasons for the decision."), {"reason": _("Required.")})
    now = utcnow()
    contest.status = (ContestStatus.UPHELD if upheld else ContestStatus.REJECTED).value
    contest.decided_by_id, contest.decided_at, contest.decision_reason = account.id, now, reason
    if upheld:
        contest.identifier.withdrawn_at = now
        db.session.flush()
        recompute_component(contest.identifier.account.component_id)
    events.record(
        contest.case,
        EventKind.LINK_CONTEST_DECIDED,
        now,
        actor=account,
        role=CaseRole.ADMIN,
        payload={"contest_id": contest.id, "outcome": contest.status},
    )
    commit()
    return contest


def recompute_component(component_id: int) -> int:
    """Split one component after a link is withdrawn: each part takes its smallest account id."""
    graph = component_graph([component_id])
    parts = 0
    for nodes in nx.connected_components(graph):
        members = sorted(node[1] for node in nodes if node[0] == "a")
        if members:
            parts += 1
            db.session.execute(
                update(LinkedAccount).where(LinkedAccount.id.in_(members)).values(component_id=members[0])
            )
    return parts


# --- full rebuild ------------------------------------------------------------------------------


def components_from_edges(account_ids, digest_codes, n_accounts: int, n_identifiers: int):
    """Component label of each account (the smallest account index in it), from bipartite edges given as
    account indexes and identifier indexes; scipy's connected_components on a sparse matrix."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    size = n_accounts + n_identifiers
    rows = np.asarray(account_ids, dtype=np.int64)
    cols = np.asarray(digest_codes, dtype=np.int64) + n_accounts
    matrix = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size)).tocsr()
    _count, labels = connected_components(matrix, directed=False)
    smallest = np.full(labels.max() + 1 if size else 0, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(smallest, labels[:n_accounts], np.arange(n_accounts, dtype=np.int64))
    return smallest[labels[:n_accounts]]


def rebuild_components() -> int:
    """Recompute every account's component from the stored links; returns how many accounts moved."""
    import numpy as np

    ids = np.fromiter(db.session.scalars(select(LinkedAccount.id).order_by(LinkedAccount.id)), dtype=np.int64)
    index = {int(account_id): i for i, account_id in enumerate(ids)}
    rows, digests = [], []
    for account_id, digest in db.session.execute(
        select(AccountIdentifier.account_id, AccountIdentifier.digest).where(AccountIdentifier.withdrawn_at.is_(None))
    ):
        rows.append(index[account_id])
        digests.append(digest)
    if digests:
        uniques, codes = np.unique(np.asarray(digests, dtype="U64"), return_inverse=True)
        n_identifiers = len(uniques)
    else:
        codes, n_identifiers = np.zeros(0, dtype=np.int64), 0
    labels = components_from_edges(rows, codes, len(ids), n_identifiers)
    current = dict(db.session.execute(select(LinkedAccount.id, LinkedAccount.component_id)).all())
    moved = [
        {"id": int(ids[i]), "component_id": int(ids[label])}
        for i, label in enumerate(labels)
        if current[int(ids[i])] != int(ids[label])
    ]
    if moved:
        db.session.execute(update(LinkedAccount), moved)
    commit()
    return len(moved)
