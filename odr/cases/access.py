"""Who may see a case, and in which role they act in it.

A party sees only its own cases, a mediator only assigned ones, a court only those
exported to it; an administrator sees all. Anything else answers "not found", so
case IDs reveal nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.orm.interfaces import ORMOption

from odr.accounts.models import PARTY_ROLES, Account, Role
from odr.cases.models import Case, Filing
from odr.errors import NotFound
from odr.extensions import db
from odr.extensions import gettext as _
from odr.vocabulary import CaseRole


def case_roles(account: Account, case: Case) -> set[str]:
    roles: set[str] = set()
    if account.role == Role.ADMIN:
        roles.add(CaseRole.ADMIN)
    if account.role in PARTY_ROLES and account.party_id is not None:
        if account.party_id == case.claimant_party_id:
            roles.add(CaseRole.CLAIMANT)
        if account.party_id == case.respondent_party_id:
            roles.add(CaseRole.RESPONDENT)
    if account.role == Role.MEDIATOR and case.mediator_id == account.id:
        roles.add(CaseRole.MEDIATOR)
    # A court sees a case once it was exported to it (the export sets the case's court with its bundle).
    if account.role == Role.COURT and account.party_id is not None and case.court_party_id == account.party_id:
        roles.add(CaseRole.COURT)
    return roles


def visible_cases(account: Account) -> Select:
    query = select(Case)
    if account.role == Role.ADMIN:
        return query
    if account.role in PARTY_ROLES and account.party_id is not None:
        return query.where(
            or_(Case.claimant_party_id == account.party_id, Case.respondent_party_id == account.party_id)
        )
    if account.role == Role.MEDIATOR:
        return query.where(Case.mediator_id == account.id)
    if account.role == Role.COURT and account.party_id is not None:
        return query.where(Case.court_party_id == account.party_id)
    return query.where(False)


def _caucus_reader(account_or_role: Account | str, case: Case) -> tuple[bool, int | None]:
    """Which private caucus messages a reader may read: all of them (the case's mediator), else those of its own
    party (None: none)."""
    if isinstance(account_or_role, str):
        roles, party_id = {account_or_role}, None
    else:
        roles, party_id = case_roles(account_or_role, case), account_or_role.party_id
    if CaseRole.MEDIATOR in roles:
        return True, None
    return False, party_id if roles & {CaseRole.CLAIMANT, CaseRole.RESPONDENT} else None


def visible_filings(account_or_role: Account | str, case: Case) -> list[Filing]:
    """The filings of a case that an account (or anyone acting in a case role) may read.

    The one place that decides it, for every route: pages, the API, events, exports.
    A caucus message is read only by the case's mediator and the one party it was
    exchanged with; not by the other party, the court or an administrator.
    """
    every, own_caucus = _caucus_reader(account_or_role, case)
    if every:
        return list(case.filings)
    return [
        f
        for f in case.filings
        if f.caucus_party_id is None or (own_caucus is not None and f.caucus_party_id == own_caucus)
    ]


def visible_filings_query(account: Account, case: Case) -> Select:
    """``visible_filings`` as a query, for a page that shows some of them (the same rule, read by the database)."""
    every, own_caucus = _caucus_reader(account, case)
    query = select(Filing).where(Filing.case_id == case.id)
    if every:
        return query
    readable = Filing.caucus_party_id.is_(None)
    return query.where(readable if own_caucus is None else or_(readable, Filing.caucus_party_id == own_caucus))


def get_case(account: Account, case_id: int, *, for_update: bool = False, options: Sequence[ORMOption] = ()) -> Case:
    """The case if the account may see it; NotFound otherwise (same answer as a missing case).

    ``options``: what to load with the case (a page that shows its parties reads them in the same statement)."""
    query = visible_cases(account).where(Case.id == case_id).options(*options)
    if for_update:
        # Serialises writers on one case (PostgreSQL row lock; SQLite serialises all writers).
        query = query.with_for_update()
    case = db.session.scalar(query)
    if case is None:
        raise NotFound(_("This case does not exist, or you may not see it."))
    return case
