"""Configuration: defaults, then the environment (DATABASE_URL, SECRET_KEY, ECAMPUS_*)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

#: Values that mean "no secret was chosen": refused outside development and tests.
WEAK_SECRETS = frozenset({"", "dev", "change-me", "secret", "development-only-secret"})

LANGUAGES = ("en", "es", "fr")

#: Where a development or test site is reached when no PUBLIC_URL is set.
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"

#: Hosts a development or test site also answers to (Werkzeug's test client uses localhost).
#: No IPv6 literal: Werkzeug's host check cuts every allowed name at its first ":".
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1")

_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


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
        # Failed sign-ins: from one address, and from one address for one account.
        "LOGIN_LIMITS_PER_ADDRESS": "20/minute;200/hour",
        "LOGIN_LIMITS_PER_PAIR": "5/minute;30/hour",
        # Failed sign-ins for one account from anywhere: after ACCOUNT_FAILURES within
        # ACCOUNT_WINDOW seconds the account waits DELAY_BASE seconds, doubling at each new
        # failure up to DELAY_CAP; a device that signed in before is not held back.
        "LOGIN_ACCOUNT_FAILURES": 10,
        "LOGIN_ACCOUNT_WINDOW": 15 * 60,
        "LOGIN_ACCOUNT_DELAY_BASE": 60,
        "LOGIN_ACCOUNT_DELAY_CAP": 15 * 60,
        # Sign-up forms sent from one address (each one mails someone).
        "SIGNUP_LIMITS": "30/hour",
        "SIGNUP_CONFIRM_HOURS": 24,
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
        # The one address every link that leaves the site is built from (see ecampus/urls.py).
        "PUBLIC_URL": "",
        # The name PUBLIC_URL had before; still read when PUBLIC_URL is not set.
        "ISSUER_URL": "",
        # Other host names this site answers to, besides PUBLIC_URL's; any other gets a 400.
        "TRUSTED_HOSTS": [],
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
                "COURSES_DIR", "MEDIA_DIR", "SITE_NAME", "ISSUER_NAME", "ISSUER_URL",
                "PUBLIC_URL"):
        if f"ECAMPUS_{key}" in env:
            config[key] = env[f"ECAMPUS_{key}"]
    for key in ("IMPORT_MAX_BYTES", "IMPORT_MAX_ROWS", "INVITATION_DAYS", "LOGIN_ACCOUNT_FAILURES",
                "LOGIN_ACCOUNT_WINDOW", "LOGIN_ACCOUNT_DELAY_BASE", "LOGIN_ACCOUNT_DELAY_CAP"):
        if env.get(f"ECAMPUS_{key}"):
            config[key] = int(env[f"ECAMPUS_{key}"])
    for key in ("LOGIN_LIMITS_PER_ADDRESS", "LOGIN_LIMITS_PER_PAIR", "SIGNUP_LIMITS"):
        if env.get(f"ECAMPUS_{key}"):
            config[key] = env[f"ECAMPUS_{key}"]
    if env.get("ECAMPUS_TRUSTED_HOSTS"):
        config["TRUSTED_HOSTS"] = [host.strip() for host in env["ECAMPUS_TRUSTED_HOSTS"].split(",")
                                   if host.strip()]
    if env.get("ECAMPUS_MAIL_PORT"):
        config["MAIL_PORT"] = int(env["ECAMPUS_MAIL_PORT"])
    config["MAIL_USE_TLS"] = _env_bool("ECAMPUS_MAIL_USE_TLS", config["MAIL_USE_TLS"])
    https = _env_bool("ECAMPUS_HTTPS", False)
    if https:
        config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                      PREFERRED_URL_SCHEME="https")
    config["BEHIND_PROXY"] = _env_bool("ECAMPUS_BEHIND_PROXY", config["BEHIND_PROXY"])


def check(config: dict) -> None:
    """Refuse to run a production app with a guessable secret or no public address."""
    if config["ENV_NAME"] in {"development", "testing"}:
        if not config["SECRET_KEY"]:
            config["SECRET_KEY"] = "development-only-secret"  # noqa: S105 - dev and tests only
        _check_public_url(config, fallback=DEVELOPMENT_PUBLIC_URL)
        config["TRUSTED_HOSTS"] = _trusted_hosts(config, DEVELOPMENT_HOSTS)
        return
    _check_secret(config)
    _check_public_url(config, fallback=None)
    config["TRUSTED_HOSTS"] = _trusted_hosts(config, ())


def _check_secret(config: dict) -> None:
    secret = config["SECRET_KEY"]
    if secret in WEAK_SECRETS or len(secret) < 32:
        raise ConfigError(
            "E-Campus needs a SECRET_KEY of at least 32 random characters to run in "
            "production. Generate one with:\n"
            "    python3 -c 'import secrets; print(secrets.token_urlsafe(48))'\n"
            "and set it in the environment: export SECRET_KEY=<that value>\n"
            "(For local development only, set ECAMPUS_ENV=development instead.)"
        )


def _check_public_url(config: dict, fallback: str | None) -> None:
    """Set PUBLIC_URL to its normal form (no trailing slash), or refuse to start."""
    given = (config.get("PUBLIC_URL") or config.get("ISSUER_URL") or "").strip()
    if not given and fallback is None:
        raise ConfigError(
            "E-Campus needs its public address to run in production: every link in an email, "
            "a QR code or a signed credential is built from it, never from the address a "
            "request came in on. Set it in the environment, for example:\n"
            "    export ECAMPUS_PUBLIC_URL=https://campus.example.gov\n"
            "(For local development only, set ECAMPUS_ENV=development instead.)"
        )
    problem = public_url_problem(given or fallback)
    if problem:
        raise ConfigError(f"ECAMPUS_PUBLIC_URL {given!r} cannot be used: {problem}.")
    config["PUBLIC_URL"] = (given or fallback).rstrip("/")


def public_url_problem(url: str) -> str | None:
    """What is wrong with `url` as the site's public address, or None when it is usable."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "it is not a valid address"
    if parts.scheme not in {"http", "https"}:
        return "it must start with https:// (or http://)"
    if not parts.hostname:
        return "it has no host name"
    if not _HOST_NAME.fullmatch(parts.hostname):
        return "its host must be a domain name or an IPv4 address"
    if parts.username is not None or parts.password is not None:
        return "it must not contain a user name or password"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return "it must not contain a query (?...) or a fragment (#...)"
    if port == 0:
        return "its port is not valid"
    return None


def _trusted_hosts(config: dict, always: tuple[str, ...]) -> list[str]:
    """The host names requests may carry: PUBLIC_URL's, the extra ones, and `always`."""
    hosts = [urlsplit(config["PUBLIC_URL"]).hostname, *config["TRUSTED_HOSTS"], *always]
    return list(dict.fromkeys(host.lower() for host in hosts if host))
