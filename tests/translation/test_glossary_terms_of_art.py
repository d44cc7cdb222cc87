"""Issue 12, glossary terms of art: each rendering says where it comes from; no rendering is a term of art of
another institution (German press law's Gegendarstellung, the German Anscheinsbeweis, the French
commencement de preuve), in the glossary or in the UI catalogs."""

import re
from pathlib import Path

import pytest
import yaml

from odr.translation.glossary import GlossaryError, _check

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "glossary" / "legal-ip.yaml"
WRONG = {"de": ["Gegendarstellung", "Anscheinsbeweis"], "fr": ["commencement de preuve"]}


def concepts():
    return {c["id"]: c for c in yaml.safe_load(GLOSSARY.read_text("utf-8"))["concepts"]}


def test_no_rendering_is_another_institutions_term_of_art():
    for concept in concepts().values():
        for language, wrong in WRONG.items():
            forms = " ".join(concept.get(language, [])).lower()
            assert not any(w.lower() in forms for w in wrong), (concept["id"], language)
    for language, wrong in WRONG.items():
        catalog = (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").read_text("utf-8").lower()
        assert not any(w.lower() in catalog for w in wrong), language


def test_the_corrected_renderings_cite_where_they_come_from():
    found = concepts()
    assert (
        found["counter_notice"]["de"][0] == "Gegenmeldung" and "Beschwerde" in found["counter_notice"]["sources"]["de"]
    )
    assert found["prima_facie_evidence"]["de"][0] == "erste Nachweise"
    assert "1362" in found["prima_facie_evidence"]["sources"]["fr"]
    assert all(c.get("source") for c in found.values())


def test_an_entry_without_a_source_or_with_a_source_for_a_language_it_lacks_is_refused(tmp_path):
    with pytest.raises(GlossaryError, match="cites no source"):
        _check({"concepts": [{"id": "x", "en": ["x"], "de": ["x"]}]}, tmp_path / "g.yaml")
    with pytest.raises(GlossaryError, match="sources must map"):
        _check({"concepts": [{"id": "x", "source": "s", "en": ["x"], "sources": {"fr": "s"}}]}, tmp_path / "g.yaml")


# Words a catalog keeps apart: (the English word, the rendering it takes, the rendering reserved for another concept).
# German marketplaces call an offer to settle an "Angebot"; a listing is an "Inserat", so "accept this offer" never
# reads as "accept this listing".
KEPT_APART = {"de": [("listing", "Inserat", "Angebot")]}


def _catalog_pairs(language):
    from babel.messages.pofile import read_po

    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        for message in read_po(f):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if ids[0]:  # the words of the message, not the names of its placeholders
                yield re.sub(r"%\(\w+\)\w", "", " ".join(ids)).lower(), " ".join(s for s in strings if s)


@pytest.mark.parametrize("language", sorted(KEPT_APART))
def test_a_listing_and_an_offer_keep_their_own_words(language):
    for word, rendering, reserved in KEPT_APART[language]:
        about_the_word_only = [
            (msgid, text)
            for msgid, text in _catalog_pairs(language)
            if word in msgid and "offer" not in msgid and "propos" not in msgid
        ]
        assert about_the_word_only
        assert [m for m, t in about_the_word_only if reserved in t] == []
        assert [(m, t) for m, t in about_the_word_only if t and rendering not in t] == []
