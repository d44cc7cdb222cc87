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
import struct
import threading
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from itertools import accumulate
from pathlib import Path
from typing import Any

PIVOT = "en"
# Scripts written without spaces between sentences.
UNSPACED = {"zh", "ja", "th", "lo", "my", "km"}
BATCH_TOKENS = int(os.environ.get("ODR_TRANSLATION_BATCH_TOKENS", "4096"))
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")
# Positions a model handles when neither its config nor its weights say: CTranslate2's default decoding
# length, which is also what argostranslate lets a sentence grow to.
DEFAULT_POSITIONS = 256
FINGERPRINT_FILE = ".odr-fingerprint"  # written at install: SHA-256 of every other file of the package


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
    positions: int = DEFAULT_POSITIONS  # source tokens (with its end token) and output tokens it can handle

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def version(self) -> str:
        # The translation memory is keyed by this: a rebuilt package with the same number is a new model.
        return f"{self.from_code}-{self.to_code} {self.package_version}+{self.fingerprint[:12]}"


def compute_fingerprint(path: Path) -> str:
    """SHA-256 over every file of the package (relative name and content), in name order.

    Every byte counts: two builds that differ anywhere are two models, whatever their version says."""
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file() and p.name != FINGERPRINT_FILE):
        digest.update(item.relative_to(path).as_posix().encode() + b"\0")
        with item.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def write_fingerprint(path: Path) -> str:
    fingerprint = compute_fingerprint(path)
    (path / FINGERPRINT_FILE).write_text(fingerprint + "\n", encoding="ascii")
    return fingerprint


def _fingerprint(path: Path) -> str:
    """The fingerprint stored at install; a package put there by other means is hashed in full now."""
    try:
        stored = (path / FINGERPRINT_FILE).read_text(encoding="ascii").strip()
    except OSError:
        stored = ""
    return stored if re.fullmatch(r"[0-9a-f]{64}", stored) else compute_fingerprint(path)


def weight_shapes(model_bin: Path) -> dict[str, tuple[int, ...]]:
    """Names and shapes of the variables in a CTranslate2 model.bin, read from its headers only."""
    shapes: dict[str, tuple[int, ...]] = {}
    with model_bin.open("rb") as f:

        def string() -> str:
            (length,) = struct.unpack("<H", f.read(2))
            return f.read(length).rstrip(b"\0").decode("utf-8")

        (_binary_version,) = struct.unpack("<I", f.read(4))
        string()  # spec name
        _revision, count = struct.unpack("<II", f.read(8))
        for _ in range(count):
            name = string()
            (rank,) = struct.unpack("<B", f.read(1))
            dims = struct.unpack(f"<{rank}I", f.read(4 * rank))
            _dtype, size = struct.unpack("<BI", f.read(5))
            f.seek(size, os.SEEK_CUR)
            shapes[name] = dims
    return shapes


def max_positions(path: Path) -> int:
    """The longest sequence the model handles: from its config, else the size of its learned position table.

    Models with sinusoidal positions have no table; they get CTranslate2's default decoding length."""
    try:
        config = json.loads((path / "model" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        config = {}
    for key in ("max_position_embeddings", "max_source_positions", "max_length"):
        if isinstance(config, dict) and isinstance(config.get(key), int) and config[key] > 1:
            return config[key]
    try:
        shapes = weight_shapes(path / "model" / "model.bin")
    except (OSError, struct.error, UnicodeDecodeError):
        return DEFAULT_POSITIONS
    tables = [dims[0] for name, dims in shapes.items() if name.endswith("position_encodings/encodings") and dims]
    return min(tables) if tables else DEFAULT_POSITIONS


def read_model(path: Path) -> Model | None:
    """The package in ``path``, or None when it is not a translation package."""
    try:
        meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("type", "translate") != "translate":
        return None
    if (
        not (path / "model").is_dir()
        or not isinstance(meta.get("from_code"), str)
        or not isinstance(meta.get("to_code"), str)
    ):
        return None
    return Model(
        path=path,
        from_code=meta["from_code"],
        to_code=meta["to_code"],
        package_version=str(meta.get("package_version", "")),
        fingerprint=_fingerprint(path),
        positions=max_positions(path),
    )


@dataclass
class _Loaded:
    package: Any  # argostranslate.package.Package: metadata, tokenizer, target prefix
    translator: Any  # ctranslate2.Translator
    splitter: Any  # minisbd.SBDetect, or None
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

    @cached_property
    def label(self) -> str:
        from importlib.metadata import version

        return f"argostranslate {version('argostranslate')} / ctranslate2 {version('ctranslate2')}"

    def models(self) -> dict[tuple[str, str], Model]:
        """Installed packages by (from, to); re-read when the directory changes (an install, a removal)."""
        try:
            # Dot folders are installs in progress or being removed (see odr.translation.install).
            entries = sorted(p for p in self.packages_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        except FileNotFoundError:
            return {}
        # A folder switched in by an install is a new inode, even within the same clock tick.
        stamp = tuple((p.name, _inode(p), _mtime(p / "metadata.json")) for p in entries)
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
            translator = ctranslate2.Translator(
                str(model.path / "model"),
                device=settings.device,
                inter_threads=settings.inter_threads,
                intra_threads=settings.intra_threads,
                compute_type=settings.compute_type,
            )
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

    def source_limit(self, model: Model) -> int:
        """Most source tokens one segment may have: the positions less the end (and start) token."""
        package = self._load(model).package
        config = _model_config(model)
        return model.positions - 1 - int(bool(config.get("add_source_bos"))) - int(bool(package.target_prefix))

    def pieces(self, model: Model, text: str) -> list[str]:
        """The model's tokens of a text (what counts against its limit)."""
        return self._load(model).package.tokenizer.encode(text)

    def join_pieces(self, model: Model, pieces: list[str]) -> str:
        return _strip_lead(self._load(model).package.tokenizer.decode(pieces))

    def translate(self, model: Model, segments: list[str]) -> list[str | None]:
        """Translate sentences in one batched call; None for a segment whose output the model could not end.

        The input is never shortened (no max_input_length) and decoding may use every position the model
        has; an output that stops without the end token was cut at that limit, and is not returned as if
        it were whole."""
        if not segments:
            return []
        loaded = self._load(model)
        package, settings = loaded.package, argos_settings()
        prefix_length = 1 if package.target_prefix else 0
        try:
            tokens = [package.tokenizer.encode(s) for s in segments]
            prefix = [[package.target_prefix]] * len(tokens) if package.target_prefix else None
            results = loaded.translator.translate_batch(
                tokens,
                target_prefix=prefix,
                beam_size=settings.beam_size,
                replace_unknowns=True,
                length_penalty=0.2,
                max_batch_size=BATCH_TOKENS,
                batch_type="tokens",
                max_input_length=0,
                max_decoding_length=model.positions - 1 - prefix_length,
                return_end_token=True,
            )
        except Exception as exc:
            raise EngineError(f"{model.name}: {exc}") from exc
        self.batches += 1
        self.segments += len(segments)
        end = _model_config(model).get("eos_token", "</s>")
        out: list[str | None] = []
        for result in results:
            hypothesis = result.hypotheses[0]
            if not hypothesis or hypothesis[-1] != end:
                out.append(None)  # cut at the model's decoding limit
                continue
            text = package.tokenizer.decode(hypothesis[:-1])
            if package.target_prefix and text.startswith(package.target_prefix):
                text = text[len(package.target_prefix) :]
            out.append(_strip_lead(text))
        return out


def _strip_lead(text: str) -> str:
    return text[1:] if text.startswith(" ") else text


def _model_config(model: Model) -> dict:
    try:
        config = json.loads((model.path / "model" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return config if isinstance(config, dict) else {}


def _packaged_splitter(path: Path):
    onnx = sorted((path / "minisbd").glob("*.onnx")) if (path / "minisbd").is_dir() else []
    if not onnx:
        return None
    from minisbd import SBDetect

    return SBDetect(str(onnx[0]), use_gpu=False, max_threads=1)


def _inode(path: Path) -> int:
    try:
        return path.stat().st_ino
    except OSError:
        return 0


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
