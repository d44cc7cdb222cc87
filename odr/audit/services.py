"""Record audited requests; read and export the log (administrators only).

What is audited: a mediator's, a court's or an administrator's GET of a route of one case that was
answered (2xx/3xx), and every request of an administrator that is not a GET (whatever its outcome).
Parties' reads are not audited: they read their own cases. Mediators' and courts' acts are on the case's
hash-chained timeline already. The row is written after the request's own work: a refused request's
transaction is rolled back first, so only the audit row is committed, never half of a failed act.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from flask import request
from sqlalchemy import Select, select
from sqlalchemy.exc import SQLAlchemyError

from odr.accounts.models import Account, Role
from odr.audit.models import AuditAction, AuditEntry
from odr.errors import Forbidden, ValidationFailed
from odr.extensions import db
from odr.extensions import gettext as _
from odr.pagination import Page, keyset

log = logging.getLogger(__name__)

READERS_AUDITED = {Role.MEDIATOR, Role.COURT, Role.ADMIN}
READ_METHODS = {"GET", "HEAD"}


def record_request(account: Account | None, status: int) -> AuditEntry | None:
    """After a request: the audit row it calls for, committed; None when the request is not audited."""
    if account is None or account.role not in READERS_AUDITED:
        return None
    case_id = (request.view_args or {}).get("case_id")
    if request.method in READ_METHODS:
        if not isinstance(case_id, int) or status >= 400:
            return None
        action = AuditAction.CASE_READ
    elif account.role == Role.ADMIN:
        action = AuditAction.ADMIN_ACTION
    else:
        return None
    if status >= 400:
        db.session.rollback()  # the refused request's own transaction ends here, as teardown would end it
    entry = AuditEntry(
        account_id=account.id,
        role=account.role.value,
        action=action.value,
        case_id=case_id if isinstance(case_id, int) and status < 400 else None,
        method=request.method,
        path=request.path[:500],
        endpoint=(request.endpoint or "")[:120],
        status=status,
        address=(request.remote_addr or "")[:64],
    )
    try:
        db.session.add(entry)
        db.session.commit()
    except SQLAlchemyError:  # the answer stands; the failure is logged for the operator
        db.session.rollback()
        log.exception("could not record the audit row of %s %s", request.method, request.path)
        return None
    return entry


@dataclass(frozen=True)
class AuditFilters:
    account: str = ""  # an e-mail address
    case_id: int | None = None
    action: str = ""
    since: date | None = None
    until: date | None = None

    def args(self) -> dict[str, str]:
        """The filters as query arguments (for links to the next page and the exports)."""
        values = {
            "account": self.account,
            "case": str(self.case_id) if self.case_id else "",
            "action": self.action,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
        }
        return {k: v for k, v in values.items() if v}


def check_reader(account: Account) -> None:
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator reads the audit log."))


def check_filters(args) -> AuditFilters:
    """Filters from query arguments: ``account`` (e-mail), ``case`` (reference or number), ``action``,
    ``since`` and ``until`` (dates, both included)."""
    fields: dict[str, str] = {}
    case_id = None
    case = str(args.get("case") or "").strip()
    if case:
        match = re.fullmatch(r"(?:ODR-\d{4}-)?0*(\d{1,10})", case, flags=re.IGNORECASE)
        if match and int(match.group(1)) <= 2**31 - 1:
            case_id = int(match.group(1))
        else:
            fields["case"] = _("Enter a case reference such as ODR-2026-000123, or its number.")
    action = str(args.get("action") or "").strip()
    if action and action not in {a.value for a in AuditAction}:
        fields["action"] = _("Choose one of the listed actions.")
    dates: dict[str, date | None] = {}
    for name in ("since", "until"):
        raw = str(args.get(name) or "").strip()
        try:
            dates[name] = date.fromisoformat(raw) if raw else None
        except ValueError:
            dates[name] = None
            fields[name] = _("Enter a date as YYYY-MM-DD.")
    if dates["since"] and dates["until"] and dates["since"] > dates["until"]:
        fields["until"] = _("The end of the period must not be before its start.")
    if fields:
        raise ValidationFailed(_("Please correct the filters."), fields)
    return AuditFilters(
        account=str(args.get("account") or "").strip().lower()[:254],
        case_id=case_id,
        action=action,
        since=dates["since"],
        until=dates["until"],
    )


def _query(filters: AuditFilters) -> Select:
    query = select(AuditEntry, Account.email).join(Account, Account.id == AuditEntry.account_id)
    if filters.account:
        query = query.where(Account.email == filters.account)
    if filters.case_id:
        query = query.where(AuditEntry.case_id == filters.case_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since:
        query = query.where(AuditEntry.at >= datetime.combine(filters.since, time.min, timezone.utc))
    if filters.until:
        query = query.where(AuditEntry.at < datetime.combine(filters.until + timedelta(days=1), time.min, timezone.utc))
    return query


def entries(account: Account, filters: AuditFilters, *, limit: int, cursor: str | None) -> Page:
    """One page of the log, newest first: items are (AuditEntry, e-mail of its account)."""
    check_reader(account)
    return keyset(
        _query(filters),
        [AuditEntry.id],
        limit=limit,
        cursor=cursor,
        rows=True,
        key_of=lambda row: [row[0].id],
    )


EXPORT_FIELDS = ("at", "account", "role", "action", "case_id", "method", "path", "endpoint", "status", "address")


def export_rows(account: Account, filters: AuditFilters) -> list[dict]:
    """Every row matching the filters, oldest first, as plain values (the CSV and JSON exports)."""
    check_reader(account)
    rows = db.session.execute(_query(filters).order_by(AuditEntry.id)).all()
    return [entry_dict(entry, email) for entry, email in rows]


def entry_dict(entry: AuditEntry, email: str) -> dict:
    return {
        "at": entry.at.isoformat(),
        "account": email,
        "role": entry.role,
        "action": entry.action,
        "case_id": entry.case_id,
        "method": entry.method,
        "path": entry.path,
        "endpoint": entry.endpoint,
        "status": entry.status,
        "address": entry.address,
    }
