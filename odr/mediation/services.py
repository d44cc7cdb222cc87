"""Appointing the neutral: an administrator assigns a mediator to a case."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from odr.accounts.models import Account, Role
from odr.cases import events
from odr.cases.access import get_case
from odr.cases.models import Case
from odr.errors import Forbidden, NotAllowed, ValidationFailed
from odr.extensions import db
from odr.models_base import utcnow
from odr.procedure.services import final_states, procedure_of


def mediators() -> list[Account]:
    return list(db.session.scalars(select(Account).where(Account.role == Role.MEDIATOR,
                                                         Account.active.is_(True)).order_by(Account.display_name)))


def open_case_load() -> dict[int, int]:
    """Assigned cases per mediator that are not yet closed."""
    rows = db.session.execute(select(Case.mediator_id, func.count()).where(
        Case.mediator_id.is_not(None), Case.state.not_in(final_states())).group_by(Case.mediator_id)).all()
    return {mediator_id: count for mediator_id, count in rows}


def assign_mediator(admin: Account, case_id: int, mediator_id, at: datetime | None = None) -> Case:
    case = get_case(admin, case_id, for_update=True)
    if admin.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator can assign mediators."))
    if procedure_of(case).state(case.state).final:
        raise NotAllowed(_("This case is closed; no mediator can be assigned."), code="case_closed")
    try:
        mediator = db.session.get(Account, int(mediator_id))
    except (TypeError, ValueError):
        mediator = None
    if mediator is None or mediator.role != Role.MEDIATOR or not mediator.active:
        raise ValidationFailed(_("Choose an active mediator."), {"mediator_id": _("Choose an active mediator.")})
    if case.mediator_id == mediator.id:
        raise NotAllowed(_("This mediator is already assigned to the case."), code="already_assigned")
    previous = case.mediator_id
    case.mediator_id = mediator.id
    events.record(case, "mediator_assigned", at or utcnow(), actor=admin, role="admin",
                  payload={"mediator_id": mediator.id, "previous_mediator_id": previous})
    db.session.commit()
    return case
