"""The court's and the parties' languages are requested at export time and waited for, within a bound; what is
missing is named in the bundle. Tiny argos packages (es-en, en-es, en-zh) are built offline."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.export.conftest import escalate, stored_bundle
from tests.translation.conftest import argos_archives, argos_models  # noqa: F401  (session fixtures)


@pytest.fixture(autouse=True)
def _installed_models(argos_models, monkeypatch):  # noqa: F811
    monkeypatch.setenv("ODR_ARGOS_PACKAGES_DIR", str(argos_models))


def case_json_of(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read(f"{archive.namelist()[0].split('/')[0]}/data/case.json"))


def test_the_first_bundle_carries_the_courts_language_translated_at_export(app, world):
    case = escalate(world)  # the notice is in Spanish, the court (and the seller) read Chinese
    _export, path = stored_bundle(app, case.id)
    bundle = case_json_of(path)
    notice = next(d for d in bundle["documents"] if d["kind"] == "notice")
    (chinese,) = [r for r in notice["renditions"] if r["language"] == "zh"]
    provenance = chinese["provenance"]
    assert provenance["origin"] == "machine" and provenance["translated_at_export"] is True
    assert provenance["pivot"] == "en" and "→" in provenance["model"] and provenance["engine"]
    with zipfile.ZipFile(path) as archive:
        root = archive.namelist()[0].split("/")[0]
        assert archive.read(f"{root}/{chinese['path']}").decode("utf-8").strip()
    # The seller's Chinese response has no model to Spanish (no zh-en package): named, not hidden.
    response = next(d for d in bundle["documents"] if d["kind"] == "response")
    assert {
        "filing_id": response["filing_id"],
        "language": "es",
        "code": "no_model",
        "reason": "no translation model installed for zh to es",
    } in bundle["translation_gaps"]


def test_the_wait_is_bounded(app, world):
    app.config["ODR"]["EXPORT_TRANSLATION_WAIT_SECONDS"] = 0
    case = escalate(world)
    _export, path = stored_bundle(app, case.id)
    bundle = case_json_of(path)
    notice = next(d for d in bundle["documents"] if d["kind"] == "notice")
    assert [r["language"] for r in notice["renditions"]] == ["es"]
    assert {
        "filing_id": notice["filing_id"],
        "language": "zh",
        "code": "wait_over",
        "reason": "not translated within the export's wait of 0 s",
    } in bundle["translation_gaps"]


def test_a_closing_bundle_carries_the_decision_in_every_partys_language(app, world):
    import io

    from odr.cases.services import Upload
    from odr.export import court
    from tests.export.test_court_portal import DECISION, PDF

    case = escalate(world)
    decision = dict(DECISION, language="en", text="The listings are removed. The seller pays damages.")
    court.decide(world.court, case.id, decision, Upload(io.BytesIO(PDF), "decision.pdf"))
    _export, path = stored_bundle(app, case.id)
    bundle = case_json_of(path)
    filed = next(d for d in bundle["documents"] if d["kind"] == "decision")
    languages = {r["language"]: r for r in filed["renditions"]}
    assert set(languages) == {"en", "es", "zh"}  # the court's (zh) and the parties' (es, zh)
    assert all(languages[lang]["provenance"]["origin"] == "machine" for lang in ("es", "zh"))
    assert not [gap for gap in bundle["translation_gaps"] if gap["filing_id"] == filed["filing_id"]]
