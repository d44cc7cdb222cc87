"""The audit log page's view model."""

from __future__ import annotations

from dataclasses import dataclass

from odr.audit.models import AuditAction, AuditEntry
from odr.audit.services import AuditFilters


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    account: str
    action_label: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    filters: AuditFilters
    actions: list[tuple[str, str]]  # (value, label) of the action filter
    next_cursor: str | None


def audit_page(items: list, filters: AuditFilters, next_cursor: str | None) -> AuditPage:
    rows = [AuditRow(entry, email, AuditAction(entry.action).label) for entry, email in items]
    return AuditPage(rows, filters, [(a.value, a.label) for a in AuditAction], next_cursor)
