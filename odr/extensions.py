"""Extensions are created unbound here and bound to the app in the factory."""

from flask import g, request
from flask_babel import Babel, get_locale, get_timezone, get_translations
from flask_babel.speaklater import LazyString
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from odr.models_base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()


def _reading():
    """The reader's locale, its code and its catalog, as Flask-Babel chooses them, looked up once per request.

    Flask-Babel finds its per-request state through ``g`` three times and renders the locale's code on every
    ``gettext``, ``get_locale`` and ``get_translations`` (about 15 µs a message; a page asks for hundreds). The
    choice is remembered on ``g`` with the locale it was made for, so a ``force_locale`` or ``refresh`` (which
    give Flask-Babel another locale object) is followed at once. Outside an application context: None."""
    try:
        state = g._get_current_object()
    except RuntimeError:  # outside an application context (one lookup of ``g``: a page asks hundreds of times)
        return None
    # Flask-Babel's own record of the request's locale (cheap to read); asked for properly when not there yet.
    locale = getattr(getattr(state, "_flask_babel", None), "babel_locale", None) or get_locale()
    known = state.__dict__.get("_odr_reading")
    if known is None or known[0] is not locale:
        known = state._odr_reading = (locale, str(locale), get_translations())
    return known


def locale_code() -> str:
    """``str(get_locale())``: the code of the locale the reader reads ("zh_Hans"), cheaply."""
    known = _reading()
    return known[1] if known is not None else str(get_locale())


def reader_timezone():
    """``get_timezone()``, read from Flask-Babel's record of the request when it is there."""
    try:
        zone = getattr(getattr(g._get_current_object(), "_flask_babel", None), "babel_tzinfo", None)
    except RuntimeError:  # outside an application context
        zone = None
    return zone if zone is not None else get_timezone()


def translations():
    """``get_translations()``: the reader's catalog, cheaply."""
    known = _reading()
    return known[2] if known is not None else get_translations()


def gettext(string: str, **variables) -> str:
    """Flask-Babel's ``gettext``, word for word, with the catalog looked up once per request."""
    text = translations().ugettext(string)
    return text if not variables else text % variables


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    """Flask-Babel's ``ngettext``, word for word, with the catalog looked up once per request."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


login_manager = LoginManager()
csrf = CSRFProtect()


def account_name() -> str:
    """The account name (e-mail address) a sign-in or token request names, lower-cased."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(data, "get"):
        return ""
    return str((data or {}).get("email", "")).strip().lower()[:254]


def _sign_in_key() -> str:
    """Failed sign-ins are counted per address and per account name, so guessing one password is slow
    without letting one attacker lock everybody out."""
    return f"{request.remote_addr}|{account_name()}"


def account_name_key() -> str:
    """The account name a sign-in asks for, whatever the address."""
    return f"sign-in-account|{account_name()}"


def address_key() -> str:
    """The address a sign-in comes from, whatever the account name."""
    return f"sign-in-address|{request.remote_addr}"


limiter = Limiter(key_func=_sign_in_key)


def lazy_gettext(string: str, **variables) -> LazyString:
    """Flask-Babel's ``lazy_gettext``, translated through ``gettext`` above when it is rendered."""
    return LazyString(gettext, string, **variables)
