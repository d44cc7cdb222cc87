"""Extensions are created unbound here and bound to the app in the factory."""

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from odr.models_base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()
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
