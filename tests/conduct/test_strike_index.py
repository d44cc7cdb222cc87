"""The strike index: a seller's cases with a strike-giving event, by seller and time (``StrikeGivingCase``).

The repeat-infringer count finds a seller's recent strikes through it instead of in the events of each of the
seller's cases; whether a strike stands is still read from the timeline. So the index must hold exactly the
cases whose timeline has such an event, at the time of the latest, and the count read through it must be the one
the timeline gives (``record_of``), at the edges of the expiry and after each ground that removes a strike.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, or_, select

from odr.cases import services as cases
from odr.cases.models import Event
from odr.conduct import services
from odr.conduct.models import StrikeGivingCase
from odr.conduct.policy import policy
from odr.export import court
from odr.extensions import db
from odr.mediation.services import accept_appointment, assign_mediator, pending_appointments
from odr.models_base import utcnow
from tests.conduct.test_conduct import claim, counter_notice_that_holds, silent_notices
from tests.export.conftest import escalate

PDF = b"%PDF-1.7\n% signed decision\n" + b"0" * 200


def indexed() -> dict[int, tuple[int, object]]:
    rows = db.session.scalars(select(StrikeGivingCase)).all()
    return {row.case_id: (row.seller_party_id, row.last_event_at) for row in rows}


def from_the_timeline() -> dict[int, tuple[int, object]]:
    """The cases whose timeline holds a strike-giving event, and the time of the latest, read from the events as
    the count read them before the index: a court's decision, or a change of state for an uncontested cause."""
    causes = sorted(policy().record.uncontested_causes)
    rows = db.session.execute(
        select(Event.case_id, cases.Case.respondent_party_id, func.max(Event.created_at))
        .join(cases.Case, cases.Case.id == Event.case_id)
        .where(
            or_(
                (Event.kind == "decision_filed") & (Event.actor_case_role == "court"),
                (Event.kind == "state_changed") & Event.payload["cause"].as_string().in_(causes),
            )
        )
        .group_by(Event.case_id, cases.Case.respondent_party_id)
    ).all()
    return {case_id: (seller, at) for case_id, seller, at in rows}


def strike_history(world) -> dict[str, int]:
    """A seller's cases with every ground that gives or removes a strike, each event recorded as the services do."""
    start = utcnow()
    held, withdrawn, found_wrong, kept = silent_notices(world, 4, at=start)  # the third orders a suspension
    counter_notice_that_holds(world, held, start + timedelta(days=9))
    cases.take_action(world.holder, withdrawn, "withdraw")
    assign_mediator(world.admin, found_wrong, world.mediator.id)
    accept_appointment(world.mediator, pending_appointments(world.mediator)[0].id, declared=True)
    services.do_decide_wrongful_notice(
        world.mediator,
        claim(world, found_wrong).id,
        {"finding": "erroneous", "reasons": "Die Mitteilung war falsch.", "language": "de"},
    )
    upheld = escalate(world)  # answered, so no uncontested strike; the court's decision gives one
    decision = {"outcome": "upheld", "language": "en", "text": "Infringement found.", "listing_measure": "take_down"}
    court.decide(world.court, upheld.id, decision, court.Upload(io.BytesIO(PDF), "decision.pdf"))
    answered = escalate(world)  # answered and never decided: no strike-giving event
    return {
        "held": held,
        "withdrawn": withdrawn,
        "found_wrong": found_wrong,
        "kept": kept,
        "upheld": upheld.id,
        "answered": answered.id,
    }


@pytest.mark.postgres
def test_the_index_holds_each_strike_giving_case_at_its_latest_such_event(world):
    history = strike_history(world)
    db.session.expire_all()
    assert indexed() == from_the_timeline()
    assert set(indexed()) == set(history.values()) - {history["answered"]}
    assert {seller for seller, _at in indexed().values()} == {world.seller.party_id}


@pytest.mark.postgres
def test_the_count_through_the_index_is_the_timelines_at_the_edges_of_the_expiry(world):
    history = strike_history(world)
    party = world.seller.party
    record = services.record_of(party)
    removed = {s.case.id: s.removed for s in record.strikes}
    assert removed == {
        history["held"]: "counter_notice_held",
        history["withdrawn"]: "withdrawn",
        history["found_wrong"]: "wrongful_notice",
        history["kept"]: None,
        history["upheld"]: None,
    }
    expiry = timedelta(days=policy().repeat["CN"].strike_expiry_days)
    instants = [utcnow()]
    for strike in record.strikes:
        end = strike.at + expiry
        instants += [end - timedelta(days=1), end - timedelta(microseconds=1), end, end + timedelta(days=1)]
    for at in instants:
        from_timeline = [s.case.id for s in services.record_of(party, now=at).active_strikes]
        through_index = [s.case.id for s in services.active_strikes(party, "CN", at)]
        assert through_index == from_timeline, at
    kept = next(s for s in record.strikes if s.case.id == history["kept"])
    day_before, day_of = kept.at + expiry - timedelta(days=1), kept.at + expiry
    assert history["kept"] in [s.case.id for s in services.active_strikes(party, "CN", day_before)]
    assert history["kept"] not in [s.case.id for s in services.active_strikes(party, "CN", day_of)]


@pytest.mark.postgres
def test_the_migration_indexes_the_cases_struck_before_it_as_the_services_do(world):
    from flask_migrate import downgrade, stamp, upgrade

    strike_history(world)
    db.session.expire_all()
    written = indexed()
    db.session.commit()
    stamp()
    downgrade(revision="f2c8a5d1e7b3")  # the schema before the index
    assert "conduct_strike_giving_cases" not in db.inspect(db.engine).get_table_names()
    upgrade()
    assert indexed() == written == from_the_timeline()
    db.session.commit()


@pytest.mark.postgres
def test_the_index_filled_again_from_the_timeline_follows_the_policy_in_force(app, world, monkeypatch):
    import dataclasses

    history = strike_history(world)
    db.session.expire_all()
    written = indexed()
    db.session.execute(StrikeGivingCase.__table__.delete())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["conduct", "refill-strike-index"])
    assert result.exit_code == 0 and result.output.strip() == f"strike index: {len(written)} cases"
    assert indexed() == written
    # An operator's policy that also counts a restoration's period as uncontested: the cases struck for it before
    # are in the index once it is filled again, at their latest such event.
    rules = policy()
    wider = dataclasses.replace(
        rules,
        record=dataclasses.replace(
            rules.record, uncontested_causes=rules.record.uncontested_causes | {"restore_period"}
        ),
    )
    monkeypatch.setattr(services, "policy", lambda: wider)
    restored_at = db.session.scalar(
        select(func.max(Event.created_at)).where(
            Event.case_id == history["held"], Event.payload["cause"].as_string() == "restore_period"
        )
    )
    assert restored_at is not None and restored_at > written[history["held"]][1]
    services.refill_strike_index()
    assert indexed() == written | {history["held"]: (world.seller.party_id, restored_at)}
