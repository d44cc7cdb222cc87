"""From texts to translations: sentences, glossary placeholders, translation memory, batched engine calls."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from odr.extensions import db
from odr.models_base import utcnow
from odr.translation.engine import Engine, Model, joiner
from odr.translation.glossary import Glossary
from odr.translation.models import SegmentMemory

_SPACE = re.compile(r"\s+")
_WORDY = re.compile(r"\w")
# Units a long sentence is cut into, each with the spacing that follows it: clauses, then words.
_CLAUSES = re.compile(r".*?[,;:，；：、]\s*|.+", re.DOTALL)
_WORDS = re.compile(r"\S+\s*")
_FULL_STOP = ("。", "！", "？")


class NoModel(LookupError):
    """No installed model (direct or through English) for the pair."""


@dataclass
class Result:
    text: str
    segments: int
    memory_hits: int
    # Sentences the models could not translate whole: they stand in the text in the original.
    untranslated: list[str] = field(default_factory=list)

    @property
    def incomplete(self) -> bool:
        return bool(self.untranslated)


def normalize(segment: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", segment)).strip()


def join_sentences(sentences: list[str], language: str) -> str:
    """Sentences of one paragraph; in a script without spaces the boundary stays visible.

    A sentence that ends with a full-width stop is followed directly by the next one, as the script
    is written; after anything else (a model that kept a Latin full stop) a space marks the boundary."""
    sep = joiner(language)
    if sep:
        return sep.join(sentences)
    out = ""
    for sentence in sentences:
        if out and not out.endswith(_FULL_STOP):
            out += " "
        out += sentence
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Pipeline:
    def __init__(self, engine: Engine, glossary: Glossary):
        self.engine = engine
        self.glossary = glossary

    def route(self, source: str, target: str) -> list[Model]:
        route = self.engine.route(source, target)
        if route is None:
            raise NoModel(f"no model for {source}->{target}")
        return route

    def translate(self, texts: list[str], source: str, target: str) -> list[Result]:
        """Translate texts of one language pair together: one engine batch per model for all of them."""
        route = self.route(source, target)
        paragraphs = [p for text in texts for p in text.split("\n") if p.strip()]
        split = iter(self.engine.split(route[0], paragraphs) if paragraphs else [])
        layout: list[list[list[int]]] = []  # text -> paragraphs -> segment indexes
        segments: list[str] = []
        for text in texts:
            layout.append([])
            for paragraph in text.split("\n"):
                indexes = []
                for sentence in next(split) if paragraph.strip() else []:
                    indexes.append(len(segments))
                    segments.append(normalize(sentence))
                layout[-1].append(indexes)

        protected = [self.glossary.protect(s, source, target) for s in segments]
        outputs, from_memory = self._through(route, [p.text for p in protected])
        final = [p.restore(out) if out is not None else None for p, out in zip(protected, outputs, strict=True)]
        lost = [out is None for out in outputs]
        broken = [i for i, out in enumerate(final) if out is None and not lost[i]]
        if broken:
            # The model lost a placeholder: translate the text around the terms alone, keep the terms.
            pieces = sorted({normalize(piece) for i in broken for piece in protected[i].pieces if _WORDY.search(piece)})
            translated, _ = self._through(route, pieces)
            by_piece = dict(zip(pieces, translated, strict=True))
            for i in broken:
                if any(by_piece.get(normalize(piece), "") is None for piece in protected[i].pieces):
                    lost[i] = True
                    continue
                parts = []
                for n, piece in enumerate(protected[i].pieces):
                    parts.append(by_piece.get(normalize(piece), piece.strip()))
                    if n < len(protected[i].terms):
                        parts.append(protected[i].terms[n])
                final[i] = " ".join(p for p in parts if p)
                from_memory[i] = False
        for i in range(len(final)):
            if lost[i]:  # never cut short, never dropped: the sentence stays in the original
                final[i] = segments[i]
                from_memory[i] = False

        results = []
        for paragraphs in layout:
            indexes = [i for para in paragraphs for i in para]
            results.append(
                Result(
                    text="\n".join(join_sentences([final[i] for i in para], target) for para in paragraphs),
                    segments=len(indexes),
                    memory_hits=sum(1 for i in indexes if from_memory[i]),
                    untranslated=[segments[i] for i in indexes if lost[i]],
                )
            )
        return results

    def _through(self, route: list[Model], inputs: list[str]) -> tuple[list[str | None], list[bool]]:
        """Each model in turn: memory first, the engine only for what memory lacks.

        A segment longer than a model's limit goes through in parts (clauses, else words, else tokens)
        joined again; None for a segment the model could not translate whole."""
        current: list[str | None] = list(inputs)
        from_memory = [True] * len(inputs)
        for model in route:
            limit = self.engine.source_limit(model)
            parts_of = {c: self._fit(model, c, limit) for c in dict.fromkeys(c for c in current if c is not None)}
            unique = list(dict.fromkeys(p for parts in parts_of.values() for p in parts))
            known: dict[str, str | None] = dict(self._recall(model, unique))
            missing = [s for s in unique if s not in known]
            if missing:
                translated = self._translate_parts(model, missing)
                self._remember(model, {s: t for s, t in translated.items() if t is not None})
                known.update(translated)
                missing_set = set(missing)
                from_memory = [
                    hit and c is not None and not missing_set.intersection(parts_of[c])
                    for hit, c in zip(from_memory, current, strict=True)
                ]
            sep = joiner(model.to_code)
            joined: list[str | None] = []
            for c in current:
                outs = [known[p] for p in parts_of[c]] if c is not None else [None]
                done = [o for o in outs if o is not None]
                joined.append(sep.join(done) if len(done) == len(outs) else None)
            current = joined
        return current, from_memory

    def _fit(self, model: Model, text: str, limit: int) -> list[str]:
        """The text in parts of at most ``limit`` tokens: whole, else by clauses, words, then tokens."""
        if len(self.engine.pieces(model, text)) <= limit:
            return [text]
        for pattern in (_CLAUSES, _WORDS):
            units = pattern.findall(text)
            if len(units) > 1:
                parts: list[str] = []
                for unit in units:
                    if parts and len(self.engine.pieces(model, (parts[-1] + unit).strip())) <= limit:
                        parts[-1] += unit
                    else:
                        parts.append(unit)
                return [p for part in parts if part.strip() for p in self._fit(model, part.strip(), limit)]
        # Between tokens: a run of tokens, written back as text, may encode to a few more (a word start
        # marker), so each part is checked and shortened until it fits.
        tokens, chunks, start = self.engine.pieces(model, text), [], 0
        while start < len(tokens):
            size = min(limit, len(tokens) - start)
            chunk = self.engine.join_pieces(model, tokens[start : start + size])
            while size > 1 and len(self.engine.pieces(model, chunk)) > limit:
                size -= max(1, size // 8)
                chunk = self.engine.join_pieces(model, tokens[start : start + size])
            chunks.append(chunk)
            start += size
        return chunks

    def _translate_parts(self, model: Model, parts: list[str]) -> dict[str, str | None]:
        """One engine batch; an output cut at the decoding limit is tried again in two halves."""
        out = dict(zip(parts, self.engine.translate(model, parts), strict=True))
        for part, text in list(out.items()):
            if text is not None:
                continue
            pieces = self.engine.pieces(model, part)
            if len(pieces) < 2:
                continue  # nothing left to split: the part stays untranslated
            middle = len(pieces) // 2
            halves = [self.engine.join_pieces(model, pieces[:middle]), self.engine.join_pieces(model, pieces[middle:])]
            done = self._translate_parts(model, halves)
            texts = [t for t in (done[h] for h in halves) if t is not None]
            if len(texts) == len(halves):
                out[part] = joiner(model.to_code).join(texts)
        return out

    def _recall(self, model: Model, segments: list[str]) -> dict[str, str]:
        by_sha = {_sha(s): s for s in segments}
        found: dict[str, str] = {}
        ids: list[int] = []
        keys = list(by_sha)
        for start in range(0, len(keys), 500):
            rows = db.session.execute(
                select(
                    SegmentMemory.id, SegmentMemory.source_sha256, SegmentMemory.source_text, SegmentMemory.target_text
                ).where(
                    SegmentMemory.source_sha256.in_(keys[start : start + 500]),
                    SegmentMemory.source_language == model.from_code,
                    SegmentMemory.target_language == model.to_code,
                    SegmentMemory.model_version == model.version,
                )
            )
            for row in rows:
                if by_sha[row.source_sha256] == row.source_text:
                    found[row.source_text] = row.target_text
                    ids.append(row.id)
        if ids:
            db.session.execute(
                update(SegmentMemory).where(SegmentMemory.id.in_(ids)).values(hits=SegmentMemory.hits + 1)
            )
        return found

    def _remember(self, model: Model, translations: dict[str, str]) -> None:
        if not translations:
            return
        now = utcnow()
        rows = [
            {
                "source_sha256": _sha(s),
                "source_language": model.from_code,
                "target_language": model.to_code,
                "model_version": model.version,
                "source_text": s,
                "target_text": t,
                "hits": 0,
                "created_at": now,
            }
            for s, t in translations.items()
        ]
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        # Another worker may have translated the same sentence meanwhile: its row is as good as ours.
        db.session.execute(insert(SegmentMemory).on_conflict_do_nothing(), rows)
