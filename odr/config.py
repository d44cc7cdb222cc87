"""Configuration: typed defaults, overridden by ODR_* environment variables.

Every setting is read from the environment with the ``ODR_`` prefix
(``ODR_DATABASE_URL``, ``ODR_SECRET_KEY``, ``ODR_REDIS_URL`` ...).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# The UI locales; issue-level catalogs live in translations/.
UI_LOCALES = ["en", "zh_Hans", "es", "fr", "de", "ja", "ko", "pt", "ru", "ar"]

# Languages a filing may be written in (ISO 639-1). Broader than the UI: a seller may
# file in Italian even if the UI is shown in English.
FILING_LANGUAGES = [
    "en",
    "zh",
    "es",
    "fr",
    "de",
    "ja",
    "ko",
    "pt",
    "ru",
    "ar",
    "it",
    "nl",
    "pl",
    "tr",
    "vi",
    "th",
    "id",
    "hi",
]


def instance_path() -> str:
    """The folder of the embedded default's database, queue, evidence, exports and keys."""
    return os.environ.get("ODR_INSTANCE_PATH") or str(REPO_ROOT / "instance")


class ConfigError(RuntimeError):
    """The configuration cannot run the platform safely."""


def defaults(instance_path: str) -> dict:
    return {
        "ENV_NAME": "development",
        "SECRET_KEY": None,
        "DATABASE_URL": f"sqlite:///{Path(instance_path) / 'odr.sqlite3'}",
        "REDIS_URL": None,
        "QUEUE_PATH": str(Path(instance_path) / "queue.sqlite3"),
        "EVIDENCE_DIR": str(Path(instance_path) / "evidence"),
        "EXPORT_DIR": str(Path(instance_path) / "exports"),
        # The platform's Ed25519 signing key (PEM); created on first use, never committed.
        "SIGNING_KEY_PATH": str(Path(instance_path) / "keys" / "platform-ed25519.pem"),
        # The HMAC-SHA256 key that turns account identifiers into the digests stored (32 random bytes).
        "LINKAGE_KEY_PATH": str(Path(instance_path) / "keys" / "linkage-hmac.key"),
        # The key alliance members share for matching identifiers (a file of 32+ random bytes); none: no alliance.
        "ALLIANCE_KEY_PATH": None,
        # The Commission's DSA Transparency Database (Art. 24(5)): its statements endpoint and this platform's API
        # token. Without both, statements of reasons are only written to batch files (odr transparency sor).
        "DSA_TDB_URL": None,
        "DSA_TDB_TOKEN": None,
        "TSA_URL": None,  # an RFC 3161 Time Stamping Authority; without one, bundles are not timestamped
        "PUBLIC_URL": None,  # how courts reach this platform; named in bundles and certificates
        "MAX_UPLOAD_MB": 25,
        # E-mail for the notification outbox; without SMTP_HOST notifications stay in the outbox.
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_STARTTLS": False,
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "MAIL_FROM": "odr@localhost",
        "RULES_DIR": str(REPO_ROOT / "rules"),
        # Installed argos-translate models (one directory per language pair) and the legal glossary.
        "ARGOS_PACKAGES_DIR": str(Path(instance_path) / "argos-packages"),
        "GLOSSARY_DIR": str(REPO_ROOT / "glossary"),
        "JURISDICTIONS_DIR": str(REPO_ROOT / "jurisdictions"),
        "DEFAULT_LOCALE": "en",
        "BIDDING_DAYS": 7,  # how long blind bidding stays open unless the mediator sets another period
        "EXPORT_TRANSLATION_WAIT_SECONDS": 60,  # how long an export waits for the court's and parties' languages
    }


def _coerce(value: str, like):
    if isinstance(like, bool):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(value)
    return value


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """Defaults, then ODR_* environment variables, then explicit overrides."""
    cfg = defaults(instance_path)
    for key, default in list(cfg.items()):
        env = os.environ.get(f"ODR_{key}")
        if env is not None and env != "":
            cfg[key] = _coerce(env, default) if default is not None else env
    if overrides:
        cfg.update(overrides)
    production = cfg["ENV_NAME"] == "production"
    if not cfg["SECRET_KEY"]:
        if production:
            raise ConfigError("ODR_SECRET_KEY must be set in production (at least 32 characters).")
        # Development only: a random key per process, so no known default ever ships.
        cfg["SECRET_KEY"] = secrets.token_hex(32)
    elif production and len(cfg["SECRET_KEY"]) < 32:
        raise ConfigError("ODR_SECRET_KEY is too short for production (at least 32 characters).")
    return cfg


def flask_settings(cfg: dict) -> dict:
    """Translate our settings into the names Flask and its extensions read."""
    url = cfg["DATABASE_URL"]
    engine_options: dict = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        engine_options = {"connect_args": {"timeout": 30}}
    return {
        "SECRET_KEY": cfg["SECRET_KEY"],
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "MAX_CONTENT_LENGTH": cfg["MAX_UPLOAD_MB"] * 1024 * 1024 + 256 * 1024,
        "BABEL_DEFAULT_LOCALE": cfg["DEFAULT_LOCALE"],
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(REPO_ROOT / "translations"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": cfg["ENV_NAME"] == "production",
        "WTF_CSRF_TIME_LIMIT": None,
    }
