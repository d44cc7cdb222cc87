"""A notice sent with ``Prefer: respond-async`` is acknowledged once kept (202 and its receipt); the queue opens
its case with the synchronous route's own code, as of when it was received, exactly once."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select, text, update

from odr.accounts.models import Role
from odr.cases import received, services
from odr.cases.models import Case, Event, ReceiptStatus, ReceivedNotice
from odr.conduct.models import NoticeRefusal
from odr.extensions import db
from odr.idempotency import IdempotentRequest
from odr.notifications.models import Delivery
from odr.procedure.models import Deadline
from tests.conftest import notice_data

pytestmark = pytest.mark.e2e

ASYNC = {"Prefer": "respond-async"}


@pytest.fixture
def queue(idle_queue):
    """The jobs that open received notices, taken off a queue nobody consumes (the others, translations, dropped)."""
    huey, taken = idle_queue
    return huey, lambda: taken(received.open_received_task)


def run(huey, jobs) -> None:
    for job in jobs:
        huey.execute(job)
    db.session.expire_all()


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def receipt(receipt_id: int) -> ReceivedNotice:
    db.session.expire_all()
    return db.session.get(ReceivedNotice, receipt_id)


def test_a_notice_sent_respond_async_is_acknowledged_with_its_receipt_and_opened_only_by_the_job(world, api, queue):
    huey, opening_jobs = queue
    holder = api(world.holder)
    accepted = holder.post("/cases", notice_data(), headers=ASYNC)
    assert accepted.status_code == 202, accepted.get_json()
    body = accepted.get_json()
    assert accepted.headers["Preference-Applied"] == "respond-async"
    assert accepted.headers["Location"] == body["links"]["self"] == f"/api/v1/cases/received/{body['id']}"
    assert body["status"] == "queued" and body["processed_at"] is None and "case" not in body
    assert datetime.fromisoformat(body["received_at"]).tzinfo is not None
    assert count(Case) == 0  # kept, not opened
    second = holder.post("/cases", notice_data(title="Counterfeit FLAMENCO belts"), headers=ASYNC).get_json()
    assert holder.get(f"/cases/received/{body['id']}").get_json()["status"] == "queued"

    jobs = opening_jobs()
    assert len(jobs) == 1  # one job for both notices, not one each
    run(huey, jobs)

    filed = holder.get(f"/cases/received/{body['id']}")
    assert filed.status_code == 200
    answer = filed.get_json()
    assert answer["status"] == "filed" and answer["processed_at"] is not None
    case = answer["case"]
    assert (
        filed.headers["Location"] == answer["links"]["case"] == case["links"]["self"] == f"/api/v1/cases/{case['id']}"
    )
    assert case["reference"].startswith("ODR-") and case["state"] == "awaiting_response"
    assert holder.get(f"/cases/{case['id']}").get_json()["title"] == "Counterfeit FLAMENCO bags"
    assert holder.get(f"/cases/received/{second['id']}").get_json()["case"]["id"] != case["id"]
    assert count(Case) == 2


def test_acceptance_writes_one_row_and_reads_only_the_token_and_its_account(world, api, queue, sql_statements):
    holder = api(world.holder)
    holder.post("/cases", notice_data(), headers=ASYNC)  # the first request of a process loads what it caches
    with sql_statements() as sent:
        accepted = holder.post("/cases", notice_data(title="Counterfeit FLAMENCO belts"), headers=ASYNC)
    assert accepted.status_code == 202
    assert [s.split()[:3] for s in sent.writes] == [["INSERT", "INTO", "received_notices"]]
    # Only the bearer token with its account, in one statement each time (the rate limits look them up too): neither
    # the account nor the receipt is read again after the commit, nor the filer's party.
    read = [_tables_read(s) for s in sent if s not in sent.writes]
    assert read and all(tables == {"api_tokens", "accounts"} for tables in read), read


def _tables_read(statement: str) -> set[str]:
    return set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", statement))


def _case_facts(case_id: int) -> dict:
    case = db.session.get(Case, case_id)
    return {
        "state": case.state,
        "created_at": case.created_at,
        "procedure": (case.procedure_code, case.procedure_version),
        "deadlines": [
            (d.timer, d.due_at, d.status.value)
            for d in db.session.scalars(select(Deadline).where(Deadline.case_id == case_id).order_by(Deadline.id))
        ],
        "events": [
            e.kind for e in db.session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.seq))
        ],
        "served": sorted(
            (d.act, d.role, d.channel) for d in db.session.scalars(select(Delivery).where(Delivery.case_id == case_id))
        ),
        "listings": [item.locator for item in case.listings],
    }


def test_the_job_opens_the_case_the_synchronous_route_opens_as_of_when_the_notice_was_received(world, api, queue):
    huey, opening_jobs = queue
    at = datetime(2026, 11, 30, 9, 15, tzinfo=timezone.utc)  # received days before the queue opened it
    sync_case = services.file_notice(world.holder, notice_data(), at=at).obj.id
    accepted = api(world.holder).post("/cases", notice_data(), headers=ASYNC).get_json()
    db.session.execute(update(ReceivedNotice).where(ReceivedNotice.id == accepted["id"]).values(received_at=at))
    db.session.commit()

    run(huey, opening_jobs())

    async_case = receipt(accepted["id"]).case_id
    sync, queued = _case_facts(sync_case), _case_facts(async_case)
    assert queued == sync
    assert queued["created_at"] == at and queued["deadlines"][0][1] > at  # its periods run from its receipt
    assert ("notice", "respondent", "inbox") in queued["served"]  # the seller is served


def test_a_refused_notice_is_recorded_with_the_error_the_synchronous_route_answers_and_opens_nothing(world, api, queue):
    huey, opening_jobs = queue
    holder = api(world.holder)
    incomplete = notice_data(title="", listings=[])
    spanish = {"Accept-Language": "es"}
    at_once = holder.post("/cases", incomplete, headers=spanish)
    assert at_once.status_code == 422 and count(NoticeRefusal) == 1
    accepted = holder.post("/cases", incomplete, headers={**ASYNC, **spanish})
    assert accepted.status_code == 202  # nothing of the notice is checked before it is kept

    run(huey, opening_jobs())

    answer = holder.get(f"/cases/received/{accepted.get_json()['id']}").get_json()
    assert answer["status"] == "refused" and "case" not in answer
    assert answer["error"] == at_once.get_json()["error"]  # in Spanish, field by field
    assert {"title", "listings"} <= set(answer["error"]["fields"])
    assert answer["error"]["message"].startswith("La notificación está incompleta")
    assert count(Case) == 0
    assert count(NoticeRefusal) == 2  # counted in the filer's record, as the synchronous refusal is


def test_a_retry_with_the_same_key_answers_the_same_receipt_and_another_body_under_it_is_refused(world, api, queue):
    huey, opening_jobs = queue
    holder = api(world.holder)
    keyed = {**ASYNC, "Idempotency-Key": "notice-7"}
    first = holder.post("/cases", notice_data(), headers=keyed)
    again = holder.post("/cases", notice_data(), headers=keyed)
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    other = holder.post("/cases", notice_data(title="Another"), headers=keyed)
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(ReceivedNotice) == 1

    run(huey, opening_jobs())
    assert holder.post("/cases", notice_data(), headers=keyed).get_json()["status"] == "filed"
    # The queue files under no key of the client's: the client's own keys stay its own.
    assert [row.key for row in db.session.scalars(select(IdempotentRequest))] == ["notice-7"]
    own = holder.post("/cases", notice_data(), headers={"Idempotency-Key": f"receipt-{first.get_json()['id']}"})
    assert own.status_code == 201
    assert count(Case) == 2


def test_the_same_notice_under_the_same_key_sent_the_other_way_answers_what_was_answered_first(world, api, queue):
    """A client that retries a notice with or without ``Prefer: respond-async`` (a preference, which a server may
    leave) gets the first answer again: the case filed at once, or the receipt; nothing is filed twice."""
    huey, opening_jobs = queue
    holder = api(world.holder)
    at_once = holder.post("/cases", notice_data(), headers={"Idempotency-Key": "n-1"})
    assert at_once.status_code == 201
    retried = holder.post("/cases", notice_data(), headers={**ASYNC, "Idempotency-Key": "n-1"})
    assert retried.status_code == 200 and "Preference-Applied" not in retried.headers
    assert retried.get_json() == at_once.get_json()  # the case's receipt, as filing it at once answered
    assert count(ReceivedNotice) == 0 and count(Case) == 1

    received_first = holder.post("/cases", notice_data(title="Later"), headers={**ASYNC, "Idempotency-Key": "n-2"})
    assert received_first.status_code == 202
    retried = holder.post("/cases", notice_data(title="Later"), headers={"Idempotency-Key": "n-2"})
    assert retried.status_code == 200 and retried.get_json() == received_first.get_json()  # still queued
    assert retried.headers["Location"] == received_first.headers["Location"]
    run(huey, opening_jobs())
    opened = holder.post("/cases", notice_data(title="Later"), headers={"Idempotency-Key": "n-2"}).get_json()
    assert opened["status"] == "filed" and opened["case"]["title"] == "Later"
    assert count(Case) == 2 and count(ReceivedNotice) == 1
    # Another body under either key is still refused, whichever way it is sent.
    for key, headers in (("n-1", ASYNC), ("n-2", {})):
        other = holder.post("/cases", notice_data(title="Another"), headers={**headers, "Idempotency-Key": key})
        assert other.status_code == 422 and other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(Case) == 2 and count(ReceivedNotice) == 1


def test_a_receipt_is_read_only_by_its_filer(world, api, queue):
    accepted = api(world.holder).post("/cases", notice_data(), headers=ASYNC).get_json()
    for reader in (world.stranger_holder, world.seller, world.admin):
        response = api(reader).get(f"/cases/received/{accepted['id']}")
        assert response.status_code == 404, reader.email
        assert response.get_json()["error"]["code"] == "not_found"
    assert api(world.holder).get(f"/cases/received/{accepted['id'] + 1}").status_code == 404


def test_an_account_that_may_not_file_notices_is_refused_before_anything_is_kept(world, api, queue):
    response = api(world.seller).post("/cases", notice_data(seller_email="other-seller@example.jp"), headers=ASYNC)
    assert response.status_code == 403
    not_json = api(world.holder).client.post(
        "/api/v1/cases", data="title=x", headers={**api(world.holder).headers, **ASYNC}
    )
    assert not_json.status_code == 422 and not_json.get_json()["error"]["code"] == "malformed_json"
    assert count(ReceivedNotice) == 0


def test_a_notice_whose_filer_may_no_longer_file_notices_when_it_is_opened_is_refused_on_its_receipt(world, api, queue):
    huey, opening_jobs = queue
    holder = api(world.holder)
    accepted = holder.post("/cases", notice_data(), headers=ASYNC).get_json()
    world.holder.role = Role.SELLER
    db.session.commit()
    run(huey, opening_jobs())
    answer = holder.get(f"/cases/received/{accepted['id']}").get_json()
    assert answer["status"] == "refused" and answer["error"]["code"] == "forbidden"
    assert count(Case) == 0


def test_a_notice_with_files_is_filed_at_once_whatever_the_preference(world, api, queue):
    filed = api(world.holder).upload("/cases", notice_data(), [("registro.pdf", b"%PDF-1.4 x")], headers=ASYNC)
    assert filed.status_code == 201, filed.get_json()
    assert "Preference-Applied" not in filed.headers
    assert filed.get_json()["state"] == "awaiting_response"
    assert (count(Case), count(ReceivedNotice)) == (1, 0)


def test_without_the_preference_nothing_changes(world, api, queue):
    filed = api(world.holder).post("/cases", notice_data(), headers={"Prefer": "return=minimal"})
    assert filed.status_code == 201 and "Preference-Applied" not in filed.headers
    assert (count(Case), count(ReceivedNotice)) == (1, 0)


def test_a_worker_that_dies_before_its_commit_opens_nothing_and_the_retry_opens_the_case_once(
    world, api, queue, monkeypatch
):
    from odr import idempotency

    huey, opening_jobs = queue
    accepted = api(world.holder).post("/cases", notice_data(), headers=ASYNC).get_json()
    opening_jobs()  # the job is lost with its worker

    def dies(*_args, **_kwargs):
        raise SystemExit("the worker died")  # what no handler of the job catches

    with monkeypatch.context() as patch:
        patch.setattr(idempotency, "commit", dies)  # the commit of the case and its receipt, together
        with pytest.raises(SystemExit):
            received.open_received()
    db.session.rollback()
    assert count(Case) == 0
    assert receipt(accepted["id"]).status == ReceiptStatus.QUEUED

    assert received.open_received() == 0  # held by the dead worker's lease until it runs out
    assert received.open_received(now=receipt(accepted["id"]).claimed_until) == 1
    assert received.open_received(now=datetime.now(timezone.utc) + 2 * received.LEASE) == 0
    assert receipt(accepted["id"]).status == ReceiptStatus.FILED
    assert count(Case) == 1


def test_a_worker_that_dies_right_after_its_commit_has_recorded_the_case_on_the_receipt(world, api, queue, monkeypatch):
    from odr import domain_events, idempotency

    accepted = api(world.holder).post("/cases", notice_data(), headers=ASYNC).get_json()

    def commits_then_dies(*_args, **_kwargs):
        domain_events.commit()
        raise SystemExit("the worker died")

    with monkeypatch.context() as patch:
        patch.setattr(idempotency, "commit", commits_then_dies)
        with pytest.raises(SystemExit):
            received.open_received()
    db.session.rollback()
    assert receipt(accepted["id"]).status == ReceiptStatus.FILED  # with its case, in the same commit
    assert received.open_received(now=datetime.now(timezone.utc) + 2 * received.LEASE) == 0  # nothing to retry
    assert count(Case) == 1


def test_a_receipt_another_worker_settled_meanwhile_rolls_this_workers_case_back(world, api, queue, monkeypatch):
    accepted = api(world.holder).post("/cases", notice_data(), headers=ASYNC).get_json()
    record = received._record

    def settled_by_another(receipt_id, outcome):
        # Another worker (whose claim outlived this one's lease) recorded the receipt just before this one.
        db.session.execute(
            update(ReceivedNotice).where(ReceivedNotice.id == receipt_id).values(status=ReceiptStatus.FILED)
        )
        record(receipt_id, outcome)

    monkeypatch.setattr(received, "_record", settled_by_another)
    assert received.open_received() == 1
    assert count(Case) == 0  # the case of this worker did not commit
    assert count(Event) == 0
    assert receipt(accepted["id"]).case_id is None


def test_one_notice_that_fails_unexpectedly_stays_queued_and_the_others_are_opened(
    world, api, queue, monkeypatch, caplog
):
    holder = api(world.holder)
    failing = holder.post("/cases", notice_data(title="Fails"), headers=ASYNC).get_json()
    fine = holder.post("/cases", notice_data(), headers=ASYNC).get_json()
    file_notice = services.file_notice

    def fails_on_one(account, data, *args, **kwargs):
        if data["title"] == "Fails":
            raise RuntimeError("unexpected")
        return file_notice(account, data, *args, **kwargs)

    monkeypatch.setattr(services, "file_notice", fails_on_one)
    with caplog.at_level(logging.ERROR, logger="odr.cases.received"):
        assert received.open_received() == 2
    assert f"could not open received notice {failing['id']}" in caplog.text
    assert receipt(failing["id"]).status == ReceiptStatus.QUEUED
    assert receipt(fine["id"]).status == ReceiptStatus.FILED
    monkeypatch.setattr(services, "file_notice", file_notice)
    assert received.open_received(now=receipt(failing["id"]).claimed_until) == 1  # retried once its lease ran out
    assert receipt(failing["id"]).status == ReceiptStatus.FILED
    assert receipt(failing["id"]).attempts == 2


def test_a_notice_that_fails_unexpectedly_at_every_attempt_is_given_up_with_an_error_in_the_filers_language(
    world, api, queue, monkeypatch, caplog
):
    holder = api(world.holder)
    failing = holder.post("/cases", notice_data(title="Fails"), headers={**ASYNC, "Accept-Language": "es"}).get_json()

    def fails(*args, **kwargs):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(services, "file_notice", fails)
    now = datetime.now(timezone.utc)
    for attempt in range(1, received.ATTEMPTS):
        assert received.open_received(now=now) == 1
        assert receipt(failing["id"]).status == ReceiptStatus.QUEUED  # taken again once its lease runs out
        assert receipt(failing["id"]).attempts == attempt
        now = receipt(failing["id"]).claimed_until
    with caplog.at_level(logging.ERROR, logger="odr.cases.received"):
        assert received.open_received(now=now) == 1
    assert f"could not open received notice {failing['id']} at its last attempt; it is given up" in caplog.text

    answer = holder.get(f"/cases/received/{failing['id']}").get_json()
    assert answer["status"] == "failed" and "case" not in answer and answer["processed_at"] is not None
    assert answer["error"]["code"] == "not_opened"
    assert answer["error"]["message"].startswith("La plataforma no pudo abrir esta notificación")
    assert str(received.ATTEMPTS) in answer["error"]["message"]
    assert count(Case) == 0 and count(NoticeRefusal) == 0  # nothing filed, nothing counted against the filer
    # Given up: never claimed again, whatever the time.
    assert received.open_received(now=now + 10 * received.LEASE) == 0
    assert receipt(failing["id"]).attempts == received.ATTEMPTS


def test_receipts_whose_job_was_lost_are_opened_by_the_minute_sweep(world, api, queue):
    huey, opening_jobs = queue
    holder = api(world.holder)
    first = holder.post("/cases", notice_data(), headers=ASYNC).get_json()
    opening_jobs()  # lost: its mark stays behind
    second = holder.post("/cases", notice_data(title="Counterfeit FLAMENCO belts"), headers=ASYNC).get_json()
    assert opening_jobs() == []  # held back by the mark of the lost job

    assert received.sweep() == 2
    assert [receipt(r["id"]).status for r in (first, second)] == [ReceiptStatus.FILED] * 2
    # The sweep cleared the mark: the next notice queues a job of its own.
    holder.post("/cases", notice_data(title="Counterfeit FLAMENCO shoes"), headers=ASYNC)
    assert len(opening_jobs()) == 1


def test_a_job_takes_a_chunk_and_queues_the_next(world, api, queue, monkeypatch):
    huey, opening_jobs = queue
    monkeypatch.setattr(received, "CHUNK", 2)
    holder = api(world.holder)
    ids = [holder.post("/cases", notice_data(title=f"Bags {n}"), headers=ASYNC).get_json()["id"] for n in range(3)]
    run(huey, opening_jobs())  # takes two, and queues the next job for the third
    assert [receipt(i).status for i in ids] == [ReceiptStatus.FILED] * 2 + [ReceiptStatus.QUEUED]
    run(huey, opening_jobs())
    assert receipt(ids[2]).status == ReceiptStatus.FILED


@pytest.mark.postgres
def test_claims_take_the_oldest_queued_receipts_and_never_the_same_twice(world, database_url, queue):
    now = datetime.now(timezone.utc)
    for n in range(5):
        db.session.add(
            ReceivedNotice(account_id=world.holder.id, received_at=now, data={"n": n}, locale="en", remote_addr="")
        )
    db.session.commit()
    ids = sorted(db.session.scalars(select(ReceivedNotice.id)))
    assert received._claim(now, 3) == ids[:3]
    assert received._claim(now, 3) == ids[3:]
    assert received._claim(now, 3) == []
    if db.engine.dialect.name == "postgresql":
        # A receipt another worker holds locked (claiming it now) is skipped, not waited for.
        later = now + 2 * received.LEASE
        with db.engine.connect() as other:
            other.execute(text("SELECT id FROM received_notices WHERE id = :id FOR UPDATE"), {"id": ids[0]})
            assert received._claim(later, 2) == ids[1:3]
            other.rollback()
    else:
        assert received._claim(now + 2 * received.LEASE, 2) == ids[:2]  # leases run out: taken again


@pytest.mark.postgres
def test_the_migration_adds_the_received_notices_and_the_downgrade_removes_them(tmp_path, database_url):
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    from odr import create_app

    secret = "migration-test-secret-key-long-enough-0123456789"
    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url, "SECRET_KEY": secret})
    with app.app_context():
        upgrade(revision="b6f0d4a2c9e1")
        assert "received_notices" not in inspect(db.engine).get_table_names()
        upgrade()
        indexes = {ix["name"]: ix["column_names"] for ix in inspect(db.engine).get_indexes("received_notices")}
        assert indexes["ix_received_notices_status_id"] == ["status", "id"]
        downgrade(revision="b6f0d4a2c9e1")
        assert "received_notices" not in inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
