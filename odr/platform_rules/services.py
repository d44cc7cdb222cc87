"""The ODR Platform Rules as data (``docs/platform-rules/``): which version is in force on a day, the text of a
version in a language, and where a citation of a rule points in the application.

Each language file has one entry per rule and version that changed it (``since``); the text of a version is,
for each rule, its latest entry not later than that version. ``docs/platform-rules.md`` is written from the
English file (``tools/platform_rules.py md``), so the document and the page cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from flask import current_app

from odr.config import UI_LOCALES

# A citation's link to the published document, as the rules' data write it.
DOCUMENT_LINK = re.compile(r"^docs/platform-rules\.md#rule-(\d+)(?:-[a-z0-9-]*)?$")


class RulesDataError(ValueError):
    """A language file or the versions file is malformed; the message names the problem."""


@dataclass(frozen=True)
class Version:
    version: str
    effective_from: date


@dataclass(frozen=True)
class Rule:
    number: int
    title: str
    text: str
    since: str  # the version whose entry this is

    @property
    def anchor(self) -> str:
        return anchor(self.number)

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.text.split("\n\n") if p.strip()]


@dataclass(frozen=True)
class RulesText:
    language: str
    title: str
    preamble: list[str]
    version: Version
    rules: list[Rule]
    changes: dict[str, str]


def anchor(number: int) -> str:
    return f"rule-{number}"


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@lru_cache(maxsize=4)
def _versions(folder: str) -> tuple[Version, ...]:
    raw = yaml.safe_load((Path(folder) / "versions.yaml").read_text(encoding="utf-8"))
    found = tuple(
        Version(str(v["version"]), v["effective_from"])
        for v in sorted(raw["versions"], key=lambda v: _key(str(v["version"])))
    )
    for earlier, later in zip(found, found[1:], strict=False):
        if later.effective_from <= earlier.effective_from:
            raise RulesDataError(f"version {later.version} must come into force after {earlier.version}")
    return found


@lru_cache(maxsize=16)
def _language(folder: str, language: str) -> dict:
    data = yaml.safe_load((Path(folder) / f"{language}.yaml").read_text(encoding="utf-8"))
    if data.get("language") != language:
        raise RulesDataError(f"{language}.yaml names language {data.get('language')!r}")
    return data


def _folder() -> str:
    return current_app.config["ODR"]["PLATFORM_RULES_DIR"]


def versions() -> list[Version]:
    return list(_versions(_folder()))


def version_in_force(on: date) -> Version:
    """The latest version in force on ``on`` (the first one, before it came into force: nothing earlier exists)."""
    found = [v for v in versions() if v.effective_from <= on]
    return found[-1] if found else versions()[0]


def find_version(name: str | None, on: date) -> Version | None:
    """The version named ``name``, or the one in force on ``on`` when no name is given; None if unknown."""
    if not name:
        return version_in_force(on)
    return next((v for v in versions() if v.version == name), None)


def rules_of(language: str, version: Version) -> list[Rule]:
    """Every rule of ``version`` in ``language``: for each number, its latest entry not later than the version."""
    return merge(_language(_folder(), language)["rules"], version)


def merge(entries: list[dict], version: Version) -> list[Rule]:
    latest: dict[int, dict] = {}
    for entry in entries:
        since = str(entry["since"])
        if _key(since) <= _key(version.version):
            number = int(entry["number"])
            if number not in latest or _key(str(latest[number]["since"])) < _key(since):
                latest[number] = entry
    return [
        Rule(number=n, title=str(e["title"]), text=str(e["text"]).strip(), since=str(e["since"]))
        for n, e in sorted(latest.items())
    ]


def load(folder: str, language: str) -> dict:
    """A language file as written (for the tool that writes docs/platform-rules.md and for tests)."""
    return _language(folder, language)


def load_versions(folder: str) -> list[Version]:
    return list(_versions(folder))


def text(language: str, version: Version) -> RulesText:
    language = language if language in UI_LOCALES else "en"
    data = _language(_folder(), language)
    return RulesText(
        language=language,
        title=str(data["title"]),
        preamble=[p for p in str(data["preamble"]).split("\n\n") if p.strip()],
        version=version,
        rules=rules_of(language, version),
        changes={str(k): str(v) for k, v in (data.get("changes") or {}).items()},
    )


def rule_number(link: str | None) -> int | None:
    """The rule a citation's link names, if it links the published platform rules."""
    match = DOCUMENT_LINK.match(link or "")
    return int(match.group(1)) if match else None
