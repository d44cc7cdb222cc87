"""Models a court can rely on: nothing cut, nothing mixed, nothing installed that does not work."""

from __future__ import annotations

import json

import pytest

from odr.translation import glossary as glossary_data
from odr.translation.engine import Engine, compute_fingerprint, read_model
from odr.translation.packages import PackageError, dependent_pivots, do_install
from odr.translation.pipeline import Pipeline
from tests.translation.argos_builder import build_package, dictionary, repack

SHORT = 64  # positions of the short model: 63 source tokens and its end token


@pytest.fixture(scope="module")
def short_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("short-packages")
    do_install(build_package("en", "es", tmp_path_factory.mktemp("short"), positions=SHORT), folder)
    return folder


def _pipeline(app, folder) -> Pipeline:
    return Pipeline(Engine(folder), glossary_data.load(app.config["ODR"]["GLOSSARY_DIR"]))


def _word_by_word(text: str) -> str:
    words = dictionary("en", "es")
    return " ".join(words.get(w, w) for w in text.split(" "))


def test_the_limit_is_read_from_the_model_itself(short_model):
    [model] = Engine(short_model).models().values()
    assert model.positions == SHORT


def test_a_long_sentence_without_commas_is_translated_whole_on_a_short_model(app, short_model):
    words = [row for row in dictionary("en", "es") if row != "the"]
    sentence = " ".join(words[i % len(words)] for i in range(400)) + "."
    [result] = _pipeline(app, short_model).translate([sentence], "en", "es")
    assert not result.incomplete
    assert result.text == _word_by_word(sentence[:-1]) + "."
    assert len(result.text.split(" ")) == 400


def test_a_long_sentence_is_split_at_its_clauses(app, short_model):
    clause = "the big dog likes water and the small cat eats a fish"
    sentence = ", ".join([clause] * 30) + "."
    work = _pipeline(app, short_model)
    [result] = work.translate([sentence], "en", "es")
    assert result.text == ", ".join([_word_by_word(clause)] * 30) + "."
    assert result.segments == 1 and not result.incomplete


def test_an_output_the_model_cannot_end_is_kept_in_the_original_and_marked(app, short_model, monkeypatch):
    work = _pipeline(app, short_model)
    real = work.engine.translate

    def never_ends_on_fish(model, segments):  # as if decoding ran out of positions on that sentence
        return [None if "fish" in s else out for s, out in zip(segments, real(model, segments), strict=True)]

    monkeypatch.setattr(work.engine, "translate", never_ends_on_fish)
    [result] = work.translate(["the cat sleeps. a bird eats a fish! the dog sees the house."], "en", "es")
    assert result.text == "el gato duerme. a bird eats a fish! el perro ve el casa."
    assert result.incomplete and result.untranslated == ["a bird eats a fish!"]


def test_the_engine_reports_an_output_cut_at_the_decoding_limit(short_model):
    engine = Engine(short_model)
    [model] = engine.models().values()
    from dataclasses import replace

    cramped = replace(model, positions=8)  # decoding may produce at most 7 tokens: the sentence needs more
    assert engine.translate(cramped, ["the cat sees the dog and the bird."]) == [None]
    assert engine.translate(model, ["the cat sees the dog and the bird."]) == ["el gato ve el perro y el pájaro."]


def test_two_builds_with_one_version_are_two_models_and_never_share_memory(app, tmp_path):
    first = build_package("en", "es", tmp_path / "a")
    second = build_package("en", "es", tmp_path / "b", renamed={"cat": "perro"})  # same version, other weights
    folder = tmp_path / "packages"
    do_install(first, folder)
    work = _pipeline(app, folder)
    [before] = work.translate(["the cat sleeps."], "en", "es")
    fingerprint = work.route("en", "es")[0].fingerprint
    do_install(second, folder)
    [model] = work.engine.models().values()
    assert model.package_version == "1.0" and model.fingerprint != fingerprint
    assert model.fingerprint == compute_fingerprint(model.path)
    [after] = work.translate(["the cat sleeps."], "en", "es")
    assert (before.text, after.text) == ("el gato duerme.", "el perro duerme.")
    assert after.memory_hits == 0


def test_a_package_reusing_another_pairs_folder_is_refused_and_both_pairs_stay(tmp_path):
    folder = tmp_path / "packages"
    do_install(build_package("en", "es", tmp_path), folder)
    do_install(build_package("es", "en", tmp_path), folder)
    intruder = repack(
        build_package("en", "zh", tmp_path), tmp_path / "intruder.argosmodel", folder="translate-en_es-1_0"
    )
    with pytest.raises(PackageError, match="holds en->es.*Refusing to replace another pair"):
        do_install(intruder, folder)
    assert set(Engine(folder).models()) == {("en", "es"), ("es", "en")}


def test_a_package_with_garbage_weights_is_refused_and_nothing_is_left(tmp_path):
    folder = tmp_path / "packages"
    garbage = repack(
        build_package("en", "es", tmp_path),
        tmp_path / "garbage.argosmodel",
        files={"model/model.bin": bytes(range(256)) * 64},
    )
    with pytest.raises(PackageError, match="does not load or run"):
        do_install(garbage, folder)
    assert list(p.name for p in folder.iterdir() if not p.name.startswith(".")) == []
    assert not any(p.name.startswith(".staging") for p in folder.iterdir())


@pytest.mark.parametrize(
    "metadata, message",
    [
        ([{"from_code": "en", "to_code": "es"}], "must be a JSON object, not list"),
        ({"from_code": "xx", "to_code": "yy", "type": "translate"}, "'xx' is not an ISO 639"),
        ({"from_code": "en", "to_code": "en", "type": "translate"}, "from en to itself"),
        ({"from_code": "en", "to_code": "e/s", "type": "translate"}, "not an ISO 639"),
    ],
)
def test_bad_metadata_is_refused_with_its_reason(tmp_path, metadata, message):
    bad = repack(
        build_package("en", "es", tmp_path),
        tmp_path / "bad.argosmodel",
        files={"metadata.json": json.dumps(metadata).encode()},
    )
    with pytest.raises(PackageError, match=message):
        do_install(bad, tmp_path / "packages")


def test_a_newer_package_of_the_same_pair_replaces_the_older_one(tmp_path):
    folder = tmp_path / "packages"
    do_install(build_package("en", "es", tmp_path), folder)
    done = do_install(build_package("en", "es", tmp_path, version="1.1"), folder)
    assert [m.name for m in done.replaced] == ["translate-en_es-1_0"]
    assert [read_model(p).package_version for p in folder.iterdir() if not p.name.startswith(".")] == ["1.1"]


def test_removing_a_half_of_a_pivot_lists_the_pairs_that_depend_on_it(argos_models):
    assert dependent_pivots(argos_models, "es", "en") == ["es->zh"]
    assert dependent_pivots(argos_models, "en", "zh") == ["es->zh"]
    assert dependent_pivots(argos_models, "en", "es") == []


def test_a_long_run_without_spaces_or_punctuation_is_cut_between_tokens(app, short_model):
    work = _pipeline(app, short_model)
    text = "cat" * 120 + "."  # one "word": no clause and no space to cut at
    [model] = work.engine.models().values()
    assert len(work.engine.pieces(model, text)) > SHORT
    [result] = work.translate([text], "en", "es")
    assert (
        not result.incomplete
        and result.text.replace(" ", "").count("gato") + result.text.replace(" ", "").count("cat") >= 100
    )
