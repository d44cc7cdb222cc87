"""Every procedural act reaches the addressees its procedure declares; clocks that the law starts at
receipt start when the delivery is received, and not when it failed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from odr.accounts.models import Role
from odr.cases.filings import record_filing
from odr.cases.models import Case, FilingKind
from odr.cases.services import file_notice
from odr.domain_events import commit
from odr.extensions import db
from odr.notifications import deliveries
from odr.notifications.models import Channel, Delivery, Notification
from odr.notifications.preferences import save_preferences
from odr.procedure.engine import STATE_CHANGED
from odr.procedure.models import Deadline, DeadlineStatus
from odr.procedure.services import measures_standing, procedures, take_transition
from odr.vocabulary import CaseRole
from tests.conftest import COUNTER_NOTICE_ELEMENTS, make_account, notice_data

# Where each procedure's cases are filed (a case of any procedure: its jurisdiction's receipt rule applies).
FILED_IN = {
    "cn-ecl": ("CN", "trademark"),
    "eu-dsa": ("EU", "trademark"),
    "gb-ecr": ("GB", "trademark"),
    "jp-plla": ("JP", "trademark"),
    "us-dmca": ("US", "copyright"),
    "us-marketplace": ("US", "trademark"),
    "generic-odr": ("CN", "trademark"),
}


def file(api, holder, **overrides) -> Case:
    """A notice filed through the service (the walk below files more notices than the API's rate limit lets one
    account file in a minute; the API's filing is tested in tests/cases)."""
    return db.session.get(Case, file_notice(holder, notice_data(**overrides)).obj.id)


def served(case: Case, after: int = 0) -> set[tuple[str, str, int | None, str]]:
    return {
        (d.act, d.role, d.account_id or d.party_id, d.channel)
        for d in db.session.scalars(db.select(Delivery).where(Delivery.case_id == case.id, Delivery.id > after))
    }


def expected(case: Case, procedure, act: str, author_id: int | None = None) -> set:
    rows = set()
    for addressee in deliveries.addressees(case, procedure.addressees(act)):
        if addressee.account is not None and addressee.account.id == author_id:
            continue
        key = addressee.account.id if addressee.account else addressee.party.id
        if addressee.account is not None:
            rows.add((act, addressee.role, key, Channel.INBOX))
        rows.add((act, addressee.role, key, Channel.EMAIL))
    return rows


def test_every_transition_of_every_procedure_serves_exactly_the_declared_addressees(app, world, api):
    accounts = {
        CaseRole.CLAIMANT: world.holder,
        CaseRole.RESPONDENT: world.seller,
        CaseRole.MEDIATOR: world.mediator,
        CaseRole.COURT: world.court,
        CaseRole.ADMIN: world.admin,
    }
    walked = 0
    for (code, version), procedure in procedures().procedures.items():
        jurisdiction, right_type = FILED_IN[code]
        for transition in procedure.transitions:
            for source in transition.sources:
                case = file(api, world.holder, jurisdiction=jurisdiction, right_type=right_type)
                case.procedure_code, case.procedure_version, case.state = code, version, source
                case.mediator_id, case.court_party_id = world.mediator.id, world.court.party_id
                db.session.commit()
                before = db.session.scalar(db.select(db.func.max(Delivery.id))) or 0
                role = CaseRole.SYSTEM if transition.when else sorted(transition.roles)[0]
                actor = accounts.get(role)
                at = datetime.now(UTC)
                acts: list[tuple[str, int | None]] = []
                if transition.filing:
                    record_filing(
                        case,
                        FilingKind(transition.filing),
                        author=actor,
                        role=role,
                        language="en",
                        text="Served.",
                        at=at,
                    )
                    acts.append((transition.filing, actor.id))
                standing = measures_standing(case)
                take_transition(
                    case,
                    transition.name,
                    actor,
                    {role},
                    at,
                    by_filing=bool(transition.filing),
                    by_decision=transition.decision,
                )
                # Lifting serves nobody where no measure stands (Platform Rule 4: nothing to lift, nothing said).
                acts += [(a, None) for a in transition.actions if a != "lift_measures" or standing]
                if transition.target != source:
                    acts.append((STATE_CHANGED, None))
                acts += [(action, None) for action in procedure.state(transition.target).on_enter]
                commit()
                want = set().union(*(expected(case, procedure, act, author) for act, author in acts))
                assert served(case, before) == want, f"{code} {transition.name} from {source}"
                assert all(
                    d.language and d.time_zone and len(d.content_sha256) == 64
                    for d in db.session.scalars(db.select(Delivery).where(Delivery.id > before))
                )
                walked += 1
    assert walked >= len(procedures().procedures) * 5


def test_the_notice_reaches_the_seller_in_the_sellers_language(world, api):
    case = file(api, world.holder, jurisdiction="CN")
    (inbox,) = [
        d
        for d in db.session.scalars(db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == "notice"))
        if d.channel == Channel.INBOX
    ]
    assert (inbox.account_id, inbox.role, inbox.language, inbox.time_zone) == (
        world.seller.id,
        "respondent",
        "zh",
        "Asia/Shanghai",
    )


def test_a_seller_without_an_account_is_served_the_notice_by_the_invitation(world, api):
    case = file(
        api,
        world.holder,
        jurisdiction="CN",
        respondent={"email": "tienda@example.mx", "name": "Tienda", "country": "MX", "language": "es"},
    )
    (row,) = db.session.scalars(db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == "notice"))
    assert (row.channel, row.address, row.language) == (Channel.EMAIL, "tienda@example.mx", "es")
    assert db.session.get(Notification, row.notification_id).kind == "invitation"


def test_a_caucus_message_is_served_on_its_party_only(world, api):
    case = file(api, world.holder, jurisdiction="CN")
    case.mediator_id = world.mediator.id
    db.session.commit()
    before = db.session.scalar(db.select(db.func.max(Delivery.id)))
    record_filing(
        case,
        FilingKind.MESSAGE,
        author=world.mediator,
        role=CaseRole.MEDIATOR,
        language="en",
        text="Between us: what is your lowest figure?",
        at=datetime.now(UTC),
        caucus_party_id=case.respondent_party_id,
    )
    commit()
    rows = db.session.scalars(db.select(Delivery).where(Delivery.id > before)).all()
    assert rows and {d.account_id for d in rows} == {world.seller.id}


# -- clocks from receipt --------------------------------------------------------------------------


def forwarded_counter_notice(world, api) -> Case:
    """A CN case whose seller filed a declaration: it is forwarded to the right holder."""
    case = file(api, world.holder, jurisdiction="CN")
    response = api(world.seller).post(
        f"/cases/{case.id}/filings",
        {"kind": "counter_notice", "language": "zh", "text": "我们有权销售。", "elements": COUNTER_NOTICE_ELEMENTS},
    )
    assert response.status_code == 201, response.get_json()
    db.session.refresh(case)
    assert case.state == "counter_notice_forwarded"
    return case


def holder_delivery(case, world, act="counter_notice", channel=Channel.INBOX) -> Delivery:
    return db.session.scalar(
        db.select(Delivery).where(
            Delivery.case_id == case.id,
            Delivery.act == act,
            Delivery.account_id == world.holder.id,
            Delivery.channel == channel,
        )
    )


def restore_period(case) -> Deadline | None:
    return db.session.scalar(
        db.select(Deadline).where(
            Deadline.case_id == case.id, Deadline.timer == "restore_period", Deadline.status == DeadlineStatus.PENDING
        )
    )


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00")


@pytest.mark.parametrize(
    ("opened", "last_day"),
    [
        ("2027-03-01T23:59:59", "2027-03-16"),  # received on 1 March: 15 days from 2 March
        ("2027-03-02T00:00:00", "2027-03-17"),  # received a second later, on 2 March: one day later
    ],
)
def test_cn_fifteen_days_run_from_receipt_on_either_side_of_local_midnight(world, api, opened, last_day):
    case = forwarded_counter_notice(world, api)
    assert restore_period(case) is None, "the period waits for the right holder's receipt"
    deliveries.open_delivery(world.holder, holder_delivery(case, world).id, shanghai(opened))
    commit()
    deadline = restore_period(case)
    assert deadline.due_at.astimezone(shanghai(opened).tzinfo).date().isoformat() == last_day
    assert deadline.computation["receipt"]["way"] == "opened"
    assert deadline.computation["receipt"]["rule"]["article"].startswith("Art. 137(2)")


def test_cn_receipt_days_after_the_act_counts_from_the_receipt(world, api):
    case = forwarded_counter_notice(world, api)
    received = case.state_entered_at + timedelta(days=4)
    deliveries.accepted(holder_delivery(case, world, channel=Channel.EMAIL).notification_id, received)
    commit()
    deadline = restore_period(case)
    assert deadline.computation["start"] == received.isoformat()
    assert deadline.computation["receipt"]["way"] == "available_and_accepted"
    assert deadline.due_at - received > timedelta(days=15)
    # Opening it later changes nothing: the first receipt counts, and the clock starts once.
    deliveries.open_delivery(world.holder, holder_delivery(case, world).id, received + timedelta(days=1))
    commit()
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Deadline)
            .where(Deadline.case_id == case.id, Deadline.timer == "restore_period")
        )
        == 1
    )


def test_the_why_this_date_names_the_receipt_and_its_rule(world, api):
    case = forwarded_counter_notice(world, api)
    deliveries.open_delivery(world.holder, holder_delivery(case, world).id)
    commit()
    (deadline,) = api(world.holder).get(f"/cases/{case.id}").get_json()["deadlines"]
    assert "Counter-notice filed" in deadline["why"][0] and "first opened" in deadline["why"][0]
    assert deadline["receipt_rule"]["instrument"].startswith("Civil Code")


def test_a_delivery_refused_for_good_starts_no_clock_and_is_shown_to_the_filer_and_mediator(world, api):
    case = file(
        api,
        world.holder,
        jurisdiction="JP",
        respondent={"email": "nobody@example.jp", "name": "Shop", "country": "JP", "language": "ja"},
    )
    case.mediator_id = world.mediator.id
    db.session.commit()
    (row,) = db.session.scalars(db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == "notice"))
    deliveries.failed(row.notification_id, datetime.now(UTC), "550 5.1.1 mailbox unavailable")
    commit()
    assert db.session.scalar(db.select(Deadline).where(Deadline.case_id == case.id)) is None
    told = db.session.scalars(
        db.select(Delivery).where(Delivery.case_id == case.id, Delivery.act == deliveries.DELIVERY_FAILED)
    ).all()
    assert {d.account_id for d in told} == {world.holder.id, world.mediator.id}
    assert all(d.data["reason"].startswith("550") and d.channel == Channel.INBOX for d in told)


def test_jp_seven_days_run_from_the_sellers_receipt_of_the_inquiry(world, api):
    case = file(api, world.holder, jurisdiction="JP")
    assert db.session.scalar(db.select(Deadline).where(Deadline.case_id == case.id)) is None
    inquiry = db.session.scalar(
        db.select(Delivery).where(
            Delivery.case_id == case.id, Delivery.act == "notice", Delivery.channel == Channel.EMAIL
        )
    )
    received = datetime.fromisoformat("2027-04-05T23:30:00+09:00")
    deliveries.accepted(inquiry.notification_id, received)
    commit()
    (deadline,) = db.session.scalars(db.select(Deadline).where(Deadline.case_id == case.id))
    assert deadline.due_at.astimezone(received.tzinfo).date().isoformat() == "2027-04-12"


def test_a_notice_reads_its_parties_accounts_and_their_preferences_in_one_statement_each(world, sql_statements):
    """Who is served, and when each account is e-mailed, is read once for the whole notice however many accounts
    its parties have (before: each party's accounts, then each account's preferences, on their own)."""
    colleague = make_account(Role.RIGHT_HOLDER, "colleague@example.es", party=world.holder.party)
    clerk = make_account(Role.SELLER, "clerk@example.cn", language="zh", tz="Asia/Shanghai", party=world.seller.party)
    save_preferences(colleague, "daily_digest", True)
    save_preferences(clerk, "deadlines_only", True)
    commit()
    with sql_statements() as sent:
        case = file_notice(world.holder, notice_data()).obj
    read = [" ".join(s.split()) for s in sent if s.lstrip().upper().startswith("SELECT")]
    assert len([s for s in read if re.search(r"FROM accounts WHERE .*accounts\.party_id", s)]) == 1
    assert len([s for s in read if "FROM notification_preferences" in s]) == 1
    # Everyone is still served: the notice on the seller's accounts, its measures on both parties' accounts.
    deliveries_of = db.session.scalars(db.select(Delivery).where(Delivery.case_id == case.id)).all()
    assert {d.account_id for d in deliveries_of} == {world.holder.id, colleague.id, world.seller.id, clerk.id}
