"""The engine, glossary and memory on real (tiny) argos-translate packages: exact outputs."""

from __future__ import annotations

import pytest

from odr.translation import services
from odr.translation.engine import EngineError
from odr.translation.models import SegmentMemory


@pytest.fixture
def work(app):
    return services.pipeline()


def test_a_direct_model_translates_every_sentence_exactly(work):
    [result] = work.translate(["the cat sees the dog. a bird eats a fish!"], "en", "es")
    assert result.text == "el gato ve el perro. un pájaro come un pez!"
    assert (result.segments, result.memory_hits) == (2, 0)


def test_paragraphs_keep_their_line_breaks(work):
    [result] = work.translate(["el gato ve el perro.\n\nel niño lee un libro."], "es", "en")
    assert result.text == "the cat sees the dog.\n\nthe child reads a book."


def test_many_filings_go_through_in_one_batch_and_come_back_to_their_own(work):
    batches = work.engine.batches
    results = work.translate(["the cat. the dog.", "a bird!\nthe fish.", "water?"], "en", "es")
    assert [r.text for r in results] == ["el gato. el perro.", "un pájaro!\nel pez.", "agua?"]
    assert work.engine.batches == batches + 1


def test_the_batched_engine_gives_what_argostranslate_gives(work, argos_models, monkeypatch):
    import argostranslate.translate
    from argostranslate import settings

    monkeypatch.setattr(settings, "package_dirs", [argos_models])  # another test may have pointed it elsewhere
    argostranslate.translate.get_installed_languages.cache_clear()
    argostranslate.translate.installed_translates.clear()
    texts = {
        ("en", "es"): "the big dog likes water. a woman reads a book!",
        ("es", "en"): "el hombre duerme en la casa.",
        ("en", "zh"): "the child eats a fish.",
    }
    for (source, target), text in texts.items():
        [ours] = work.translate([text], source, target)
        assert ours.text == argostranslate.translate.translate(text, source, target)


def test_spanish_to_chinese_goes_through_english(work):
    route = work.route("es", "zh")
    assert [(m.from_code, m.to_code) for m in route] == [("es", "en"), ("en", "zh")]
    [result] = work.translate(["el niño lee un libro."], "es", "zh")
    assert result.text == "这 孩子 读 一个 书."


def test_chinese_sentences_keep_a_visible_boundary(work):
    # The model keeps the Latin full stop, so without a space the boundary would vanish ("睡觉.这").
    [result] = work.translate(["the cat sleeps. the dog eats."], "en", "zh")
    assert result.text == "这 猫 睡觉. 这 狗 吃."


def test_sentences_ending_with_a_full_width_stop_are_joined_as_chinese_is_written():
    from odr.translation.pipeline import join_sentences

    assert join_sentences(["猫睡觉。", "狗吃！", "好"], "zh") == "猫睡觉。狗吃！好"
    assert join_sentences(["a.", "b."], "es") == "a. b."


def test_glossary_terms_are_protected_and_always_win(work):
    [es] = work.translate(["the counter-notice is good. the right holder sees the takedown."], "en", "es")
    assert es.text == "el contranotificación es bueno. el titular del derecho ve el retirada."
    [zh] = work.translate(["Prima facie evidence and good faith!"], "en", "zh")
    assert zh.text == "初步证据 和 善意!"
    [pivot] = work.translate(["el titular del derecho lee un libro de mala fe."], "es", "zh")
    assert pivot.text == "这 权利人 读 一个 书 de 恶意."


def test_glossary_wins_even_when_the_model_drops_a_placeholder(work, monkeypatch):
    real = work.engine.translate

    def careless(model, segments):  # a model that "translates" the placeholders away
        return [s.replace("⟦1⟧", "notice") for s in real(model, segments)]

    monkeypatch.setattr(work.engine, "translate", careless)
    [result] = work.translate(["the dog sees the perjury."], "en", "es")
    assert result.text == "el perro ve el perjurio ."


@pytest.mark.postgres
def test_a_sentence_translated_once_comes_from_memory_without_the_engine(app, work):
    from odr.extensions import db

    text = "the small bird sleeps. the red house is big."
    work.translate([text], "en", "es")
    db.session.commit()
    segments_before, batches_before = work.engine.segments, work.engine.batches
    [again] = work.translate([text + " a man runs."], "en", "es")
    assert again.text == "el pequeño pájaro duerme. el rojo casa es grande. un hombre runs."
    assert (again.segments, again.memory_hits) == (3, 2)
    assert work.engine.segments - segments_before == 1  # only the new sentence reached the engine
    assert work.engine.batches - batches_before == 1
    [third] = work.translate([text], "en", "es")
    assert (third.memory_hits, work.engine.batches - batches_before) == (2, 1)
    hits = {m.source_text: m.hits for m in db.session.scalars(db.select(SegmentMemory))}
    assert hits["the small bird sleeps."] == 2


def test_memory_is_per_model_version(work, monkeypatch):
    from dataclasses import replace

    work.translate(["the woman sleeps."], "en", "es")
    model = work.route("en", "es")[0]
    newer = replace(model, package_version="2.0")
    monkeypatch.setattr(work.engine, "route", lambda s, t: [newer])
    before = work.engine.segments
    [result] = work.translate(["the woman sleeps."], "en", "es")
    assert result.memory_hits == 0 and work.engine.segments == before + 1


def test_a_pair_without_a_model_is_reported_not_invented(work):
    from odr.translation.pipeline import NoModel

    assert work.engine.route("es", "de") is None
    with pytest.raises(NoModel):
        work.translate(["el gato."], "es", "de")


def test_engine_errors_are_raised_for_the_job_to_retry(work, monkeypatch):
    model = work.route("en", "es")[0]
    loaded = work.engine._load(model)

    class Broken:
        def translate_batch(self, *args, **kwargs):
            raise RuntimeError("out of memory")

    monkeypatch.setattr(loaded, "translator", Broken())
    with pytest.raises(EngineError, match="out of memory"):
        work.engine.translate(model, ["the cat."])
