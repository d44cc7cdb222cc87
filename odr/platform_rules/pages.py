"""View model of the platform rules page: the text of one version, the list of versions, what each changed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import format_date
from markupsafe import Markup, escape

from odr.models_base import utcnow
from odr.platform_rules import services

CODE = re.compile(r"`([^`]+)`")


def _paragraph(text: str) -> Markup:
    """A paragraph of rule text, escaped, with `file names` set as code."""
    return Markup(CODE.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text))))


@dataclass
class RuleView:
    number: int
    anchor: str
    title: str
    paragraphs: list[Markup]


@dataclass
class VersionView:
    version: str
    effective_from: date
    effective_text: str  # the date in the reader's locale
    changes: str
    in_force: bool  # the version in force today
    shown: bool  # the version on the page


@dataclass
class RulesPage:
    title: str
    language: str
    version: str
    effective_text: str
    status: str  # in_force | earlier (replaced by the version in force) | future (not yet in force)
    preamble: list[Markup]
    rules: list[RuleView]
    versions: list[VersionView]


def rules_page(locale: str, version: services.Version) -> RulesPage:
    today = utcnow().date()
    current = services.version_in_force(today)
    text = services.text(locale, version)
    return RulesPage(
        title=text.title,
        language=text.language,
        version=version.version,
        effective_text=format_date(version.effective_from, "long"),
        status="in_force" if version == current else ("future" if version.effective_from > today else "earlier"),
        preamble=[_paragraph(p) for p in text.preamble],
        rules=[RuleView(r.number, r.anchor, r.title, [_paragraph(p) for p in r.paragraphs]) for r in text.rules],
        versions=[
            VersionView(
                version=v.version,
                effective_from=v.effective_from,
                effective_text=format_date(v.effective_from, "long"),
                changes=text.changes.get(v.version, ""),
                in_force=v == current,
                shown=v == version,
            )
            for v in reversed(services.versions())
        ],
    )
