"""Appointing the neutral: by an administrator or automatically, then accepted by the mediator.

A mediator qualifies for a case when they read at least one party's language, have no
conflict of interest (a declared affiliation with either party, their own organisation
being a party, or an earlier case with either party) and are below the workload cap.
The automatic choice is the qualified mediator with the fewest open cases. Assignment
only proposes: until the mediator declares independence and accepts, the case stays
closed to them except for a minimal summary.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale
from sqlalchemy import bindparam, exists, func, or_, select, union
from sqlalchemy.orm import joinedload

from odr.accounts.models import Account, Party, Role
from odr.cases import events
from odr.cases.access import get_case
from odr.cases.models import Case
from odr.cases.signals import participant_joined
from odr.domain_events import commit
from odr.errors import Forbidden, NotAllowed, NotFound, ValidationFailed
from odr.extensions import db, lazy_gettext
from odr.extensions import gettext as _
from odr.mediation import measure_reminders as _measure_reminders  # noqa: F401  (registers its periodic job)
from odr.mediation.models import AppointmentStatus, MediatorAffiliation, MediatorAppointment
from odr.models_base import utcnow
from odr.procedure.services import final_states, procedure_of
from odr.queue import periodic_job
from odr.validation import clean_text
from odr.vocabulary import CaseRole, EventKind

# Open cases (accepted or awaiting acceptance) beyond which a mediator gets no new case.
MAX_OPEN_CASES = 25
# The stage (UNCITRAL's "facilitated settlement") in which the procedures bring in a neutral.
MEDIATION_STATES = {"facilitated_settlement"}
DECLARATION_VERSION = "2026-1"


# The declaration a mediator affirms; lazy, so that it renders in whichever language is asked for.
_DECLARATION = lazy_gettext(
    "I declare that I am independent of and impartial towards both parties; that I have no "
    "financial, professional or personal tie to either of them or to their representatives; that "
    "I have not acted for or against either of them before; and that I will disclose at once any "
    "circumstance that arises and could call my independence into question."
)


def independence_declaration(locale: str | None = "en") -> str:
    """The text a mediator affirms: by default in the platform's record language, whose digest is what is
    recorded; ``locale=None`` gives it in the reader's language, which is what the mediator reads and ticks."""
    if locale is None:
        return str(_DECLARATION)
    with force_locale(locale):
        return str(_DECLARATION)


def declaration_sha256() -> str:
    return hashlib.sha256(f"{DECLARATION_VERSION}\n{independence_declaration()}".encode()).hexdigest()


def mediators() -> list[Account]:
    """Every active mediator, with their organisation (whose language they read: ``Account.reading_languages``)."""
    return list(
        db.session.scalars(
            select(Account)
            .where(Account.role == Role.MEDIATOR, Account.active.is_(True))
            .options(joinedload(Account.party))
            .order_by(Account.display_name)
        )
    )


def open_case_load() -> dict[int, int]:
    """Per mediator: open cases they are on, plus appointments still awaiting their answer."""
    rows = db.session.execute(
        select(Case.mediator_id, func.count())
        .where(Case.mediator_id.is_not(None), Case.state.not_in(final_states()))
        .group_by(Case.mediator_id)
    ).all()
    load = {mediator_id: count for mediator_id, count in rows}
    pending = db.session.execute(
        select(MediatorAppointment.mediator_id, func.count())
        .where(MediatorAppointment.status == AppointmentStatus.PENDING)
        .group_by(MediatorAppointment.mediator_id)
    ).all()
    for mediator_id, count in pending:
        load[mediator_id] = load.get(mediator_id, 0) + count
    return load


@dataclass
class Fitness:
    mediator: Account
    load: int
    problems: list[str]

    @property
    def qualified(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Ties:
    """What the database holds of some mediators' ties to one case."""

    affiliations: dict[int, list[MediatorAffiliation]]  # by mediator, as declared
    earlier_case: set[int]  # the mediators who were on an earlier case with one of its parties
    declined: set[int]  # the mediators who declined it


def _ties(mediator_ids: list[int], case: Case) -> _Ties:
    """Three statements whatever the number of mediators (a roster asked three for each of them)."""
    affiliations: dict[int, list[MediatorAffiliation]] = {}
    for tie in db.session.scalars(
        select(MediatorAffiliation)
        .where(MediatorAffiliation.mediator_id.in_(mediator_ids))
        .order_by(MediatorAffiliation.id)
    ):
        affiliations.setdefault(tie.mediator_id, []).append(tie)
    parties = [case.claimant_party_id, case.respondent_party_id]
    earlier = (Case.id != case.id) & or_(Case.claimant_party_id.in_(parties), Case.respondent_party_id.in_(parties))
    on_it = select(Case.mediator_id).where(Case.mediator_id.in_(mediator_ids), earlier)
    served = (
        select(MediatorAppointment.mediator_id)
        .join(Case, Case.id == MediatorAppointment.case_id)
        .where(
            MediatorAppointment.mediator_id.in_(mediator_ids),
            MediatorAppointment.status.in_([AppointmentStatus.ACCEPTED, AppointmentStatus.ENDED]),
            earlier,
        )
    )
    declined = select(MediatorAppointment.mediator_id).where(
        MediatorAppointment.case_id == case.id,
        MediatorAppointment.mediator_id.in_(mediator_ids),
        MediatorAppointment.status == AppointmentStatus.DECLINED,
    )
    return _Ties(
        affiliations=affiliations,
        earlier_case=set(db.session.scalars(union(on_it, served))),
        declined=set(db.session.scalars(declined)),
    )


def fitness(mediator: Account, case: Case, load: dict[int, int] | None = None, ties: _Ties | None = None) -> Fitness:
    """Whether a mediator may take a case, and every reason why not (``ties``: read for several mediators at once)."""
    load = open_case_load() if load is None else load
    ties = _ties([mediator.id], case) if ties is None else ties
    problems = []
    party_languages = {case.claimant.preferred_language, case.respondent.preferred_language}
    if not party_languages & set(mediator.reading_languages):
        problems.append(
            _("reads neither party's language (%(languages)s)", languages=", ".join(sorted(party_languages)))
        )
    parties = {case.claimant, case.respondent}
    if mediator.party_id in {p.id for p in parties}:
        problems.append(_("belongs to a party's organisation"))
    names = {p.name.casefold() for p in parties}
    for tie in ties.affiliations.get(mediator.id, []):
        if tie.party_id in {p.id for p in parties} or tie.organisation.casefold() in names:
            problems.append(_("declared an affiliation with %(organisation)s", organisation=tie.organisation))
    if mediator.id in ties.earlier_case:
        problems.append(_("handled an earlier case with one of the parties"))
    if mediator.id in ties.declined:
        problems.append(_("declined this case"))
    if load.get(mediator.id, 0) >= MAX_OPEN_CASES:
        problems.append(_("has %(n)s open cases, the most allowed", n=load.get(mediator.id, 0)))
    return Fitness(mediator, load.get(mediator.id, 0), problems)


def roster(case: Case) -> list[Fitness]:
    """Every active mediator with their fitness for the case, qualified ones first, least loaded first."""
    load, everyone = open_case_load(), mediators()
    ties = _ties([m.id for m in everyone], case)
    rows = [fitness(m, case, load, ties) for m in everyone]
    return sorted(rows, key=lambda f: (not f.qualified, f.load, f.mediator.id))


def _open_appointment(case: Case) -> MediatorAppointment | None:
    return db.session.scalar(
        select(MediatorAppointment)
        .where(
            MediatorAppointment.case_id == case.id,
            MediatorAppointment.status.in_([AppointmentStatus.PENDING, AppointmentStatus.ACCEPTED]),
        )
        .order_by(MediatorAppointment.id.desc())
        .limit(1)
    )


def check_may_assign(account: Account, case: Case) -> None:
    """Raises unless the account may assign a mediator to this case now: an administrator, on an open case."""
    if account.role != Role.ADMIN:
        raise Forbidden(_("Only an administrator can assign mediators."))
    if procedure_of(case).state(case.state).final:
        raise NotAllowed(_("This case is closed; no mediator can be assigned."), code="case_closed")


def assign_mediator(
    admin: Account, case_id: int, mediator_id=None, at: datetime | None = None, *, automatic: bool = False
) -> Case:
    """Propose a mediator for a case: the one named, or (``automatic``) the best qualified one."""
    case = get_case(admin, case_id, for_update=True)
    check_may_assign(admin, case)
    if automatic:
        qualified = [f for f in roster(case) if f.qualified]
        if not qualified:
            raise NotAllowed(
                _("No mediator qualifies for this case (language, conflicts of interest, workload)."),
                code="no_qualified_mediator",
            )
        mediator = qualified[0].mediator
    else:
        try:
            mediator = db.session.get(Account, int(mediator_id))
        except (TypeError, ValueError):
            mediator = None
        if mediator is None or mediator.role != Role.MEDIATOR or not mediator.active:
            raise ValidationFailed(_("Choose an active mediator."), {"mediator_id": _("Choose an active mediator.")})
    current = _open_appointment(case)
    if case.mediator_id == mediator.id or (current is not None and current.mediator_id == mediator.id):
        raise NotAllowed(_("This mediator is already assigned to the case."), code="already_assigned")
    check = fitness(mediator, case)
    if not check.qualified:
        message = _("This mediator cannot take the case: %(reasons)s.", reasons="; ".join(check.problems))
        raise ValidationFailed(message, {"mediator_id": message}, code="mediator_not_qualified")
    _propose(case, mediator, admin, current, at or utcnow(), automatic=automatic)
    db.session.commit()
    return case


def _propose(
    case: Case,
    mediator: Account,
    admin: Account | None,
    current: MediatorAppointment | None,
    at: datetime,
    *,
    automatic: bool,
) -> MediatorAppointment:
    previous = case.mediator_id
    if current is not None:
        current.status = AppointmentStatus.ENDED
        current.responded_at = current.responded_at or at
    case.mediator_id = None  # the new mediator sees the file only after accepting
    appointment = MediatorAppointment(
        case_id=case.id, mediator_id=mediator.id, assigned_by_id=None if automatic else admin.id, assigned_at=at
    )
    db.session.add(appointment)
    db.session.flush()
    events.record(
        case,
        EventKind.MEDIATOR_ASSIGNED,
        at,
        actor=admin,
        role=CaseRole.ADMIN if admin else CaseRole.SYSTEM,
        payload={
            "mediator_id": mediator.id,
            "previous_mediator_id": previous,
            "appointment_id": appointment.id,
            "automatic": automatic,
        },
    )
    return appointment


@periodic_job("mediator_appointment", "Propose mediators for cases that reached a mediation stage.")
def appoint_waiting(at: datetime | None = None) -> int:
    """Propose the best qualified mediator for every case that waits for one; return how many were proposed.

    A case waits when it is in a mediation stage with no mediator and no appointment awaiting an answer
    (never assigned, or the last mediator declined). Run by the periodic job; safe to run twice.
    """
    at = at or utcnow()
    pending = exists().where(
        MediatorAppointment.case_id == Case.id, MediatorAppointment.status == AppointmentStatus.PENDING
    )
    waiting = db.session.scalars(
        select(Case.id).where(Case.state.in_(MEDIATION_STATES), Case.mediator_id.is_(None), ~pending).order_by(Case.id)
    ).all()
    proposed = 0
    for case_id in waiting:
        case = db.session.scalar(select(Case).where(Case.id == case_id).with_for_update())
        qualified = [f for f in roster(case) if f.qualified]
        if case.mediator_id is not None or _open_appointment(case) is not None or not qualified:
            db.session.rollback()
            continue
        _propose(case, qualified[0].mediator, None, None, at, automatic=True)
        db.session.commit()
        proposed += 1
    return proposed


def _my_appointment(mediator: Account, appointment_id: int, *, for_update: bool = False) -> MediatorAppointment:
    query = select(MediatorAppointment).where(
        MediatorAppointment.id == appointment_id, MediatorAppointment.mediator_id == mediator.id
    )
    if for_update:
        query = query.with_for_update()
    appointment = db.session.scalar(query)
    if appointment is None or mediator.role != Role.MEDIATOR:
        raise NotFound(_("This appointment does not exist, or it is not yours."))
    return appointment


# The desk's statements, built once (only their values change): building one with its loader options costs about
# what sending it does, and every desk page sends them.
_PENDING_APPOINTMENTS = (
    select(MediatorAppointment)
    .options(joinedload(MediatorAppointment.case).options(joinedload(Case.claimant), joinedload(Case.respondent)))
    .where(
        MediatorAppointment.mediator_id == bindparam("mediator_id"),
        MediatorAppointment.status == AppointmentStatus.PENDING,
    )
    .order_by(MediatorAppointment.assigned_at)
)


def pending_appointments(mediator: Account) -> list[MediatorAppointment]:
    """The cases offered to a mediator, each read with its case and parties (what ``appointment_summary`` shows)."""
    return list(db.session.scalars(_PENDING_APPOINTMENTS, {"mediator_id": mediator.id}))


def appointment_summary(appointment: MediatorAppointment) -> dict:
    """What a mediator sees before accepting: enough to check languages and conflicts, nothing of the file."""
    case = appointment.case
    return {
        "appointment_id": appointment.id,
        "case_reference": case.reference,
        "jurisdiction": case.jurisdiction,
        "right_type": case.right_type.value,
        "state": case.state,
        "assigned_at": appointment.assigned_at.isoformat(),
        "parties": {
            side: {"name": p.name, "country": p.country, "language": p.preferred_language}
            for side, p in (("claimant", case.claimant), ("respondent", case.respondent))
        },
    }


def accept_appointment(
    mediator: Account, appointment_id: int, declared, disclosures=None, at: datetime | None = None
) -> MediatorAppointment:
    """The mediator declares independence and takes the case; only now does the file open to them."""
    appointment = _my_appointment(mediator, appointment_id, for_update=True)
    if appointment.status != AppointmentStatus.PENDING:
        raise NotAllowed(_("This appointment was already answered or withdrawn."), code="not_pending")
    fields: dict[str, str] = {}
    if declared not in (True, "on", "true", "1", "yes"):
        fields["declaration"] = _("You must declare your independence and impartiality to accept.")
    disclosed = clean_text(disclosures, fields, "disclosures", required=False, max_length=5000)
    if fields:
        raise ValidationFailed(_("The case was not accepted."), fields)
    case = db.session.scalar(select(Case).where(Case.id == appointment.case_id).with_for_update())
    if procedure_of(case).state(case.state).final:
        raise NotAllowed(_("This case is closed; no mediator can be assigned."), code="case_closed")
    # Conflicts may have arisen since the assignment (a new affiliation, another case).
    problems = fitness(mediator, case, {}).problems
    if problems:
        message = _("You cannot take the case: %(reasons)s.", reasons="; ".join(problems))
        raise NotAllowed(message, code="mediator_not_qualified")
    at = at or utcnow()
    appointment.status = AppointmentStatus.ACCEPTED
    appointment.responded_at = at
    appointment.declaration_sha256 = declaration_sha256()
    appointment.disclosures = disclosed
    case.mediator_id = mediator.id
    events.record(
        case,
        EventKind.MEDIATOR_ACCEPTED,
        at,
        actor=mediator,
        role=CaseRole.MEDIATOR,
        payload={
            "appointment_id": appointment.id,
            "declaration_sha256": appointment.declaration_sha256,
            "declaration_version": DECLARATION_VERSION,
            "disclosures": disclosed,
        },
    )
    participant_joined.publish(case)  # the filings already there are translated for the new reader
    commit()
    return appointment


def decline_appointment(
    mediator: Account, appointment_id: int, reason=None, at: datetime | None = None
) -> MediatorAppointment:
    appointment = _my_appointment(mediator, appointment_id, for_update=True)
    if appointment.status != AppointmentStatus.PENDING:
        raise NotAllowed(_("This appointment was already answered or withdrawn."), code="not_pending")
    fields: dict[str, str] = {}
    text = clean_text(reason, fields, "reason", required=False, max_length=2000)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    at = at or utcnow()
    appointment.status = AppointmentStatus.DECLINED
    appointment.responded_at = at
    appointment.decline_reason = text
    events.record(
        appointment.case,
        EventKind.MEDIATOR_DECLINED,
        at,
        actor=mediator,
        role=CaseRole.MEDIATOR,
        payload={"appointment_id": appointment.id},
    )
    db.session.commit()
    return appointment


def declare_affiliation(mediator: Account, organisation, at: datetime | None = None) -> MediatorAffiliation:
    """A mediator declares a tie to an organisation; cases with it are then conflicts."""
    if mediator.role != Role.MEDIATOR:
        raise Forbidden(_("Only mediators declare affiliations."))
    fields: dict[str, str] = {}
    name = clean_text(organisation, fields, "organisation", max_length=200)
    if fields:
        raise ValidationFailed(_("Please correct the marked fields."), fields)
    party = db.session.scalar(select(Party).where(func.lower(Party.name) == name.lower()).limit(1))
    tie = MediatorAffiliation(
        mediator_id=mediator.id, organisation=name, party_id=party.id if party else None, declared_at=at or utcnow()
    )
    db.session.add(tie)
    db.session.commit()
    return tie


_AFFILIATIONS = (
    select(MediatorAffiliation)
    .where(MediatorAffiliation.mediator_id == bindparam("mediator_id"))
    .order_by(MediatorAffiliation.id)
)


def affiliations(mediator: Account) -> list[MediatorAffiliation]:
    return list(db.session.scalars(_AFFILIATIONS, {"mediator_id": mediator.id}))
