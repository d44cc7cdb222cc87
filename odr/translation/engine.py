"""The machine-translation engine: installed argos-translate packages run through CTranslate2 in batches.

argostranslate's own ``translate()`` splits, encodes and decodes one text at a time with batches of 32
tokens; here every segment of a job goes to ``Translator.translate_batch`` at once, with the same
decoding settings as argostranslate (beam size, length penalty, unknown-token replacement), so the
output is the one argostranslate gives, only faster. Packages are found in ODR_ARGOS_PACKAGES_DIR;
a pair without a package goes through English when both halves are installed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path

PIVOT = "en"
# Scripts written without spaces between sentences.
UNSPACED = {"zh", "ja", "th", "lo", "my", "km"}
BATCH_TOKENS = int(os.environ.get("ODR_TRANSLATION_BATCH_TOKENS", "4096"))
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


class EngineError(RuntimeError):
    """The engine could not translate (a broken package, an engine crash); the job is retried."""


def argos_settings():
    """argostranslate's settings module (it reads ARGOS_* variables once, when first imported)."""
    from argostranslate import settings
    return settings


@dataclass(frozen=True)
class Model:
    """One installed package: a direction, its version and a fingerprint of its files."""

    path: Path
    from_code: str
    to_code: str
    package_version: str
    fingerprint: str

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def version(self) -> str:
        # The translation memory is keyed by this: a rebuilt package with the same number is a new model.
        return f"{self.from_code}-{self.to_code} {self.package_version}+{self.fingerprint[:12]}"


def _fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    for name in ("metadata.json", "sentencepiece.model", "bpe.model", "model/config.json"):
        item = path / name
        if item.is_file():
            digest.update(name.encode() + b"\0" + item.read_bytes())
    weights = path / "model" / "model.bin"
    if weights.is_file():
        with weights.open("rb") as handle:
            digest.update(str(weights.stat().st_size).encode() + handle.read(1 << 20))
    return digest.hexdigest()


def read_model(path: Path) -> Model | None:
    """The package in ``path``, or None when it is not a translation package."""
    try:
        meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("type", "translate") != "translate":
        return None
    if not (path / "model").is_dir() or not isinstance(meta.get("from_code"), str) \
            or not isinstance(meta.get("to_code"), str):
        return None
    return Model(path=path, from_code=meta["from_code"], to_code=meta["to_code"],
                 package_version=str(meta.get("package_version", "")), fingerprint=_fingerprint(path))


@dataclass
class _Loaded:
    package: object  # argostranslate.package.Package: metadata, tokenizer, target prefix
    translator: object
    splitter: object | None
    lock: threading.Lock = field(default_factory=threading.Lock)


class Engine:
    """The packages of one directory; loaded models are kept for the life of the process."""

    name = "argostranslate+ctranslate2"

    def __init__(self, packages_dir: str | Path):
        self.packages_dir = Path(packages_dir)
        self._loaded: dict[str, _Loaded] = {}
        self._lock = threading.Lock()
        self._models: tuple[tuple, dict] = ((), {})
        # What the engine did, for the translation memory's accounting and for tests.
        self.batches = 0
        self.segments = 0

    @property
    def label(self) -> str:
        from importlib.metadata import version
        return f"argostranslate {version('argostranslate')} / ctranslate2 {version('ctranslate2')}"

    def models(self) -> dict[tuple[str, str], Model]:
        """Installed packages by (from, to); re-read when the directory changes (an install, a removal)."""
        try:
            entries = sorted(p for p in self.packages_dir.iterdir() if p.is_dir())
        except FileNotFoundError:
            return {}
        stamp = tuple((p.name, _mtime(p / "metadata.json")) for p in entries)
        if stamp != self._models[0]:
            found: dict[tuple[str, str], Model] = {}
            for path in entries:
                model = read_model(path)
                if model is not None:
                    key = (model.from_code, model.to_code)
                    # Two packages for one pair: the higher version wins, as argostranslate would load it.
                    if key not in found or _version_key(model) > _version_key(found[key]):
                        found[key] = model
            self._models = (stamp, found)
        return self._models[1]

    def route(self, source: str, target: str) -> list[Model] | None:
        """The models that take source to target: one, two through English, or None."""
        models = self.models()
        if (source, target) in models:
            return [models[(source, target)]]
        if PIVOT not in (source, target) and (source, PIVOT) in models and (PIVOT, target) in models:
            return [models[(source, PIVOT)], models[(PIVOT, target)]]
        return None

    def _load(self, model: Model) -> _Loaded:
        key = str(model.path) + model.fingerprint
        loaded = self._loaded.get(key)
        if loaded is None:
            with self._lock:
                loaded = self._loaded.get(key)
                if loaded is None:
                    loaded = self._loaded[key] = self._open(model)
        return loaded

    def _open(self, model: Model) -> _Loaded:
        import ctranslate2
        from argostranslate.package import Package
        settings = argos_settings()
        try:
            package = Package(model.path)
            translator = ctranslate2.Translator(str(model.path / "model"), device=settings.device,
                                                inter_threads=settings.inter_threads,
                                                intra_threads=settings.intra_threads,
                                                compute_type=settings.compute_type)
        except Exception as exc:  # a broken package: the job is retried, then marked failed
            raise EngineError(f"cannot load {model.name}: {exc}") from exc
        return _Loaded(package=package, translator=translator, splitter=_packaged_splitter(model.path))

    def split(self, model: Model, paragraphs: list[str]) -> list[list[str]]:
        """Sentences of each paragraph: the package's own MiniSBD model, else sentence-final punctuation.

        All paragraphs go through the splitter in one call (its per-call cost is most of it); each
        sentence is then found back in its paragraph."""
        loaded = self._load(model)
        if loaded.splitter is None:
            return [[s.strip() for s in _SENTENCE_END.split(p) if s.strip()] for p in paragraphs]
        joined = "\n\n".join(paragraphs)  # a blank line always ends a sentence for MiniSBD
        with loaded.lock:  # one ONNX session per package; its Python pre-processing is not thread-safe
            sentences = [s.strip() for s in loaded.splitter.sentences(joined) if s.strip()]
        starts = list(accumulate((len(p) + 2 for p in paragraphs[:-1]), initial=0))
        out: list[list[str]] = [[] for _ in paragraphs]
        cursor = 0
        for sentence in sentences:
            at = joined.find(sentence, cursor)
            index = bisect_right(starts, at) - 1
            if at < 0 or at + len(sentence) > starts[index] + len(paragraphs[index]):
                with loaded.lock:  # the splitter changed the text: split paragraph by paragraph
                    return [[s.strip() for s in loaded.splitter.sentences(p) if s.strip()] for p in paragraphs]
            out[index].append(sentence)
            cursor = at + len(sentence)
        return out

    def translate(self, model: Model, segments: list[str]) -> list[str]:
        """Translate sentences in one batched call."""
        if not segments:
            return []
        loaded = self._load(model)
        package, settings = loaded.package, argos_settings()
        try:
            tokens = [package.tokenizer.encode(s) for s in segments]
            prefix = [[package.target_prefix]] * len(tokens) if package.target_prefix else None
            results = loaded.translator.translate_batch(
                tokens, target_prefix=prefix, beam_size=settings.beam_size, replace_unknowns=True,
                length_penalty=0.2, max_batch_size=BATCH_TOKENS, batch_type="tokens")
        except Exception as exc:
            raise EngineError(f"{model.name}: {exc}") from exc
        self.batches += 1
        self.segments += len(segments)
        out = []
        for result in results:
            text = package.tokenizer.decode(result.hypotheses[0])
            if package.target_prefix and text.startswith(package.target_prefix):
                text = text[len(package.target_prefix):]
            out.append(text[1:] if text.startswith(" ") else text)
        return out


def _packaged_splitter(path: Path):
    onnx = sorted((path / "minisbd").glob("*.onnx")) if (path / "minisbd").is_dir() else []
    if not onnx:
        return None
    from minisbd import SBDetect
    return SBDetect(str(onnx[0]), use_gpu=False, max_threads=1)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _version_key(model: Model):
    from packaging.version import InvalidVersion, Version
    try:
        return Version(model.package_version)
    except InvalidVersion:
        return Version("0")


def joiner(language: str) -> str:
    return "" if language in UNSPACED else " "


_engines: dict[str, Engine] = {}


def engine_for(packages_dir: str | Path) -> Engine:
    """One engine per packages directory and process, so loaded models are shared by all jobs."""
    key = str(Path(packages_dir).resolve())
    if key not in _engines:
        _engines[key] = Engine(key)
    return _engines[key]
