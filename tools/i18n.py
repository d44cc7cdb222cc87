"""The translation workflow in one place: refresh the catalogs, compile them, check them.

    python tools/i18n.py refresh   # extract every marked string, update all ten catalogs, compile (make i18n)
    python tools/i18n.py compile   # .po -> .mo (make install / install-test; .mo files are never committed)
    python tools/i18n.py check     # exit 1 and list exactly what is missing (also run by tests/i18n)

The check fails when a user-facing string in a template or in Python is not marked for translation,
when a catalog lacks a message the code uses, or when a translation is empty, fuzzy, has other
placeholders than its msgid, or the wrong number of plural forms for its language.
"""

from __future__ import annotations

import ast
import re
import sys
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
POT = TRANSLATIONS / "messages.pot"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "_n": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}
# The source language: its catalog stays empty, gettext falls back to the msgid.
SOURCE_LOCALE = "en"


def ui_locales() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from odr.config import UI_LOCALES

    return list(UI_LOCALES)


def _pybabel(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def _keyword_spec(name: str, spec) -> str:
    """pybabel's -k syntax: ``ngettext:1,2``, ``pgettext:1c,2``; a bare name means the first argument only."""
    if spec is None:
        return name
    parts = [f"{p[0]}{p[1]}" if isinstance(p, tuple) else str(p) for p in spec]
    return f"{name}:{','.join(parts)}"


def _keyword_args() -> list[str]:
    return [arg for name, spec in KEYWORDS.items() for arg in ("-k", _keyword_spec(name, spec))]


def extract(output: Path) -> None:
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        *_keyword_args(),
        "--no-location",
        "--sort-output",
        "--project",
        "odr",
        "--msgid-bugs-address",
        "i18n@odr.example",
        "-o",
        str(output),
        str(ROOT),
    )


def compile_catalogs() -> None:
    for locale in ui_locales():
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _pybabel("compile", "-d", str(TRANSLATIONS), "-l", locale)


def refresh() -> None:
    """Extract, create any missing catalog, merge new and changed messages into all of them, compile."""
    extract(POT)
    for locale in ui_locales():
        if not (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").exists():
            _pybabel("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale)
    # No fuzzy matching: a guessed translation of a similar string is worse than an honest gap the check reports.
    _pybabel("update", "-i", str(POT), "-d", str(TRANSLATIONS), "--no-fuzzy-matching", "--ignore-obsolete")
    compile_catalogs()


# --- the check --------------------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdif]")
# Text that is the same in every language: symbols, our brand, standard names.
UNTRANSLATED_OK = re.compile(r"^(ODR|SHA-256|UTC|URL|ID|PDF|ECF|ISO|[A-Z]{1,3}|\W+|\d+)$")
FILE_EXTENSION = re.compile(r"^\.[a-z0-9]{2,5}\W*$")
VISIBLE_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
# Calls whose string argument reaches a reader; a bare literal there is an unmarked string.
MESSAGE_SINKS = {
    "flash",
    "ValidationFailed",
    "NotAllowed",
    "NotFound",
    "Forbidden",
    "ServiceError",
    "api_error",
    "abort",
}


@dataclass(frozen=True)
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _needs_translation(text: str) -> bool:
    words = [w for w in re.split(r"[\s\x00]+", text) if w and not FILE_EXTENSION.match(w)]
    words = [w.strip("()[]{}:;,.·—–-") for w in words]
    return any(re.search(r"[^\W\d_]", w) and not UNTRANSLATED_OK.match(w) for w in words)


class _TemplateText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "code"}:
            self._skip += 1
        for name, value in attrs:
            if name in VISIBLE_ATTRIBUTES and value and _needs_translation(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_endtag(self, tag):
        if tag in {"script", "style", "code"} and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and _needs_translation(data):
            self.found.append((self.getpos()[0], data.strip()))


def unmarked_template_strings(root: Path = ROOT / "odr") -> list[Problem]:
    problems = []
    for path in sorted(root.glob("**/templates/**/*.html")):
        source = path.read_text(encoding="utf-8")
        # Jinja expressions become a neutral marker, keeping line numbers; what is left is literal HTML text.
        masked = JINJA.sub(lambda m: "\x00" + "\n" * m.group(0).count("\n"), source)
        parser = _TemplateText()
        parser.feed(masked)
        parser.close()
        rel = _rel(path)
        problems += [
            Problem(f"{rel}:{line}", f"text not marked for translation: {text!r}") for line, text in parser.found
        ]
    return problems


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):  # an f-string with English words in it; bare joins of translations pass
        return any(_is_literal(part) for part in node.values)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and _needs_translation(node.value)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def unmarked_python_strings(root: Path = ROOT / "odr") -> list[Problem]:
    """Literal messages passed where a reader sees them: flash(), service errors, per-field errors."""
    problems = []
    for path in sorted(root.glob("**/*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        rel = _rel(path)
        for node in ast.walk(tree):
            suspects: list[ast.AST] = []
            if isinstance(node, ast.Call) and _call_name(node) in MESSAGE_SINKS:
                suspects += [a for a in node.args if not (isinstance(a, ast.Constant) and isinstance(a.value, int))]
                suspects += [kw.value for kw in node.keywords if kw.arg in {"message", "description"}]
                suspects += [
                    v
                    for kw in node.keywords
                    if kw.arg == "fields" and isinstance(kw.value, ast.Dict)
                    for v in kw.value.values
                ]
                # abort(404) and api_error(status, code, message): the code is an identifier, not prose.
                if _call_name(node) == "api_error":
                    suspects = [a for a in node.args[2:]]
                elif _call_name(node) == "flash" and len(node.args) > 1:
                    suspects = node.args[:1]
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name) and t.value.id == "errors"
                for t in node.targets
            ):
                suspects.append(node.value)
            problems += [
                Problem(f"{rel}:{s.lineno}", f"message not marked for translation: {ast.unparse(s)}")
                for s in suspects
                if _is_literal(s)
            ]
    return problems


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text or "")}


def catalog_problems(locale: str, expected: Catalog, path: Path | None = None) -> list[Problem]:
    path = path or TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return [Problem(str(path), "catalog missing (run: make i18n)")]
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    rel = _rel(path)
    problems = []
    needed = get_plural(locale).num_plurals
    if catalog.num_plurals != needed:
        problems.append(Problem(rel, f"Plural-Forms header has {catalog.num_plurals} forms; {locale} needs {needed}"))
    for message in expected:
        if not message.id:
            continue
        if message.id not in catalog or catalog[message.id] is None:
            problems.append(Problem(rel, f"missing (run: make i18n, then translate): {_show(message.id)}"))
    if locale == SOURCE_LOCALE:
        return problems
    for message in catalog:
        if not message.id:
            continue
        label = _show(message.id)
        if message.fuzzy:
            problems.append(Problem(rel, f"fuzzy: {label}"))
        ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        plural = isinstance(message.id, (list, tuple))
        if plural and any(strings) and (not all(strings) or len(strings) != catalog.num_plurals):
            problems.append(
                Problem(rel, f"{len([t for t in strings if t])} plural forms instead of {catalog.num_plurals}: {label}")
            )
            continue
        if not all(strings):
            problems.append(Problem(rel, f"not translated: {label}"))
            continue
        wanted = set().union(*(_placeholders(i) for i in ids))
        for text in strings:
            got = _placeholders(text)
            # A plural form may drop the number (Arabic "one" and "two" spell it out), never add or rename one.
            if got - wanted or (not plural and got != wanted):
                problems.append(Problem(rel, f"placeholders {sorted(got)} differ from {sorted(wanted)}: {label}"))
    return problems


def _show(msgid) -> str:
    text = msgid[0] if isinstance(msgid, (list, tuple)) else msgid
    return repr(text if len(text) < 90 else text[:87] + "...")


def expected_messages() -> Catalog:
    """Every message the code uses now, freshly extracted (not the committed .pot, which may be stale)."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract(pot)
        with pot.open("rb") as fh:
            return read_po(fh)


def all_problems() -> list[Problem]:
    expected = expected_messages()
    problems = unmarked_template_strings() + unmarked_python_strings()
    for locale in ui_locales():
        problems += catalog_problems(locale, expected)
    return problems


def check() -> int:
    problems = all_problems()
    for problem in problems:
        print(problem)
    print(f"{len(problems)} i18n problem(s)" if problems else "i18n: every string is marked and translated")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "refresh":
        refresh()
        check()  # lists what still needs a translation; the test suite is what fails on it
        return 0
    if command == "compile":
        compile_catalogs()
        return 0
    if command == "check":
        return check()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
