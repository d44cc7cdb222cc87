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
        "AGREEMENT_DIR": str(Path(instance_path) / "agreements"),
        # Where evidence, bundles and agreements live (odr/evidence/storage.py): none, the folders above; or
        # s3://bucket[/prefix] on S3-compatible object storage that every node shares (MinIO, Ceph, a cloud).
        "STORAGE_URL": None,
        "S3_ENDPOINT_URL": None,
        "S3_REGION": None,
        "S3_ACCESS_KEY_ID": None,  # none: boto3's usual chain (AWS_* variables, instance role ...)
        "S3_SECRET_ACCESS_KEY": None,
        # Where the signing and linkage keys live (odr/integrity/vault.py): instance (development), database
        # (sealed under SECRET_KEY; the production default) or file (a mounted secret at SIGNING_KEY_PATH).
        "KEY_STORE": None,
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
        # Upload deadlines (odr/ops/uploads.py): a body gets UPLOAD_SECONDS plus one second per UPLOAD_MIN_RATE
        # bytes received; at most UPLOAD_SLOTS bodies are read at once per web process (`odr serve` sets half
        # its threads); one that finds no slot within UPLOAD_SLOT_WAIT seconds is answered 503.
        "UPLOAD_SECONDS": 20,
        "UPLOAD_MIN_RATE": 8192,
        "UPLOAD_SLOTS": 4,
        "UPLOAD_SLOT_WAIT": 5,
        # A stored file no row names is removed by the hourly sweep once it is this old (odr/ops/orphans.py).
        "ORPHAN_GRACE_MINUTES": 60,
        # The files of a refused form are kept for their uploader this long (odr/cases/pending.py).
        "PENDING_UPLOAD_HOURS": 24,
        # Abuse limits (odr/accounts/limits.py): JSON {kind: [per account, per address]} replacing defaults.
        "RATE_LIMITS": None,
        # The most filings one case takes: past it, a clear refusal instead of a case too long to read.
        "MAX_FILINGS_PER_CASE": 500,
        # Prometheus scrapes /metrics with this bearer token; without one, only from this machine.
        "METRICS_TOKEN": None,
        # Logs as one JSON object a line (with request ids) instead of text.
        "LOG_JSON": False,
        # E-mail for the notification outbox; without SMTP_HOST notifications stay in the outbox.
        "SMTP_HOST": None,
        "SMTP_PORT": 25,
        "SMTP_STARTTLS": False,
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "MAIL_FROM": "odr@localhost",
        # Webhooks to platform clients: how long one attempt waits for the receiver, and whether endpoints
        # in private, loopback or link-local networks are allowed (never in production: docs/webhooks.md).
        "WEBHOOK_TIMEOUT_SECONDS": 10,
        "WEBHOOK_ALLOW_PRIVATE": False,
        "RULES_DIR": str(REPO_ROOT / "rules"),
        # Installed argos-translate models (one directory per language pair) and the legal glossary.
        "ARGOS_PACKAGES_DIR": str(Path(instance_path) / "argos-packages"),
        "GLOSSARY_DIR": str(REPO_ROOT / "glossary"),
        "JURISDICTIONS_DIR": str(REPO_ROOT / "jurisdictions"),
        # The published ODR Platform Rules: versions.yaml and one file per UI language (docs/platform-rules.md).
        "PLATFORM_RULES_DIR": str(REPO_ROOT / "docs" / "platform-rules"),
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
        if is_scale_out(cfg):
            raise ConfigError(
                "ODR_SECRET_KEY must be set when several nodes share a database, Redis or object store: "
                "each node would otherwise sign sessions and seal keys with a key of its own."
            )
        # Development only: a random key kept in the instance folder, so every process of this machine
        # (gunicorn workers, the queue worker) shares it and no known default ever ships.
        cfg["SECRET_KEY"] = persisted_secret_key(instance_path)
    elif production and len(cfg["SECRET_KEY"]) < 32:
        raise ConfigError("ODR_SECRET_KEY is too short for production (at least 32 characters).")
    if not cfg.get("KEY_STORE"):
        signing_key_given = bool(os.environ.get("ODR_SIGNING_KEY_PATH") or (overrides or {}).get("SIGNING_KEY_PATH"))
        cfg["KEY_STORE"] = ("file" if signing_key_given else "database") if production else "instance"
    if cfg["KEY_STORE"] not in {"instance", "database", "file"}:
        raise ConfigError("ODR_KEY_STORE must be instance, database or file.")
    if production and cfg["WEBHOOK_ALLOW_PRIVATE"]:
        raise ConfigError("ODR_WEBHOOK_ALLOW_PRIVATE lets webhooks reach private networks; never in production.")
    return cfg


def is_scale_out(cfg: dict) -> bool:
    """Whether this configuration is meant to be shared by several nodes (docs/operations.md)."""
    return bool(cfg.get("REDIS_URL") or cfg.get("STORAGE_URL") or not str(cfg["DATABASE_URL"]).startswith("sqlite"))


def persisted_secret_key(instance_path: str) -> str:
    """The development secret key in ``<instance>/keys/secret-key`` (0600), made once with O_EXCL."""
    path = Path(instance_path) / "keys" / "secret-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise ConfigError(f"{path} holds too short a secret key")
    return key


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


def rules_file(*parts: str) -> str:
    """The path of a data file under the application's rules folder (``RULES_DIR``). Policy loaders call it on
    every use, so it joins strings rather than building Path objects; their caches key on the result."""
    from flask import current_app

    return os.path.join(current_app.config["ODR"]["RULES_DIR"], *parts)
