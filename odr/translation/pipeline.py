"""From texts to translations: sentences, glossary placeholders, translation memory, batched engine calls."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

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


class NoModel(LookupError):
    """No installed model (direct or through English) for the pair."""


@dataclass
class Result:
    text: str
    segments: int
    memory_hits: int


def normalize(segment: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFC", segment)).strip()


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
                for sentence in (next(split) if paragraph.strip() else []):
                    indexes.append(len(segments))
                    segments.append(normalize(sentence))
                layout[-1].append(indexes)

        protected = [self.glossary.protect(s, source, target) for s in segments]
        outputs, from_memory = self._through(route, [p.text for p in protected])
        final = [p.restore(out) for p, out in zip(protected, outputs, strict=True)]
        broken = [i for i, out in enumerate(final) if out is None]
        if broken:
            # The model lost a placeholder: translate the text around the terms alone, keep the terms.
            pieces = sorted({normalize(piece) for i in broken for piece in protected[i].pieces
                             if _WORDY.search(piece)})
            translated, _ = self._through(route, pieces)
            by_piece = dict(zip(pieces, translated, strict=True))
            for i in broken:
                parts = []
                for n, piece in enumerate(protected[i].pieces):
                    parts.append(by_piece.get(normalize(piece), piece.strip()))
                    if n < len(protected[i].terms):
                        parts.append(protected[i].terms[n])
                final[i] = " ".join(p for p in parts if p)
                from_memory[i] = False

        sep = joiner(target)
        results = []
        for paragraphs in layout:
            indexes = [i for para in paragraphs for i in para]
            results.append(Result(
                text="\n".join(sep.join(final[i] for i in para) for para in paragraphs),
                segments=len(indexes), memory_hits=sum(1 for i in indexes if from_memory[i])))
        return results

    def _through(self, route: list[Model], inputs: list[str]) -> tuple[list[str], list[bool]]:
        """Each model in turn: memory first, the engine only for what memory lacks."""
        current, from_memory = list(inputs), [True] * len(inputs)
        for model in route:
            unique = list(dict.fromkeys(current))
            known = self._recall(model, unique)
            missing = [s for s in unique if s not in known]
            if missing:
                translated = self.engine.translate(model, missing)
                self._remember(model, dict(zip(missing, translated, strict=True)))
                known.update(zip(missing, translated, strict=True))
                missing_set = set(missing)
                from_memory = [hit and c not in missing_set for hit, c in zip(from_memory, current, strict=True)]
            current = [known[c] for c in current]
        return current, from_memory

    def _recall(self, model: Model, segments: list[str]) -> dict[str, str]:
        by_sha = {_sha(s): s for s in segments}
        found: dict[str, str] = {}
        ids: list[int] = []
        keys = list(by_sha)
        for start in range(0, len(keys), 500):
            rows = db.session.execute(select(SegmentMemory.id, SegmentMemory.source_sha256,
                                             SegmentMemory.source_text, SegmentMemory.target_text).where(
                SegmentMemory.source_sha256.in_(keys[start:start + 500]),
                SegmentMemory.source_language == model.from_code,
                SegmentMemory.target_language == model.to_code,
                SegmentMemory.model_version == model.version))
            for row in rows:
                if by_sha[row.source_sha256] == row.source_text:
                    found[row.source_text] = row.target_text
                    ids.append(row.id)
        if ids:
            db.session.execute(update(SegmentMemory).where(SegmentMemory.id.in_(ids))
                               .values(hits=SegmentMemory.hits + 1))
        return found

    def _remember(self, model: Model, translations: dict[str, str]) -> None:
        if not translations:
            return
        now = utcnow()
        rows = [{"source_sha256": _sha(s), "source_language": model.from_code, "target_language": model.to_code,
                 "model_version": model.version, "source_text": s, "target_text": t, "hits": 0, "created_at": now}
                for s, t in translations.items()]
        insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
        # Another worker may have translated the same sentence meanwhile: its row is as good as ours.
        db.session.execute(insert(SegmentMemory).on_conflict_do_nothing(), rows)
