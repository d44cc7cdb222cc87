"""Who may see a case, and in which role they act in it.

A party sees only its own cases, a mediator only assigned ones, a court only those
exported to it; an administrator sees all. Anything else answers "not found", so
case IDs reveal nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import configure_mappers, joinedload
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


class _Reader(NamedTuple):
    """What ``visible_cases`` reads of an account, here with its ids as bind parameters (``get_case``)."""

    role: Role
    party_id: Any
    id: Any


def visible_cases(account: Account | _Reader) -> Select:
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


@lru_cache(maxsize=16)
def _visible_filings(columns: tuple, every: bool, own_caucus: bool) -> Select:
    """``visible_filings_query``'s three forms, built once (with bind parameters) for a page that reads them at every
    view: ``columns`` of the filings a reader may read, all of them (``every``), or those without a caucus and, with
    ``own_caucus``, those of the reader's own caucus."""
    query = select(*columns).where(Filing.case_id == bindparam("case_id"))
    if every:
        return query
    if not own_caucus:
        return query.where(Filing.caucus_party_id.is_(None))
    return query.where(or_(Filing.caucus_party_id.is_(None), Filing.caucus_party_id == bindparam("caucus_party_id")))


def visible_filings_statement(account: Account, case: Case, columns: tuple) -> tuple[Select, dict[str, int]]:
    """``visible_filings_query`` as a statement of ``columns`` built once, and the values of its parameters (the
    same rule)."""
    every, own_caucus = _caucus_reader(account, case)
    params = {"case_id": case.id} if own_caucus is None else {"case_id": case.id, "caucus_party_id": own_caucus}
    return _visible_filings(tuple(columns), every, own_caucus is not None), params


@lru_cache(maxsize=64)
def _visible_case(role: Role, has_party: bool, for_update: bool, options: tuple) -> Select:
    """``get_case``'s statement for the readers of one role, built once (building a statement costs about what
    sending it does): ``visible_cases``' rule with the reader's ids and the case's as bind parameters."""
    reader = _Reader(role, bindparam("party_id") if has_party else None, bindparam("account_id"))
    query = visible_cases(reader).where(Case.id == bindparam("case_id")).options(*options)
    # Serialises writers on one case (PostgreSQL row lock; SQLite serialises all writers).
    return query.with_for_update() if for_update else query


@cache
def with_its_parties() -> tuple:
    """What the case page and the case document show of a case, read with it (``get_case``'s ``options``): the
    parties, the mediator and the procedure choice (where its days are counted), not one lazy load each as they are
    touched. Built at first use: ``Case.procedure_choice`` is a backref, there once the mappers are configured."""
    configure_mappers()
    return (
        joinedload(Case.claimant),
        joinedload(Case.respondent),
        joinedload(Case.mediator),
        joinedload(Case.procedure_choice),
    )


def get_case(account: Account, case_id: int, *, for_update: bool = False, options: Sequence[ORMOption] = ()) -> Case:
    """The case if the account may see it; NotFound otherwise (same answer as a missing case).

    ``options``: what to load with the case (a page that shows its parties reads them in the same statement)."""
    query = _visible_case(account.role, account.party_id is not None, for_update, tuple(options))
    case = db.session.scalar(query, {"case_id": case_id, "party_id": account.party_id, "account_id": account.id})
    if case is None:
        raise NotFound(_("This case does not exist, or you may not see it."))
    return case
