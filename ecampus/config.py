"""Configuration: defaults, then the environment (DATABASE_URL, SECRET_KEY, ECAMPUS_*)."""

from __future__ import annotations

import os
from pathlib import Path

#: Values that mean "no secret was chosen": refused outside development and tests.
WEAK_SECRETS = frozenset({"", "dev", "change-me", "secret", "development-only-secret"})

LANGUAGES = ("en", "es", "fr")


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot run safely."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_config(instance_path: str) -> dict:
    """The settings every installation starts from, before the environment."""
    db_file = Path(instance_path) / "ecampus.sqlite3"
    return {
        "ENV_NAME": "production",
        "SECRET_KEY": "",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": LANGUAGES,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": False,
        "PREFERRED_URL_SCHEME": "http",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": True,
        "LOGIN_LIMITS_PER_ADDRESS": "20/minute;200/day",
        "LOGIN_LIMITS_PER_ACCOUNT": "5/minute;50/day",
        "VERIFY_LIMITS": "30/minute",
        "MAIL_SERVER": "",
        "MAIL_PORT": 587,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_USE_TLS": True,
        "MAIL_SENDER": "E-Campus <no-reply@localhost>",
        "MAIL_OUTBOX": str(Path(instance_path) / "outbox"),
        "PASSWORD_RESET_HOURS": 2,
        # CSV enrolment: the largest file and the most rows one upload may carry.
        "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
        "IMPORT_MAX_ROWS": 10_000,
        # No request body may be larger, whatever the page (uploads above are far smaller).
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "INVITATION_DAYS": 14,
        "BEHIND_PROXY": False,
        "COURSES_DIR": str(Path.cwd() / "courses"),
        "MEDIA_DIR": str(Path(instance_path) / "media"),
        "SITE_NAME": "E-Campus",
        # Static and course-media URLs carry a content hash, so they can be cached for a year.
        "SEND_FILE_MAX_AGE_DEFAULT": 31_536_000,
        "ISSUER_NAME": "E-Campus",
        "ISSUER_URL": "",
    }


def from_environment(config: dict) -> None:
    """Overlay DATABASE_URL, SECRET_KEY and every ECAMPUS_* variable on `config`."""
    env = os.environ
    if env.get("DATABASE_URL"):
        url = env["DATABASE_URL"]
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        config["SQLALCHEMY_DATABASE_URI"] = url
    if "SECRET_KEY" in env:
        config["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("ECAMPUS_ENV"):
        config["ENV_NAME"] = env["ECAMPUS_ENV"]
    if env.get("ECAMPUS_RATELIMIT_STORAGE"):
        config["RATELIMIT_STORAGE_URI"] = env["ECAMPUS_RATELIMIT_STORAGE"]
    for key in ("MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_SENDER", "MAIL_OUTBOX",
                "COURSES_DIR", "MEDIA_DIR", "SITE_NAME", "ISSUER_NAME", "ISSUER_URL"):
        if f"ECAMPUS_{key}" in env:
            config[key] = env[f"ECAMPUS_{key}"]
    for key in ("IMPORT_MAX_BYTES", "IMPORT_MAX_ROWS"):
        if env.get(f"ECAMPUS_{key}"):
            config[key] = int(env[f"ECAMPUS_{key}"])
    if env.get("ECAMPUS_MAIL_PORT"):
        config["MAIL_PORT"] = int(env["ECAMPUS_MAIL_PORT"])
    config["MAIL_USE_TLS"] = _env_bool("ECAMPUS_MAIL_USE_TLS", config["MAIL_USE_TLS"])
    https = _env_bool("ECAMPUS_HTTPS", False)
    if https:
        config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                      PREFERRED_URL_SCHEME="https")
    config["BEHIND_PROXY"] = _env_bool("ECAMPUS_BEHIND_PROXY", config["BEHIND_PROXY"])


def check(config: dict) -> None:
    """Refuse to run a production app with a guessable secret."""
    if config["ENV_NAME"] in {"development", "testing"}:
        if not config["SECRET_KEY"]:
            config["SECRET_KEY"] = "development-only-secret"  # noqa: S105 - dev and tests only
        return
    secret = config["SECRET_KEY"]
    if secret in WEAK_SECRETS or len(secret) < 32:
        raise ConfigError(
            "E-Campus needs a SECRET_KEY of at least 32 random characters to run in "
            "production. Generate one with:\n"
            "    python3 -c 'import secrets; print(secrets.token_urlsafe(48))'\n"
            "and set it in the environment: export SECRET_KEY=<that value>\n"
            "(For local development only, set ECAMPUS_ENV=development instead.)"
        )
