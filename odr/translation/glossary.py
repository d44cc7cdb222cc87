"""The legal glossary: key terms always come out the same, whatever the model would have said.

Before a segment goes to the model, each glossary term in it is replaced by a numbered placeholder
(⟦1⟧, ⟦2⟧ ...) the model copies through; afterwards the placeholders become the glossary's rendering
in the target language. If a model drops, duplicates or mangles a placeholder, the caller translates
the text between the terms on its own and puts the terms back in, so the glossary still wins.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PLACEHOLDER = re.compile(r"⟦(\d+)⟧")


class GlossaryError(ValueError):
    """The glossary data is malformed."""


@dataclass(frozen=True)
class Protected:
    """A segment with its glossary terms replaced by placeholders, and what each placeholder becomes."""

    text: str
    terms: tuple[str, ...]  # target renderings, placeholder n is terms[n-1]
    pieces: tuple[str, ...]  # the text between the terms, for the fallback

    def restore(self, translated: str) -> str | None:
        """The translation with terms written back; None when the model did not keep every placeholder once."""
        found = [int(n) for n in PLACEHOLDER.findall(translated)]
        if sorted(found) != list(range(1, len(self.terms) + 1)):
            return None
        return PLACEHOLDER.sub(lambda m: self.terms[int(m.group(1)) - 1], translated)


def _is_cased(text: str) -> bool:
    return any(ch.isalpha() and ch.lower() != ch.upper() for ch in text)


def _needs_boundaries(term: str) -> bool:
    # Scripts without spaces (Chinese, Japanese, Thai) have no word boundaries to look for.
    return not any(unicodedata.east_asian_width(ch) == "W" or "\u0e00" <= ch <= "\u0eff" for ch in term)


class Glossary:
    def __init__(self, concepts: list[dict], version: str):
        self.concepts = concepts
        self.version = version
        self._pairs: dict[tuple[str, str], tuple[re.Pattern, dict[str, str]] | None] = {}

    def _pair(self, source: str, target: str):
        if (source, target) not in self._pairs:
            renderings: dict[str, str] = {}
            for concept in self.concepts:
                if concept.get(source) and concept.get(target):
                    for form in concept[source]:
                        renderings.setdefault(form.casefold(), concept[target][0])
            if not renderings:
                self._pairs[(source, target)] = None
            else:
                # Longest first, so "repeat infringer" wins over "infringer".
                alternatives = []
                for form in sorted(renderings, key=len, reverse=True):
                    escaped = re.escape(form).replace(r"\ ", r"\s+")
                    alternatives.append(rf"(?<!\w){escaped}(?!\w)" if _needs_boundaries(form) else escaped)
                self._pairs[(source, target)] = (re.compile("|".join(alternatives), re.IGNORECASE), renderings)
        return self._pairs[(source, target)]

    def protect(self, segment: str, source: str, target: str) -> Protected:
        pair = self._pair(source, target)
        if pair is None:
            return Protected(segment, (), (segment,))
        pattern, renderings = pair
        terms: list[str] = []
        pieces: list[str] = []
        out: list[str] = []
        last = 0
        for match in pattern.finditer(segment):
            found = match.group(0)
            rendering = renderings[re.sub(r"\s+", " ", found).casefold()]
            if found[:1].isupper() and _is_cased(rendering) and rendering[:1].islower():
                rendering = rendering[:1].upper() + rendering[1:]  # a term that starts a sentence
            terms.append(rendering)
            pieces.append(segment[last : match.start()])
            out.append(segment[last : match.start()] + f"⟦{len(terms)}⟧")
            last = match.end()
        pieces.append(segment[last:])
        out.append(segment[last:])
        return Protected("".join(out), tuple(terms), tuple(pieces))

    def terms(self, source: str, target: str) -> list[tuple[str, str]]:
        """(source form, target rendering) pairs, for the documentation and the UI."""
        pair = self._pair(source, target)
        return sorted(pair[1].items()) if pair else []


def _check(data, path: Path) -> list[dict]:
    if not isinstance(data, dict) or not isinstance(data.get("concepts"), list):
        raise GlossaryError(f"{path}: expected a mapping with a list of concepts")
    for concept in data["concepts"]:
        if not isinstance(concept, dict) or not isinstance(concept.get("id"), str):
            raise GlossaryError(f"{path}: every concept needs an id")
        if not isinstance(concept.get("source"), str) or not concept["source"].strip():
            raise GlossaryError(f"{path}: {concept['id']} cites no source for its renderings")
        sources = concept.get("sources", {})
        if not isinstance(sources, dict) or not all(
            lang in concept and isinstance(text, str) and text.strip() for lang, text in sources.items()
        ):
            raise GlossaryError(
                f"{path}: {concept['id']}.sources must map its languages to where each rendering comes from"
            )
        for key, forms in concept.items():
            if key not in ("id", "source", "sources", "note") and (
                not isinstance(forms, list) or not forms or not all(isinstance(f, str) and f.strip() for f in forms)
            ):
                raise GlossaryError(f"{path}: {concept['id']}.{key} must be a non-empty list of terms")
    return data["concepts"]


@lru_cache(maxsize=4)
def _load(directory: str, stamp: tuple) -> Glossary:
    concepts: list[dict] = []
    digest = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.yaml")):
        raw = path.read_bytes()
        digest.update(raw)
        concepts.extend(_check(yaml.safe_load(raw), path))
    return Glossary(concepts, digest.hexdigest()[:12])


def load(directory: str | Path) -> Glossary:
    """Every *.yaml in the directory; re-read when a file changes."""
    paths = sorted(Path(directory).glob("*.yaml"))
    return _load(str(directory), tuple((p.name, p.stat().st_mtime_ns) for p in paths))
