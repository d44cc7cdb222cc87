"""The reader's language, time zone and formats; messages rendered in each recipient's language.

Locale choice, strongest first: the switcher on every page (kept in the session), the account's
profile, the browser's Accept-Language, the default language of the case's jurisdiction, the
platform default.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.dates import (
    DateTimeFormat,
    format_timedelta,
    get_date_format,
    get_datetime_format,
    get_time_format,
    get_timezone_location,
    tokenize_pattern,
)
from babel.lists import format_list
from flask import current_app, has_request_context, render_template, request, session
from flask_babel import force_locale, format_datetime, get_locale, get_timezone
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup, escape

from odr.config import UI_LOCALES
from odr.extensions import babel, locale_code, reader_timezone, translations
from odr.extensions import gettext as _
from odr.models_base import utcnow
from odr.vocabulary import case_role_label, event_label, per_locale

RTL_LANGUAGES = {"ar", "he", "fa", "ur"}


# The roles a participant holds in one case (events and filings record them), as readers call them.
def ui_locale_for(code: str | None) -> str | None:
    """The UI locale for a language tag (``zh``, ``zh-CN``, ``pt_BR``, ``ar``), or None if we have none."""
    if not code:
        return None
    if code in UI_LOCALES:
        return code
    try:
        parsed = Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    if parsed.language == "zh":
        # Only Simplified Chinese is offered; a reader of Traditional characters still reads it better than English.
        return "zh_Hans"
    return parsed.language if parsed.language in UI_LOCALES else None


def select_locale() -> str:
    if not has_request_context():  # the worker, the CLI: no reader, the platform default
        return current_app.config["ODR"]["DEFAULT_LOCALE"]
    asked = ui_locale_for(request.args.get("lang"))
    if asked:
        session["locale"] = asked
        session.permanent = True  # remembered across visits, not only until the browser closes
        return asked
    if session.get("locale") in UI_LOCALES:
        return session["locale"]
    if current_user and current_user.is_authenticated and current_user.locale in UI_LOCALES:
        return current_user.locale
    for tag, _quality in request.accept_languages:
        if ui_locale_for(tag):
            return ui_locale_for(tag)
    for fallback in current_app.extensions.get("odr.locale_fallbacks", ()):
        # e.g. a case page read by someone whose browser names no language we have: the case's language
        locale = fallback()
        if locale:
            return locale
    return current_app.config["ODR"]["DEFAULT_LOCALE"]


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.effective_time_zone
    return "UTC"


def text_direction(locale: str) -> str:
    return "rtl" if str(locale).split("_")[0] in RTL_LANGUAGES else "ltr"


@lru_cache(maxsize=256)
def own_locale_name(code: str) -> str:
    """A language's name in that language, so each reader finds their own in a language picker (every page)."""
    try:
        name = Locale.parse(code).display_name or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


@per_locale
def locale_name(code: str) -> str:
    """A language's name in the reader's language (Babel's locale data), for sentences: "the original in Spanish"."""
    try:
        name = Locale.parse(code).get_display_name(get_locale()) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def switch_locale_url(code: str) -> str:
    """This page again, in another language."""
    args = request.args.to_dict()
    args["lang"] = code
    return f"{request.path}?{urlencode(args)}"


def _zone(name: str | None):
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def local_time(instant: datetime, zone: str | None = None, fmt: str = "medium") -> str:
    """An instant in the reader's locale, in ``zone`` (default: the reader's time zone), with the zone named.

    Minutes are precise enough for a reader: the date in ``fmt`` joined to a short time by the locale's own pattern.
    """
    tz = _zone(zone) or reader_timezone()
    code = locale_code()
    locale, joined = _local_time_patterns(code, fmt)
    local = instant.astimezone(tz)
    # Babel's format_time(local, "short") and format_date(local, fmt), each written once per locale and time or day.
    when = joined.format(_time_text(code, "short", local.time()), _date_text(code, fmt, local.date()))
    return "%s (%s)" % (when, city_of(tz, locale))


@lru_cache(maxsize=256)
def _local_time_patterns(locale_id: str, fmt: str):
    """How a locale joins a date and a time in ``fmt``: local_time's pattern, looked up once (the dashboard shows a
    deadline in two time zones per row)."""
    locale = Locale.parse(locale_id)
    return locale, locale.datetime_formats[fmt]


STANDARD_FORMATS = ("full", "long", "medium", "short")


@lru_cache(maxsize=256)
def _datetime_patterns(locale_id: str, fmt: Any):
    locale = Locale.parse(locale_id)
    joined = str(get_datetime_format(fmt, locale=locale)).replace("'", "")
    return locale, joined, get_time_format(fmt, locale=locale), get_date_format(fmt, locale=locale)


def datetimeformat(instant: datetime, fmt: str = "medium") -> str:
    """The ``datetimeformat`` filter: Flask-Babel's, word for word, with the locale's patterns looked up once per
    locale and format instead of on every call (a page formats a date per filing, event and case)."""
    if instant is None or fmt not in STANDARD_FORMATS:
        return format_datetime(instant, fmt)
    return datetime_writer(fmt)(instant)


def datetime_writer(fmt: str) -> Callable[[datetime], str]:
    """``datetimeformat`` in a standard format for many instants: the reader's locale, zone and patterns looked up
    once (a page's window of 50 filings or events)."""
    code = locale_code()
    locale, joined, time_pattern, _date_pattern = _datetime_patterns(code, fmt)
    # The reader's zone as zoneinfo reads it, the zone database deadlines are counted with (odr/__init__.py);
    # Flask-Babel's is a pytz zone of the same name, whose conversion is also about 8x slower (a page writes ~100).
    tz = reader_timezone()
    tz = _same_zone(str(tz)) or tz
    zoneless = fmt in ZONELESS_TIME_FORMATS

    def write(instant: datetime) -> str:
        local = (instant if instant.tzinfo else instant.replace(tzinfo=timezone.utc)).astimezone(tz)
        time_text = (
            _time_text(code, fmt, local.time())
            if zoneless
            else time_pattern.apply(local.timetz(), locale, reference_date=local.date())
        )
        return joined.replace("{0}", time_text).replace("{1}", _date_text(code, fmt, local.date()))

    return write


@lru_cache(maxsize=64)
def _same_zone(name: str) -> ZoneInfo | None:
    """zoneinfo's zone of this name (None if it has none)."""
    return _zone(name)


# CLDR's short and medium times name no zone (long and full do: "h:mm:ss a z"), so their words depend on the time of
# day alone (tests/i18n checks it in every UI locale).
ZONELESS_TIME_FORMATS = ("short", "medium")


@lru_cache(maxsize=4096)
def _time_text(locale_id: str, fmt: str, time_of_day: time) -> str:
    """A time of day in a locale's ``fmt`` without a zone, written once (deadlines end at a few times of day, the end
    of a day where their rules govern, and a page is read again): Babel's words, each field's from its table."""
    written = _time_fields(locale_id, fmt)
    if written is None:
        locale, _joined, time_pattern, _date_pattern = _datetime_patterns(locale_id, fmt)
        return time_pattern.apply(time_of_day, locale)
    pattern, fields = written
    return pattern % {name: words[getattr(time_of_day, part)] for name, part, words in fields}


# The part of a time of day each field of a time pattern writes (its hour in any of its forms, the period of the day,
# minutes, seconds); a pattern with any other field (a flexible day period, fractions of a second) is left to Babel.
_TIME_PARTS = {"H": "hour", "h": "hour", "K": "hour", "k": "hour", "a": "hour", "m": "minute", "s": "second"}


@lru_cache(maxsize=256)
def _time_fields(locale_id: str, fmt: str) -> tuple[str, list[tuple[str, str, list[str]]]] | None:
    """A locale's time pattern as tables: for each field, its words for every value of the part it writes, written
    by Babel itself once. A page writes a time per filing and event, each at its own second, and Babel's pattern
    engine takes about 8 µs a time; the tables about 1 µs."""
    locale, _joined, time_pattern, _date_pattern = _datetime_patterns(locale_id, fmt)
    fields = {value for kind, value in tokenize_pattern(time_pattern.pattern) if kind == "field"}
    if any(not isinstance(f, tuple) or f[0] not in _TIME_PARTS for f in fields):
        return None
    tables = []
    for char, width in sorted(f for f in fields if isinstance(f, tuple)):
        name, part = char * width, _TIME_PARTS[char]
        at = [_part_only(part, v) for v in range(PART_VALUES[part])]
        tables.append((name, part, [DateTimeFormat(t, locale)[name] for t in at]))
    return time_pattern.format, tables


PART_VALUES = {"hour": 24, "minute": 60, "second": 60}


def _part_only(part: str, value: int) -> time:
    """The time of day whose ``part`` is ``value`` and every other part zero."""
    return time(value if part == "hour" else 0, value if part == "minute" else 0, value if part == "second" else 0)


@lru_cache(maxsize=4096)
def _date_text(locale_id: str, fmt: str, day: date) -> str:
    """A day in a locale's pattern, written once: a page's filings, events and deadlines share their days."""
    locale, _joined, _time, date_pattern = _datetime_patterns(locale_id, fmt)
    return date_pattern.apply(day, locale)


@lru_cache(maxsize=1)
def time_zones() -> list[str]:
    """IANA zone names to suggest in time-zone fields (typing stays free; validation checks the name)."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))


def zone_name(zone: str | None = None) -> str:
    """A time zone as the reader names it ("Madrid", "马德里")."""
    tz = _zone(zone) or get_timezone()
    return city_of(tz, get_locale())


@lru_cache(maxsize=1024)
def city_of(tz, locale) -> str:
    """A zone's city in a locale's words, looked up once (a page names the zone of every deadline it shows)."""
    return get_timezone_location(tz, locale=locale, return_city=True)


def list_format(items) -> str:
    """Items joined the way the reader's language joins a list ("a, b and c", "a、b和c", "a وb")."""
    return format_list([str(item) for item in items], locale=get_locale())


def dual_time(instant: datetime | None, governing_tz: str | None = None, fmt: str = "medium") -> Markup:
    """A deadline in the reader's time zone and, when it differs, in the time zone of the governing rules."""
    if instant is None:
        return Markup("—")
    reader = reader_timezone()
    governing = _zone(governing_tz)
    # data-l10n="babel": formatted by Babel in the reader's locale (city names may equal the English ones).
    stamp = Markup('<time datetime="%s" data-l10n="babel">%s</time>')
    html = stamp % (instant.isoformat(), local_time(instant, str(reader), fmt))
    if (
        governing is not None
        and governing.key != str(reader)
        and instant.astimezone(governing).utcoffset() != instant.astimezone(reader).utcoffset()
    ):
        html += Markup(' <span class="governing-time">%s</span>') % Markup(
            _("governing time: %(time)s", time=stamp % (instant.isoformat(), local_time(instant, governing.key, fmt)))
        )
    return Markup('<span class="dual-time">%s</span>') % html


def due_in(instant: datetime | None) -> str:
    """How long until (or since) an instant, in words: "in 3 days", "2 hours ago"."""
    if instant is None:
        return ""
    return format_timedelta(instant - utcnow(), add_direction=True, threshold=1.0, locale=get_locale())


def babel_formatted(text) -> Markup:
    """Mark a value Babel formatted in the reader's locale (a zone's city, a date), for the browser tests' check."""
    return Markup('<span data-l10n="babel">%s</span>') % text


def bidi(text) -> Markup:
    """User-supplied text isolated from the page's direction, so no control character inside can reorder it."""
    return Markup('<bdi dir="auto">%s</bdi>') % escape("" if text is None else text)


def isolate(text) -> str:
    """User-supplied text isolated for outputs without markup (e-mails, PDFs' running text, statements): wrapped
    in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE, so a Latin name keeps its order and punctuation in an
    Arabic sentence ("S.L." keeps its dot where it belongs) and no control character inside reorders the rest."""
    return f"\u2068{'' if text is None else text}\u2069"


def render_in_locale(locale: str | None, template: str, **context) -> str:
    """Render a template in someone else's language (a recipient's, not the current reader's)."""
    with force_locale(ui_locale_for(locale) or current_app.config["ODR"]["DEFAULT_LOCALE"]):
        return render_template(template, **context)


def render_notification(note) -> tuple[str, str]:
    """Subject and plain-text body of an outbox row, in the recipient's language."""
    body = render_in_locale(note.locale, f"notifications/{note.kind}.txt", note=note, data=note.data or {})
    subject, _blank, text = body.strip().partition("\n")
    return subject.strip(), text.strip() + "\n"


@pass_eval_context
def template_gettext(eval_ctx, string: str, **variables) -> str:
    """Jinja's new-style ``gettext`` word for word (escaped variables in an escaped template, ``%%`` for a percent
    sign), without formatting a message that has nothing to format."""
    text = translations().ugettext(string)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_eval_context
def template_ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
    """Jinja's new-style ``ngettext`` word for word."""
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        text = Markup(text)
    return text % variables


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    # Flask-Babel's template callables, with the catalog looked up once per request (odr.extensions.translations).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    # ``_`` (the i18n extension's alias, which looks ``gettext`` up in the template's context at every call),
    # ``gettext`` and ``ngettext`` call the catalog directly (a page has hundreds of them).
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext, ngettext=template_ngettext)

    app.jinja_env.globals.update(
        locale_name=locale_name,
        own_locale_name=own_locale_name,
        switch_locale_url=switch_locale_url,
        dual_time=dual_time,
        due_in=due_in,
        local_time=local_time,
        zone_name=zone_name,
        case_role_label=case_role_label,
        event_label=event_label,
        time_zones=time_zones,
    )
    app.jinja_env.filters.update(
        datetimeformat=datetimeformat,
        dual_time=dual_time,
        due_in=due_in,
        bidi=bidi,
        list_format=list_format,
        babel_formatted=babel_formatted,
    )

    @app.context_processor
    def locale_context():
        locale = str(get_locale() or "en")
        return {
            "current_locale": locale,
            "text_direction": text_direction(locale),
            "ui_locales": UI_LOCALES,
            "html_lang": locale.replace("_", "-"),
        }
