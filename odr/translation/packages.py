"""Installing and removing translation models: checked first, switched in whole, never at another pair's cost.

An install unpacks the archive into a dot folder beside the installed packages (the engine ignores
dot folders), checks it there (metadata, language codes, files, the model loads and translates a
test sentence), stores the SHA-256 of all its files, and only then renames it into place. A folder
that holds another language pair is never replaced.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import stat
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from babel import Locale

from odr.translation.engine import PIVOT, Engine, EngineError, Model, read_model, write_fingerprint

MAX_UNPACKED = 8 * 1024**3
# Codes of the argos package index that are not ISO 639 (Traditional Chinese, Brazilian Portuguese).
ARGOS_CODES = {"zt", "pb"}
TEST_SENTENCE = "1, 2, 3."  # digits and punctuation: every model must get through it and end its output


class PackageError(Exception):
    """The package is refused; nothing was changed."""


@dataclass
class Installed:
    model: Model
    replaced: list[Model] = field(default_factory=list)

    @property
    def summary(self) -> str:
        m = self.model
        return f"{m.from_code}->{m.to_code} {m.package_version} ({m.name}, sha256 {m.fingerprint[:16]}…)"


def is_language_code(code) -> bool:
    """An ISO 639 code (two or three letters) or one of the argos index's own."""
    if not isinstance(code, str) or not code.isascii() or not code.isalpha() or not 2 <= len(code) <= 3:
        return False
    return code in ARGOS_CODES or code in _iso_639()


def _iso_639() -> set[str]:
    return {str(code) for code in Locale("en").languages if "_" not in str(code)}


def check_archive(path: Path) -> tuple[dict, str]:
    """The package's metadata and its folder name, after checking the archive's shape and metadata."""
    if not path.is_file() or not zipfile.is_zipfile(path):
        raise PackageError(f"{path} is not an .argosmodel (zip) file.")
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        tops = {PurePosixPath(n).parts[0] for n in names if PurePosixPath(n).parts}
        if len(tops) != 1 or any(n.startswith("/") or ".." in PurePosixPath(n).parts for n in names):
            raise PackageError("The archive must hold exactly one package folder, with relative paths only.")
        top = tops.pop()
        if top.startswith("."):
            raise PackageError("The package folder's name may not start with a dot.")
        if any(stat.S_ISLNK(i.external_attr >> 16) for i in infos):
            raise PackageError("The archive holds symbolic links.")
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            raise PackageError("The archive unpacks to more than 8 GiB.")
        try:
            meta = json.loads(archive.read(f"{top}/metadata.json"))
        except KeyError:
            raise PackageError("The package has no metadata.json.") from None
        except ValueError as exc:
            raise PackageError(f"metadata.json is not valid JSON: {exc}") from None
        check_metadata(meta)
        files = set(names)
        missing = [f for f in ("model/model.bin",) if f"{top}/{f}" not in files]
        if not ({f"{top}/sentencepiece.model", f"{top}/bpe.model"} & files):
            missing.append("sentencepiece.model (or bpe.model)")
        if missing:
            raise PackageError("The package lacks " + ", ".join(missing) + ".")
    return meta, top


def check_metadata(meta) -> None:
    if not isinstance(meta, dict):
        raise PackageError(f"metadata.json must be a JSON object, not {type(meta).__name__}.")
    if meta.get("type", "translate") != "translate":
        raise PackageError(f"This is not a translation package (type {meta.get('type')!r}).")
    for key in ("from_code", "to_code"):
        if not is_language_code(meta.get(key)):
            raise PackageError(f"metadata.json: {key} {meta.get(key)!r} is not an ISO 639 or argos language code.")
    if meta["from_code"] == meta["to_code"]:
        raise PackageError(f"metadata.json: a model from {meta['from_code']} to itself translates nothing.")
    if not isinstance(meta.get("package_version", ""), str | int | float):
        raise PackageError("metadata.json: package_version must be a string.")


def check_model(folder: Path, meta: dict) -> Model:
    """The unpacked package loads and translates a test sentence to an ended output."""
    model = read_model(folder)
    if model is None or (model.from_code, model.to_code) != (meta["from_code"], meta["to_code"]):
        raise PackageError("The unpacked package is not a readable translation model.")
    engine = Engine(folder.parent)
    try:
        engine.split(model, [TEST_SENTENCE])
        [output] = engine.translate(model, [TEST_SENTENCE])
    except EngineError as exc:
        raise PackageError(f"The model does not load or run: {exc}") from None
    except Exception as exc:  # a broken splitter or tokenizer: whatever it raises, the package is refused
        raise PackageError(f"The package does not work: {type(exc).__name__}: {exc}") from None
    if not output or not output.strip():
        raise PackageError(f"The model gives no translation of the test sentence {TEST_SENTENCE!r}.")
    return model


@contextmanager
def _locked(packages: Path):
    """One install or removal at a time per packages folder (two operators, two processes)."""
    with (packages / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def installed(packages: Path) -> dict[tuple[str, str], list[Model]]:
    found: dict[tuple[str, str], list[Model]] = {}
    for folder in sorted(p for p in packages.iterdir() if p.is_dir() and not p.name.startswith(".")):
        model = read_model(folder)
        if model is not None:
            found.setdefault((model.from_code, model.to_code), []).append(model)
    return found


def do_install(archive: Path, packages: Path) -> Installed:
    """Check, unpack beside, test, fingerprint, then switch in; other packages of the same pair go."""
    meta, top = check_archive(archive)
    pair = (meta["from_code"], meta["to_code"])
    packages.mkdir(parents=True, exist_ok=True)
    with _locked(packages):
        target = packages / top
        if target.exists():
            current = read_model(target)
            if current is None or (current.from_code, current.to_code) != pair:
                held = f"{current.from_code}->{current.to_code}" if current else "something that is not a model"
                raise PackageError(
                    f"The folder {top} holds {held}; this package is {pair[0]}->{pair[1]}. "
                    "Refusing to replace another pair: remove it first."
                )
        staging = packages / f".staging-{secrets.token_hex(6)}"
        old = packages / f".replaced-{secrets.token_hex(6)}"
        try:
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(staging)
            check_model(staging / top, meta)
            write_fingerprint(staging / top)
            replaced = [m for m in installed(packages).get(pair, []) if m.path.name != top]
            current = read_model(target) if target.exists() else None
            if current is not None:
                replaced.insert(0, current)
            if target.exists():
                os.rename(target, old)
            try:
                os.rename(staging / top, target)
            except OSError:
                if old.exists():
                    os.rename(old, target)
                raise
            for other in replaced:  # the new package replaces every other of its pair (upgrade or downgrade)
                if other.path != target:
                    shutil.rmtree(other.path)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    model = read_model(target)
    assert model is not None  # checked in the staging folder, then renamed: the same files
    return Installed(model=model, replaced=replaced)


def dependent_pivots(packages: Path, source: str, target: str) -> list[str]:
    """Pairs served only through English with this model as one half: removing it ends them."""
    models = {pair for pair in installed(packages)}
    if PIVOT not in (source, target):
        return []
    if target == PIVOT:
        pairs = [(source, t) for (p, t) in models if p == PIVOT and t != source]
    else:
        pairs = [(s, target) for (s, p) in models if p == PIVOT and s != target]
    return sorted(f"{s}->{t}" for s, t in pairs if (s, t) not in models)


def do_remove(packages: Path, source: str, target: str) -> list[Model]:
    with _locked(packages):
        models = installed(packages).get((source, target), [])
        for model in models:
            gone = packages / f".removed-{secrets.token_hex(6)}"
            os.rename(model.path, gone)  # out of the engine's sight at once, then deleted
            shutil.rmtree(gone)
    return models
