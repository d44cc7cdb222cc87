"""Checks on codes that come from users: countries, languages, time zones."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from zoneinfo import available_timezones

from babel import Locale

from odr.config import FILING_LANGUAGES
from odr.extensions import gettext as _

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@lru_cache(maxsize=1)
def countries() -> frozenset[str]:
    return frozenset(code for code in Locale("en").territories if len(code) == 2 and code.isalpha())


@lru_cache(maxsize=1)
def time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _code(value) -> str:
    # Codes arrive as JSON too: a number or a list is simply not a known code (never a crash).
    return value.strip() if isinstance(value, str) else ""


def check_country(value: str | None, fields: dict, name: str = "country") -> str:
    code = _code(value).upper()
    if code not in countries():
        fields[name] = _("Unknown country code; use two letters such as ES or CN.")
    return code


def check_language(value: str | None, fields: dict, name: str = "language") -> str:
    code = _code(value).lower().replace("_", "-").split("-")[0]
    if code not in FILING_LANGUAGES:
        fields[name] = _(
            "Unsupported language %(code)s. Supported: %(supported)s.",
            code=_code(value)[:20],
            supported=", ".join(FILING_LANGUAGES),
        )
    return code


def check_time_zone(value: str | None, fields: dict, name: str = "time_zone") -> str:
    tz = _code(value)
    if tz not in time_zones():
        fields[name] = _("Unknown time zone; use a name such as Europe/Madrid or Asia/Shanghai.")
    return tz


def _visible(text: str) -> bool:
    """Whether anything would show: zero-width spaces, joiners and other format characters alone do not."""
    return any(unicodedata.category(ch)[0] not in "CZ" for ch in text)


def clean_text(value, fields: dict, name: str, *, required: bool = True, max_length: int = 20000) -> str:
    """Normalise user text (NFC, no NUL or other control characters but line breaks and tabs)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        fields[name] = _("Must be text.")
        return ""
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n")
    # Control characters go, and so do lone surrogates (not text; no database can store them).
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")).strip()
    if required and not _visible(text):
        fields[name] = _("This field is required.")
    elif len(text) > max_length:
        fields[name] = _("Too long: at most %(max)s characters.", max=max_length)
    return text


def mail_excerpt(text, limit: int = 200) -> str:
    """What a user wrote, quoted in a platform e-mail: one line, at most ``limit`` characters, with links and
    addresses defanged (``http[:]//evil[.]example``) so that no mail reader makes them clickable."""
    line = " ".join(str(text or "").split())
    line = line[:limit] + ("…" if len(line) > limit else "")
    line = re.sub(r"(?i)\b([a-z][a-z0-9+.-]*):/+", lambda m: f"{m.group(1)}[:]//", line)
    line = re.sub(r"(?i)(?<=[a-z0-9])\.(?=[a-z]{2,}\b)", "[.]", line)
    return line.replace("@", "[at]")
