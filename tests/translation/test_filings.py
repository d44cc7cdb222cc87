"""Every filing reaches every other participant in their language: jobs, retries, API, pages, flags, CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest

from odr.accounts.models import Role
from odr.cases.models import Filing
from odr.extensions import db
from odr.models_base import utcnow
from odr.translation import services
from odr.translation.models import Translation, TranslationStatus
from tests.conftest import make_account, notice_data

NOTICE = "el gato ve el perro. el titular del derecho tiene prueba prima facie."


def _file(api, world, **overrides):
    response = api(world.holder).post("/cases?full=1", notice_data(**({"text": NOTICE} | overrides)))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _assign(case_id, mediator):
    # Directly, not through the mediation workflow: these tests are about what the mediator reads.
    # The mediation service announces the newcomer after its commit, as here.
    from odr.cases.models import Case
    from odr.cases.signals import participant_joined
    from odr.domain_events import commit

    case = db.session.get(Case, case_id)
    case.mediator_id = mediator.id
    participant_joined.publish(case)
    commit()


def _rows(case_id):
    return {
        t.target_language: t
        for t in db.session.scalars(
            db.select(Translation).join(Filing, Filing.id == Translation.filing_id).where(Filing.case_id == case_id)
        )
    }


@pytest.mark.e2e
def test_a_notice_is_translated_for_the_seller_through_english(app, world, api):
    case = _file(api, world)
    zh = _rows(case["id"])["zh"]
    assert zh.status == TranslationStatus.DONE
    assert zh.text == "这 猫 看见 这 狗. 这 权利人 tiene 初步证据."
    assert (zh.pivot, zh.model) == ("en", "translate-es_en-1_0 → translate-en_zh-1_0")
    assert zh.model_version.startswith("es-en 1.0+") and "→ en-zh 1.0+" in zh.model_version
    assert zh.engine.startswith("argostranslate 1.11.0 / ctranslate2 ")
    assert zh.completed_at is not None and zh.attempts == 1

    seen = api(world.seller).get(f"/cases/{case['id']}").get_json()["filings"][0]
    assert {k: seen["original"][k] for k in ("language", "text", "authoritative")} == {
        "language": "es",
        "text": NOTICE,
        "authoritative": True,
    }
    check = seen["original"]["language_check"]
    assert (check["declared"], check["detected"]) == ("es", "es") and check["confidence"] > 0.95
    [translation] = seen["translations"]
    assert translation["language"] == "zh" and translation["status"] == "done"
    assert translation["provenance"]["pivot"] == "en" and translation["authoritative"] is False


def test_the_language_is_detected_when_the_filer_gives_none(app, world, api):
    case = _file(api, world, language=None)
    filing = api(world.holder).get(f"/cases/{case['id']}").get_json()["filings"][0]
    assert filing["language"] == "es"
    assert filing["original"]["language_check"]["declared"] is None
    assert filing["original"]["language_check"]["detected"] == "es"


CHINESE = "该产品侵犯了我们的商标权。卖家在网上出售假冒商品。"


def test_chinese_filed_as_spanish_through_the_api_is_refused_with_both_codes(app, world, api):
    response = api(world.holder).post("/cases", notice_data(text=CHINESE, language="es"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["details"]["language"] == {
        "declared": "es",
        "detected": "zh",
        "override": "language_confirmed",
        "confidence": error["details"]["language"]["confidence"],
    }
    assert error["details"]["language"]["confidence"] >= 0.95
    assert "zh" in error["fields"]["language"] and "language_confirmed" in error["fields"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Filing)) == 0
    # The filer insists: the declared language stands, and what detection said is kept with it.
    response = api(world.holder).post(
        "/cases?full=1", notice_data(text=CHINESE, language="es", language_confirmed=True)
    )
    assert response.status_code == 201, response.get_json()
    filing = db.session.get(Filing, response.get_json()["filings"][0]["id"])
    assert (filing.language, filing.language_declared, filing.language_detected) == ("es", "es", "zh")


def test_a_mis_declared_language_in_the_web_form_asks_the_filer_and_keeps_the_text(app, world, api, browser):
    case = _file(api, world)
    seller = browser(world.seller)
    page_url = f"/cases/{case['id']}"
    response = seller.post(
        f"/cases/{case['id']}/filings", {"kind": "message", "language": "es", "text": CHINESE}, form_page=page_url
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    # Language names in the reader's language (here English), not in their own.
    assert "(zh), not Spanish (es)" in page and 'name="language_confirmed"' in page and CHINESE in page
    response = seller.post(
        f"/cases/{case['id']}/filings", {"kind": "message", "language": "zh", "text": CHINESE}, form_page=page_url
    )
    assert response.status_code == 302
    filing = db.session.scalars(
        db.select(Filing).where(Filing.case_id == case["id"]).order_by(Filing.id.desc())
    ).first()
    assert (filing.language, filing.language_declared, filing.language_detected) == ("zh", "zh", "zh")


def test_a_filing_of_only_invisible_characters_is_refused(app, world, api):
    response = api(world.holder).post("/cases", notice_data(text="\u200b\u200b\u2060", language="es"))
    assert response.status_code == 422 and "text" in response.get_json()["error"]["fields"]


def test_a_text_in_no_clear_language_asks_the_filer(app, world, api):
    response = api(world.holder).post("/cases", notice_data(text="12345 !!", language=""))
    assert response.status_code == 422
    assert "language" in response.get_json()["error"]["fields"]


def test_a_pair_without_a_model_is_unavailable_and_says_how_to_install_one(app, world, api, browser):
    german = make_account(Role.MEDIATOR, "de-mediator@example.de", country="DE", language="de", tz="Europe/Berlin")
    case = _file(api, world)
    _assign(case["id"], german)
    response = browser(german).get(f"/cases/{case['id']}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    de = _rows(case["id"])["de"]
    assert de.status == TranslationStatus.UNAVAILABLE and de.text is None
    assert "No machine translation into" in page and "odr languages install" in page
    assert NOTICE.split(".")[0] in page  # the original is shown instead


@pytest.mark.e2e
def test_a_failing_engine_is_retried_with_back_off_then_marked_failed(app, world, api, monkeypatch):
    from odr.translation.engine import EngineError, engine_for

    engine = engine_for(app.config["ODR"]["ARGOS_PACKAGES_DIR"])

    def broken(model, segments):
        raise EngineError("model crashed")

    monkeypatch.setattr(engine, "translate", broken)
    case = _file(api, world)
    zh = _rows(case["id"])["zh"]
    assert (zh.status, zh.attempts) == (TranslationStatus.PENDING, 1)
    assert "model crashed" in zh.last_error
    now = utcnow()
    for attempt, wait in [(2, 30), (3, 120), (4, 480)]:
        assert services.process_due(now + timedelta(seconds=wait - 5)) == 0  # not before the back-off
        now += timedelta(seconds=wait + 1)
        assert services.process_due(now) == 1
        db.session.refresh(zh)
        assert zh.attempts == attempt
    assert zh.status == TranslationStatus.FAILED and zh.next_attempt_at is None
    assert services.process_due(now + timedelta(days=1)) == 0


def test_a_worker_that_died_mid_job_leaves_the_row_to_be_taken_again(app, world, api):
    case = _file(api, world, text="el gato.")
    zh = _rows(case["id"])["zh"]
    zh.status, zh.text, zh.next_attempt_at = TranslationStatus.PENDING, None, utcnow() + services.LEASE
    db.session.commit()
    assert services.process_due() == 0  # still leased
    assert services.process_due(utcnow() + services.LEASE + timedelta(seconds=1)) == 1
    db.session.refresh(zh)
    assert zh.status == TranslationStatus.DONE and zh.text == "这 猫."


def test_the_seller_reads_the_translation_with_a_label_and_the_original_one_click_away(app, world, api, browser):
    case = _file(api, world)
    page = browser(world.seller).get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "Machine translation; the original in" in page
    assert "这 猫 看见 这 狗." in page
    assert "<details" in page and NOTICE.split(".")[0] in page


@pytest.mark.e2e
def test_a_party_flags_and_the_mediator_replaces_with_a_human_translation(app, world, api, browser):
    case = _file(api, world)
    zh = _rows(case["id"])["zh"]
    seller = api(world.seller)
    response = seller.post(f"/cases/{case['id']}/translations/{zh.id}/flags", {"reason": "“权利人” ok, rest wrong"})
    assert response.status_code == 201
    assert (
        api(world.stranger_seller).post(f"/cases/{case['id']}/translations/{zh.id}/flags", {"reason": "x"}).status_code
        == 404
    )
    assert api(world.holder).post(f"/cases/{case['id']}/translations/{zh.id}/flags", {"reason": ""}).status_code == 422
    # Only the mediator of the case may replace it.
    human = {"language": "zh", "text": "猫看见狗。权利人有初步证据。"}
    assert seller.post(f"/cases/{case['id']}/filings/{zh.filing_id}/translations/human", human).status_code == 409
    _assign(case["id"], world.mediator)
    response = api(world.mediator).post(f"/cases/{case['id']}/filings/{zh.filing_id}/translations/human", human)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["origin"] == "human"
    assert response.get_json()["provenance"]["translator"] == world.mediator.display_name
    db.session.expire_all()
    assert zh.open_flags == []
    page = browser(world.seller).get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "Human translation" in page and "猫看见狗。权利人有初步证据。" in page
    kinds = [e["kind"] for e in seller.get(f"/cases/{case['id']}/events").get_json()["events"]]
    assert "translation_flagged" in kinds and "human_translation_added" in kinds


def test_the_mediator_reads_original_and_translation_side_by_side(app, world, api, browser):
    reader = make_account(Role.MEDIATOR, "zh-mediator@example.org", country="SG", language="zh", tz="Asia/Singapore")
    case = _file(api, world)
    _assign(case["id"], reader)
    page = browser(reader).get(f"/cases/{case['id']}").get_data(as_text=True)
    assert 'class="side-by-side"' in page and NOTICE.split(".")[0] in page and "这 猫 看见 这 狗." in page
    form = browser(reader).post(
        f"/cases/{case['id']}/filings/{case['filings'][0]['id']}/translations/human",
        {"language": "zh", "text": "人工翻译。"},
        form_page=f"/cases/{case['id']}",
    )
    assert form.status_code == 302


def test_operators_list_install_and_remove_models(app, argos_archives, tmp_path):
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["languages", "list"])
    assert "en -> es" in listed.output and "es -> zh" in listed.output.split("Through en:")[1]


def test_install_remove_and_index_errors_on_a_fresh_folder(argos_archives, tmp_path, monkeypatch):
    import time

    from odr import create_app

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "ARGOS_PACKAGES_DIR": str(tmp_path / "packages"),
        }
    )
    with app.app_context():
        db.create_all()
        runner = app.test_cli_runner()
        assert "No translation models" in runner.invoke(args=["languages", "list"]).output
        bad = tmp_path / "bad.argosmodel"
        bad.write_bytes(b"not a zip")
        result = runner.invoke(args=["languages", "install", str(bad)])
        assert result.exit_code != 0 and "not an .argosmodel" in result.output
        result = runner.invoke(args=["languages", "install", str(argos_archives[("en", "es")])])
        assert result.exit_code == 0 and "Installed en->es 1.0" in result.output
        assert "en -> es" in runner.invoke(args=["languages", "list"]).output
        started = time.monotonic()
        result = runner.invoke(args=["languages", "install", "--from-index", "en", "fr"])
        assert result.exit_code != 0 and "Cannot reach the argos package index" in result.output
        assert time.monotonic() - started < 10
        assert runner.invoke(args=["languages", "remove", "en", "es"]).exit_code == 0
        assert runner.invoke(args=["languages", "remove", "en", "es"]).exit_code != 0
        listed = tmp_path / "list.argosmodel"
        from tests.translation.argos_builder import repack

        repack(argos_archives[("es", "en")], listed, files={"metadata.json": b'["es", "en"]'})
        result = runner.invoke(args=["languages", "install", str(listed)])
        assert result.exit_code == 1 and "metadata.json must be a JSON object" in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        for pair in [("es", "en"), ("en", "zh")]:
            assert runner.invoke(args=["languages", "install", str(argos_archives[pair])]).exit_code == 0
        result = runner.invoke(args=["languages", "remove", "es", "en"])
        assert result.exit_code != 0 and "es->zh" in result.output and "--force" in result.output
        assert "es -> en" in runner.invoke(args=["languages", "list"]).output
        result = runner.invoke(args=["languages", "remove", "es", "en", "--force"])
        assert result.exit_code == 0 and "No longer available: es->zh" in result.output
        db.session.remove()
        db.engine.dispose()


def test_one_failing_filing_does_not_fail_the_others_of_its_batch(app, world, api, monkeypatch):
    from odr.translation.engine import EngineError, engine_for

    engine = engine_for(app.config["ODR"]["ARGOS_PACKAGES_DIR"])
    real = engine.translate

    def fails_on_fish(model, segments):  # one filing the model crashes on, in the same batch as others
        if any("pez" in s for s in segments):
            raise EngineError("sequence too long for the model")
        return real(model, segments)

    monkeypatch.setattr(engine, "translate", fails_on_fish)
    monkeypatch.setattr(services, "enqueue", lambda ids: None)  # let them queue up: one batch
    cases = [_file(api, world, text=text)["id"] for text in ("el gato duerme.", "un pez come.", "el perro lee.")]
    batches = engine.batches
    assert services.process_due() == 3
    rows = [_rows(case_id)["zh"] for case_id in cases]
    assert [r.status for r in rows] == [TranslationStatus.DONE, TranslationStatus.PENDING, TranslationStatus.DONE]
    assert [r.text for r in rows] == ["这 猫 睡觉.", None, "这 狗 读."]
    assert [bool(r.last_error) for r in rows] == [False, True, False]
    assert "sequence too long" in rows[1].last_error and rows[1].next_attempt_at is not None
    assert engine.batches - batches <= 4  # bisected, not one call per filing from the start


def test_a_mediator_who_joins_reads_the_filings_in_english_through_the_api(app, world, api):
    from odr.mediation.models import MediatorAppointment
    from odr.mediation.services import accept_appointment, assign_mediator

    english = make_account(
        Role.MEDIATOR, "en-mediator@example.org", country="GB", language="en", tz="Europe/London", languages="en,zh"
    )
    case = _file(api, world)
    assert "en" not in _rows(case["id"])
    assign_mediator(world.admin, case["id"], english.id)
    appointment = db.session.scalar(db.select(MediatorAppointment).where(MediatorAppointment.case_id == case["id"]))
    accept_appointment(english, appointment.id, declared=True)
    filing_id = case["filings"][0]["id"]
    seen = api(english).get(f"/cases/{case['id']}/filings/{filing_id}/translations").get_json()
    [en] = [t for t in seen["translations"] if t["language"] == "en"]
    assert en["status"] == "done" and en["text"].startswith("the cat sees the dog.")


def test_reading_a_case_page_or_the_api_writes_nothing(app, world, api, browser):
    from odr.cases.models import Case

    english = make_account(Role.MEDIATOR, "late@example.org", country="GB", language="en", languages="en")
    case = _file(api, world)
    db.session.get(Case, case["id"]).mediator_id = english.id  # no announcement: as if a receiver had failed
    db.session.commit()
    before = db.session.scalar(db.select(db.func.count()).select_from(Translation))
    assert browser(english).get(f"/cases/{case['id']}").status_code == 200
    assert api(english).get(f"/cases/{case['id']}").status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(Translation)) == before
    # The sweep is the catch-all: it requests what a reader lacks, whatever the channel they read through.
    services.enqueue(services.request_missing())
    assert _rows(case["id"])["en"].status == TranslationStatus.DONE


def test_translations_that_waited_or_failed_are_completed_after_an_install(
    app, world, api, browser, argos_archives, tmp_path, monkeypatch
):
    from odr.translation.engine import EngineError, engine_for
    from odr.translation.packages import do_install

    folder = tmp_path / "packages"
    do_install(argos_archives[("es", "en")], folder)  # en->zh is missing: es->zh cannot go through English
    monkeypatch.setitem(app.config["ODR"], "ARGOS_PACKAGES_DIR", str(folder))
    waiting = _rows(_file(api, world)["id"])["zh"]
    assert waiting.status == TranslationStatus.UNAVAILABLE and waiting.missing_pair == "es->zh (or en->zh)"
    seen = api(world.seller).get(f"/cases/{waiting.filing.case_id}").get_json()["filings"][0]["translations"][0]
    assert (seen["status"], seen["missing_model"], seen["last_error"]) == ("unavailable", "es->zh (or en->zh)", None)
    _assign(waiting.filing.case_id, world.mediator)
    seen = api(world.mediator).get(f"/cases/{waiting.filing.case_id}").get_json()["filings"][0]["translations"][0]
    assert seen["last_error"] == "no installed model for es->zh (or en->zh)"
    page = browser(world.mediator).get(f"/cases/{waiting.filing.case_id}").get_data(as_text=True)
    assert "no model installed" in page and "Missing model: es-&gt;zh (or en-&gt;zh)" in page

    mediator = make_account(Role.MEDIATOR, "en-only@example.org", country="GB", language="en", languages="en")
    broken = _file(api, world, text="el perro duerme.")
    with monkeypatch.context() as patch:
        patch.setattr(
            engine_for(folder), "translate", lambda model, segments: (_ for _ in ()).throw(EngineError("crash"))
        )
        _assign(broken["id"], mediator)
    failed = _rows(broken["id"])["en"]
    failed.status, failed.attempts = TranslationStatus.FAILED, services.MAX_ATTEMPTS  # retries used up
    db.session.commit()

    page = browser(world.admin).get("/admin/translations").get_data(as_text=True)
    assert "Missing model: es-&gt;zh (or en-&gt;zh)" in page and "EngineError: crash" in page
    assert browser(world.seller).get("/admin/translations").status_code == 403

    runner = app.test_cli_runner()
    result = runner.invoke(args=["languages", "install", str(argos_archives[("en", "zh")])])
    assert result.exit_code == 0 and "3 translation(s)" in result.output, result.output  # two zh, one en
    db.session.expire_all()
    assert (waiting.status, waiting.text) == (TranslationStatus.DONE, "这 猫 看见 这 狗. 这 权利人 tiene 初步证据.")
    assert (failed.status, failed.text, failed.last_error) == (TranslationStatus.DONE, "the dog sleeps.", "")


def test_an_offers_licence_terms_are_translated_with_its_text(app, world, api, browser):
    from odr.cases.models import FilingKind

    case = _file(api, world)
    offer = Filing(
        case_id=case["id"],
        kind=FilingKind.OFFER,
        author_id=world.holder.id,
        author_case_role="claimant",
        language="es",
        text="el gato duerme.",
        terms={"amount": "400", "currency": "EUR", "licence": "el niño lee un libro."},
    )
    db.session.add(offer)
    db.session.commit()
    services.enqueue(services.request_translations(offer))  # what the sweep does for a filing without them
    zh = db.session.scalar(db.select(Translation).where(Translation.filing_id == offer.id))
    assert (zh.text, zh.terms) == ("这 猫 睡觉.", {"licence": "这 孩子 读 一个 书."})
    page = browser(world.seller).get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "这 孩子 读 一个 书." in page


def test_an_incomplete_translation_says_so_everywhere_it_is_read(app, world, api, browser, monkeypatch):
    from odr.translation.engine import engine_for

    engine = engine_for(app.config["ODR"]["ARGOS_PACKAGES_DIR"])
    real = engine.translate

    def cannot_end_the_fish(model, segments):  # as if the model ran out of positions on that sentence
        return [None if "pez" in s else out for s, out in zip(segments, real(model, segments), strict=True)]

    monkeypatch.setattr(engine, "translate", cannot_end_the_fish)
    case = _file(api, world, text="el gato duerme. un pez come.")
    zh = _rows(case["id"])["zh"]
    assert zh.status == TranslationStatus.DONE and zh.incomplete and zh.untranslated == ["un pez come."]
    assert zh.text == "这 猫 睡觉. un pez come."
    [seen] = api(world.seller).get(f"/cases/{case['id']}").get_json()["filings"][0]["translations"]
    assert (seen["incomplete"], seen["untranslated"]) == (True, ["un pez come."])
    page = browser(world.seller).get(f"/cases/{case['id']}").get_data(as_text=True)
    assert "Incomplete: 1 sentence could not be translated whole" in page


@pytest.fixture
def queue(idle_queue):
    """The translation jobs, taken off a queue nobody consumes."""
    huey, taken = idle_queue
    return huey, lambda: taken(services.translate_task)


def test_filings_arriving_while_a_job_waits_are_translated_by_that_one_job(app, world, api, queue):
    huey, translation_jobs = queue
    cases = [_file(api, world, text=text) for text in ("el gato.", "el perro.", "el gato ve el perro.")]
    jobs = translation_jobs()
    assert len(jobs) == 1  # one job for the three filings, not one each
    huey.execute(jobs[0])
    db.session.expire_all()
    assert [_rows(case["id"])["zh"].status for case in cases] == [TranslationStatus.DONE] * 3
    # The job cleared its mark when it started: a filing after it queues a job of its own.
    later = _file(api, world, text="el perro ve el gato.")
    jobs = translation_jobs()
    assert len(jobs) == 1
    huey.execute(jobs[0])
    db.session.expire_all()
    assert _rows(later["id"])["zh"].status == TranslationStatus.DONE


def test_a_mark_whose_job_was_lost_is_cleared_by_the_minute_sweep(app, world, api, queue):
    huey, translation_jobs = queue
    huey.put_if_empty(services.WAITING_JOB, True)  # a job was queued, then lost with its queue
    case = _file(api, world, text="el gato.")
    assert translation_jobs() == []  # held back by the mark
    assert services.sweep() == 1  # the sweep translates what waits and clears the mark
    assert _rows(case["id"])["zh"].status == TranslationStatus.DONE
    _file(api, world, text="el perro.")
    assert len(translation_jobs()) == 1


@pytest.mark.e2e
def test_flagging_and_replacing_a_caucus_translation_leaves_no_trace_for_the_other_party(app, world, api):
    case = _file(api, world)
    _assign(case["id"], world.mediator)
    private = {"kind": "message", "language": "en", "text": "the cat sees the dog.", "caucus": "respondent"}
    assert api(world.mediator).post(f"/cases/{case['id']}/filings", private).status_code == 201
    caucus_filing = db.session.scalars(db.select(Filing).where(Filing.caucus_party_id.is_not(None))).one()
    zh = db.session.scalars(
        db.select(Translation).where(Translation.filing_id == caucus_filing.id, Translation.target_language == "zh")
    ).one()
    assert zh.status == TranslationStatus.DONE
    seller = api(world.seller)
    assert seller.post(f"/cases/{case['id']}/translations/{zh.id}/flags", {"reason": "wrong"}).status_code == 201
    human = {"language": "zh", "text": "猫看见狗。"}
    response = api(world.mediator).post(f"/cases/{case['id']}/filings/{caucus_filing.id}/translations/human", human)
    assert response.status_code == 201, response.get_json()
    for account in (world.holder, world.seller, world.mediator):
        events = api(account).get(f"/cases/{case['id']}/events").get_json()["events"]
        kinds = [e["kind"] for e in events]
        assert "translation_flagged" not in kinds and "human_translation_added" not in kinds
        # The caucus's activity shows as such, with nothing of the message: no id, language or digest.
        activity = [e for e in events if e["kind"] == "caucus_activity"]
        assert len(activity) == 2 and all(set(e["payload"]) <= {"effective_at"} for e in activity)
        assert all(e["payload"].get("filing_id") != caucus_filing.id for e in events)
    # The flag and the human translation themselves are kept, for those who may read the message.
    db.session.expire_all()
    assert zh.open_flags == [] and response.get_json()["text"] == "猫看见狗。"


def test_a_notice_and_its_translation_request_commit_together_once(app, world, api, monkeypatch):
    """The seller's translation of a new notice is requested in the notice's own transaction: one commit, and
    the job queued once it is committed."""
    from sqlalchemy import event

    client = api(world.holder)
    commits: list[object] = []
    queued: list[tuple[int, list[int]]] = []
    queue = services.enqueue

    def committed(connection):
        commits.append(connection)

    def enqueue(ids):
        queued.append((len(commits), ids))
        queue(ids)

    monkeypatch.setattr(services, "enqueue", enqueue)
    event.listen(db.engine, "commit", committed)
    try:
        response = client.post("/cases", notice_data(text=NOTICE))
    finally:
        event.remove(db.engine, "commit", committed)
    assert response.status_code == 201, response.get_json()
    zh = _rows(response.get_json()["id"])["zh"]
    assert queued == [(1, [zh.id])]  # queued after the notice's one commit, which holds the request
    assert zh.status == TranslationStatus.DONE and zh.text == "这 猫 看见 这 狗. 这 权利人 tiene 初步证据."
