"""Locale and time zone of the reader."""
from __future__ import annotations

from babel import Locale, UnknownLocaleError
from flask import request, session
from flask_babel import get_locale
from flask_login import current_user

from odr.config import UI_LOCALES
from odr.extensions import babel


def select_locale() -> str:
    asked = request.args.get("lang")
    if asked in UI_LOCALES:
        session["locale"] = asked
        return asked
    if session.get("locale") in UI_LOCALES:
        return session["locale"]
    if current_user and current_user.is_authenticated and current_user.locale in UI_LOCALES:
        return current_user.locale
    return request.accept_languages.best_match(UI_LOCALES) or "en"


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.effective_time_zone
    return "UTC"


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in {"ar", "he", "fa", "ur"} else "ltr"


def init_app(app) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from odr.procedure.titles import action_label, state_label, timer_label
    app.jinja_env.globals.update(locale_name=locale_name, state_label=state_label,
                                 action_label=action_label, timer_label=timer_label)

    @app.context_processor
    def locale_context():
        locale = str(get_locale() or "en")
        return {"current_locale": locale, "text_direction": text_direction(locale), "ui_locales": UI_LOCALES}


def locale_name(code: str) -> str:
    """A language's name in that language, so each reader finds their own in the switcher."""
    try:
        return Locale.parse(code).display_name or code
    except (ValueError, UnknownLocaleError):
        return code
