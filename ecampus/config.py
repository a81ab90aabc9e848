"""Configuration: defaults, then the environment (DATABASE_URL, SECRET_KEY, ECAMPUS_*)."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

#: Values that mean "no secret was chosen": refused outside development and tests.
WEAK_SECRETS = frozenset({"", "dev", "change-me", "secret", "development-only-secret"})

#: The interface languages: the switcher, every language field and the catalogs follow it.
LANGUAGES = ["en", "es", "fr", "pt"]

#: Where a development or test site is reached when no PUBLIC_URL is set.
DEVELOPMENT_PUBLIC_URL = "http://127.0.0.1:5000"

#: Hosts a development or test site also answers to (Werkzeug's test client uses localhost).
#: No IPv6 literal: Werkzeug's host check cuts every allowed name at its first ":".
DEVELOPMENT_HOSTS = ("localhost", "127.0.0.1")

_HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?")


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot run safely."""


def default_config(instance_path: str) -> dict:
    """The settings every installation starts from, before the file and the environment."""
    db_file = Path(instance_path) / "ecampus.sqlite3"
    return {
        "ENV_NAME": "production",
        "SECRET_KEY": "",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_file}",
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # PostgreSQL connections each gunicorn worker process keeps, and may open beyond them.
        "DATABASE_POOL_SIZE": 5,
        "DATABASE_MAX_OVERFLOW": 10,
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "en",
        "LANGUAGES": list(LANGUAGES),
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
        # A fixed window lets a burst straddling its edge through twice: count a moving one.
        "RATELIMIT_STRATEGY": "moving-window",
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
        # Requests one API token may send (counted in the rate limiter's storage).
        "API_RATE_LIMITS": "600/minute",
        "MAIL_SERVER": "",
        "MAIL_PORT": 587,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_USE_TLS": True,
        "MAIL_SENDER": "E-Campus <no-reply@localhost>",
        "MAIL_OUTBOX": str(Path(instance_path) / "outbox"),
        "MAIL_BATCH_SIZE": 200,
        "JOB_LEASE_SECONDS": 300,
        "JOB_RETRY_BASE_SECONDS": 10,
        # Webhooks: http:// and private addresses only where told (development and tests).
        "WEBHOOK_ALLOW_PRIVATE_URLS": False,
        "WEBHOOK_TIMEOUT_SECONDS": 5,
        "WEBHOOK_DISABLE_AFTER": 10,
        # /metrics answers only a request bearing this token; without one it is off.
        "METRICS_TOKEN": "",
        "LOG_FORMAT": "json",
        "PASSWORD_RESET_HOURS": 2,
        "EMAIL_CHANGE_HOURS": 24,
        # CSV enrolment: the largest file and the most rows one upload may carry.
        "IMPORT_MAX_BYTES": 5 * 1024 * 1024,
        "IMPORT_MAX_ROWS": 10_000,
        # Course zips uploaded by authors: the file, and what it may unpack to.
        "COURSE_UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
        "COURSE_UPLOAD_MAX_FILES": 2000,
        "COURSE_UPLOAD_MAX_FILE_BYTES": 20 * 1024 * 1024,
        "COURSE_UPLOAD_MAX_TOTAL_BYTES": 100 * 1024 * 1024,
        "COURSE_UPLOAD_MAX_RATIO": 200,
        # How long one git command of a course source's sync may run.
        "GIT_TIMEOUT_SECONDS": 120,
        # No request body may be larger, whatever the page (uploads above are far smaller).
        "MAX_CONTENT_LENGTH": 32 * 1024 * 1024,
        "INVITATION_DAYS": 14,
        # `ecampus purge`: how many days each kind of row is kept (docs/administration.md).
        "RETENTION_IMPORT_DAYS": 7,
        "RETENTION_MAIL_DAYS": 30,
        "RETENTION_SESSION_DAYS": 90,
        "RETENTION_TOKEN_DAYS": 30,
        "RETENTION_SIGNUP_DAYS": 7,
        "RETENTION_JOB_DAYS": 30,
        "RETENTION_WEBHOOK_DAYS": 30,
        # How long a person's copy of their data stays downloadable.
        "DATA_EXPORT_DAYS": 7,
        "BEHIND_PROXY": False,
        "HTTPS": False,
        "SIGNING_KEY_PEM": "",
        # One node serves the site alone: it may keep state in its own instance folder.
        "SINGLE_NODE": False,
        "COURSES_DIR": str(Path.cwd() / "courses"),
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


@dataclass(frozen=True)
class Setting:
    """One setting operators may change: its name in the config file, its variable, its type."""

    name: str
    kind: str  # str, secret, int, bool, list, limits, choice, database_url
    meaning: str
    key: str = ""  # the Flask config key, when it differs from `name`
    env: str = ""  # the environment variable, when it is not ECAMPUS_<name>
    shown: str = ""  # the default as documented, when it depends on where the app runs
    choices: tuple[str, ...] = ()
    minimum: int = 1

    @property
    def config_key(self) -> str:
        return self.key or self.name

    @property
    def variable(self) -> str:
        return self.env or f"ECAMPUS_{self.name}"


#: Every setting an operator may need, in the order docs/configuration.md lists them.
#: Each is read from instance/ecampus.toml (by `name`), then from the environment.
SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", "secret", "Signs sessions and tokens; 32+ random characters, "
            "required outside development and tests.", env="SECRET_KEY"),
    Setting("ENV", "choice", "`production`, `development` or `testing`.", key="ENV_NAME",
            choices=("production", "development", "testing")),
    Setting("PUBLIC_URL", "str", "The site's public address (a path prefix allowed); every link "
            "in an email, QR code and signed credential is built from it. Required in "
            "production.", shown="`http://127.0.0.1:5000` in development"),
    Setting("ISSUER_URL", "str", "Former name of `PUBLIC_URL`, read when that is not set."),
    Setting("TRUSTED_HOSTS", "list", "Other host names the site answers to, comma-separated; "
            "a request for any other host gets a 400.", shown="only `PUBLIC_URL`'s host"),
    Setting("DATABASE_URL", "database_url", "`postgresql+psycopg://user@host/db` (or "
            "`postgresql://`).", key="SQLALCHEMY_DATABASE_URI", env="DATABASE_URL",
            shown="SQLite file `instance/ecampus.sqlite3`"),
    Setting("DATABASE_POOL_SIZE", "int", "PostgreSQL connections each process (gunicorn "
            "worker, `ecampus worker`) keeps open; see docs/deploy.md for the sum against "
            "`max_connections`."),
    Setting("DATABASE_MAX_OVERFLOW", "int", "Connections a process may open beyond "
            "`DATABASE_POOL_SIZE` under a burst, closed after use.", minimum=0),
    Setting("HTTPS", "bool", "On behind HTTPS: secure cookies and HSTS."),
    Setting("BEHIND_PROXY", "bool", "Trust one proxy's `X-Forwarded-*` headers (a forwarded "
            "host must still be an allowed one)."),
    Setting("MAX_REQUEST_BYTES", "int", "The largest request body any page accepts.",
            key="MAX_CONTENT_LENGTH"),
    Setting("RATELIMIT_STORAGE", "str", "Rate-limit and sign-in counters: `redis://host:6379/0` "
            "as soon as more than one worker or node serves.", key="RATELIMIT_STORAGE_URI"),
    Setting("LOGIN_LIMITS_PER_ADDRESS", "limits", "Failed sign-ins allowed from one address."),
    Setting("LOGIN_LIMITS_PER_PAIR", "limits", "Failed sign-ins allowed from one address for "
            "one account."),
    Setting("LOGIN_ACCOUNT_FAILURES", "int", "Failed sign-ins for one account, from anywhere, "
            "within `LOGIN_ACCOUNT_WINDOW`, before it must wait."),
    Setting("LOGIN_ACCOUNT_WINDOW", "int", "That window, in seconds."),
    Setting("LOGIN_ACCOUNT_DELAY_BASE", "int", "The wait in seconds, doubling at each further "
            "failure; browsers that signed in to the account before are not held back."),
    Setting("LOGIN_ACCOUNT_DELAY_CAP", "int", "The longest wait, in seconds."),
    Setting("SIGNUP_LIMITS", "limits", "Sign-up forms sent from one address (each one mails "
            "someone)."),
    Setting("VERIFY_LIMITS", "limits", "Certificate look-ups from one address."),
    Setting("API_RATE_LIMITS", "limits", "Requests one API token may send; beyond, the API "
            "answers 429."),
    Setting("SIGNUP_CONFIRM_HOURS", "int", "How long the link confirming a new account works, "
            "in hours."),
    Setting("PASSWORD_RESET_HOURS", "int", "How long a password-reset link works, in hours."),
    Setting("EMAIL_CHANGE_HOURS", "int", "How long the link confirming a new email address "
            "of an account works, in hours."),
    Setting("INVITATION_DAYS", "int", "How long an invitation link (new account, or to join a "
            "cohort) works, in days."),
    Setting("DATA_EXPORT_DAYS", "int", "How long a person's copy of their data (the archive "
            "of *Your data*) can be downloaded, in days; it is deleted after."),
    Setting("RETENTION_IMPORT_DAYS", "int", "`ecampus purge` deletes CSV enrolment files "
            "previewed this many days ago and never applied."),
    Setting("RETENTION_MAIL_DAYS", "int", "`ecampus purge` deletes mail sent this many days "
            "ago from the outbox."),
    Setting("RETENTION_SESSION_DAYS", "int", "`ecampus purge` deletes sessions ended, or "
            "unused, this many days ago (an unused one must sign in again)."),
    Setting("RETENTION_TOKEN_DAYS", "int", "`ecampus purge` deletes password-reset and "
            "invitation links used or expired this many days ago, and unanswered cohort "
            "invitations expired as long."),
    Setting("RETENTION_SIGNUP_DAYS", "int", "`ecampus purge` deletes sign-up requests "
            "confirmed or expired this many days ago."),
    Setting("RETENTION_JOB_DAYS", "int", "`ecampus purge` deletes background jobs done this "
            "many days ago (failed ones stay)."),
    Setting("RETENTION_WEBHOOK_DAYS", "int", "`ecampus purge` deletes webhook deliveries "
            "(delivered or given up) made this many days ago."),
    Setting("IMPORT_MAX_BYTES", "int", "The largest CSV enrolment file accepted, in bytes."),
    Setting("IMPORT_MAX_ROWS", "int", "The most rows one CSV enrolment file may carry."),
    Setting("COURSE_UPLOAD_MAX_BYTES", "int", "The largest course zip an author may upload, "
            "in bytes."),
    Setting("COURSE_UPLOAD_MAX_FILES", "int", "The most files one course zip may hold."),
    Setting("COURSE_UPLOAD_MAX_FILE_BYTES", "int", "The largest file a course zip may unpack "
            "to, in bytes."),
    Setting("COURSE_UPLOAD_MAX_TOTAL_BYTES", "int", "The most a course zip may unpack to in "
            "all, in bytes."),
    Setting("COURSE_UPLOAD_MAX_RATIO", "int", "The highest compression ratio a file in a "
            "course zip may have (higher is taken for a zip bomb)."),
    Setting("GIT_TIMEOUT_SECONDS", "int", "How long one git command of a course source's sync "
            "may run, in seconds."),
    Setting("MAIL_SERVER", "str", "SMTP server for outgoing mail; without one, mail is written "
            "to `MAIL_OUTBOX`."),
    Setting("MAIL_PORT", "int", "SMTP port."),
    Setting("MAIL_USERNAME", "str", "SMTP user name."),
    Setting("MAIL_PASSWORD", "secret", "SMTP password."),
    Setting("MAIL_USE_TLS", "bool", "Use STARTTLS with the SMTP server."),
    Setting("MAIL_SENDER", "str", "The `From` address of every message."),
    Setting("MAIL_OUTBOX", "str", "Folder mail is written to when no SMTP server is set.",
            shown="`instance/outbox`"),
    Setting("MAIL_BATCH_SIZE", "int", "Messages one worker sends per batch."),
    Setting("JOB_LEASE_SECONDS", "int", "How long a worker holds a job before another may take "
            "it over."),
    Setting("JOB_RETRY_BASE_SECONDS", "int", "First wait before a failed job is retried, "
            "doubling at each failure."),
    Setting("WEBHOOK_ALLOW_PRIVATE_URLS", "bool", "Let webhook endpoints use `http://` and "
            "loopback, private or link-local addresses; for development and tests only "
            "(production refuses them, so a webhook cannot reach the internal network)."),
    Setting("WEBHOOK_TIMEOUT_SECONDS", "int", "How long one webhook delivery waits to connect, "
            "and then for the answer, in seconds."),
    Setting("WEBHOOK_DISABLE_AFTER", "int", "Deliveries given up in a row (each after all its "
            "attempts) after which a webhook endpoint is turned off and its managers told."),
    Setting("METRICS_TOKEN", "secret", "The bearer token Prometheus sends to read `/metrics`; "
            "without one, `/metrics` does not exist."),
    Setting("LOG_FORMAT", "choice", "`json` (one JSON object a line, for log collectors) or "
            "`text`.", choices=("json", "text")),
    Setting("COURSES_DIR", "str", "Where `ecampus courses publish` reads by default.",
            shown="`./courses`"),
    Setting("SITE_NAME", "str", "The name shown on pages and in mail."),
    Setting("ISSUER_NAME", "str", "The issuer named on certificates and credentials."),
    Setting("SIGNING_KEY", "secret", "The Ed25519 private key (PEM) that signs credentials, "
            "the same on every node; without it the key lives in the database, sealed with "
            "`SECRET_KEY`.", key="SIGNING_KEY_PEM", shown="created on first use in the database"),
    Setting("SINGLE_NODE", "bool", "On when one node serves the site alone; production then "
            "accepts mail written to `MAIL_OUTBOX` instead of sent to `MAIL_SERVER`."),
    Setting("LANGUAGES", "list", "Interface languages, comma-separated; each needs a catalog "
            "in `ecampus/translations/` (English needs none)."),
    Setting("DEFAULT_LANGUAGE", "choice", "The language of visitors whose browser asks for "
            "none of `LANGUAGES`.", key="BABEL_DEFAULT_LOCALE"),
)

#: The file in the instance folder that may set any of SETTINGS by name.
CONFIG_FILE = "ecampus.toml"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _database_url(url: str) -> str:
    if url.startswith("postgres://"):
        return "postgresql+psycopg://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _convert(setting: Setting, value, where: str):
    """`value` as `setting`'s type, or a ConfigError naming the setting and where it was set."""
    given = value

    def refuse(expected: str):
        return ConfigError(f"{where} must be {expected}; it is {given!r}.")

    kind = setting.kind
    if kind in {"str", "secret", "database_url", "choice"}:
        if not isinstance(value, str):
            raise refuse("text")
        if kind == "database_url":
            return _database_url(value)
        if kind == "choice":
            value = value.strip()
            if setting.choices and value not in setting.choices:
                raise refuse("one of " + ", ".join(setting.choices))
        return value
    if kind == "int":
        if isinstance(value, str) and value.strip().lstrip("+").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < setting.minimum:
            raise refuse(f"a whole number of {setting.minimum} or more")
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise refuse("on or off (1/0, true/false, yes/no)")
    if kind == "list":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            raise refuse("a comma-separated list of names")
        return [item.strip() for item in items if item.strip()]
    if kind == "limits":
        from limits import parse_many

        try:
            if not isinstance(value, str) or not parse_many(value):
                raise ValueError(value)
        except ValueError:
            raise refuse("rate limits such as '5/minute;30/hour'") from None
        return value
    raise AssertionError(f"unknown setting kind {kind!r}")


def settings_table() -> str:
    """SETTINGS as the Markdown table docs/configuration.md carries, so the two cannot drift."""
    defaults = default_config("instance")
    rows = ["| setting (file key) | environment variable | default | meaning |",
            "|---|---|---|---|"]
    for setting in SETTINGS:
        shown = _shown_default(setting, defaults)
        rows.append(f"| `{setting.name}` | `{setting.variable}` | {shown} | {setting.meaning} |")
    return "\n".join(rows) + "\n"


def _shown_default(setting: Setting, defaults: dict) -> str:
    if setting.shown:
        return setting.shown
    value = defaults[setting.config_key]
    if setting.kind == "secret" or value in ("", None, []):
        return "none"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, list | tuple):
        return "`" + ",".join(value) + "`"
    return f"`{value}`"


def from_file(config: dict, instance_path: str) -> None:
    """Overlay the settings named in the optional instance/ecampus.toml on `config`."""
    path = Path(instance_path) / CONFIG_FILE
    if not path.is_file():
        return
    try:
        with path.open("rb") as handle:
            values = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}.") from None
    by_name = {setting.name: setting for setting in SETTINGS}
    for name, value in values.items():
        setting = by_name.get(name.upper())
        if setting is None:
            raise ConfigError(f"{path} sets {name!r}, which is not a setting; the settings are "
                              f"listed in docs/configuration.md.")
        config[setting.config_key] = _convert(setting, value, f"{setting.name} in {path}")


def from_environment(config: dict) -> None:
    """Overlay DATABASE_URL, SECRET_KEY and every ECAMPUS_* variable of SETTINGS on `config`."""
    for setting in SETTINGS:
        value = os.environ.get(setting.variable)
        if value is None or (value == "" and setting.kind not in {"str", "secret"}):
            continue
        config[setting.config_key] = _convert(setting, value, setting.variable)


def check(config: dict) -> None:
    """Refuse to run a production app with a guessable secret, no public address, or
    languages it has no catalog for; derive what HTTPS implies."""
    _check_languages(config)
    if config.get("HTTPS"):
        config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True,
                      PREFERRED_URL_SCHEME="https")
    if config["ENV_NAME"] in {"development", "testing"}:
        if not config["SECRET_KEY"]:
            config["SECRET_KEY"] = "development-only-secret"  # noqa: S105 - dev and tests only
        _check_public_url(config, fallback=DEVELOPMENT_PUBLIC_URL)
        config["TRUSTED_HOSTS"] = _trusted_hosts(config, DEVELOPMENT_HOSTS)
        return
    _check_secret(config)
    _check_public_url(config, fallback=None)
    _check_shared_state(config)
    config["TRUSTED_HOSTS"] = _trusted_hosts(config, ())


def _check_languages(config: dict) -> None:
    languages = list(config["LANGUAGES"])
    if not languages:
        raise ConfigError("ECAMPUS_LANGUAGES names no language; give at least one, such as en.")
    catalogs = Path(__file__).parent / "translations"
    for code in languages:
        if code != "en" and not (catalogs / code / "LC_MESSAGES" / "messages.mo").is_file():
            raise ConfigError(f"ECAMPUS_LANGUAGES names {code!r}, which has no catalog in "
                              f"{catalogs}; use some of: en, " + ", ".join(
                                  sorted(p.name for p in catalogs.iterdir() if p.is_dir())) + ".")
    if config["BABEL_DEFAULT_LOCALE"] not in languages:
        raise ConfigError(f"ECAMPUS_DEFAULT_LANGUAGE is {config['BABEL_DEFAULT_LOCALE']!r}, which "
                          f"is not one of ECAMPUS_LANGUAGES ({', '.join(languages)}).")
    config["LANGUAGES"] = languages


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


def _check_shared_state(config: dict) -> None:
    """Refuse what would differ from node to node, unless the site runs on one node."""
    if config["SINGLE_NODE"] or config["MAIL_SERVER"]:
        return
    raise ConfigError(
        "E-Campus has no SMTP server to send mail through: without one, each node would write "
        f"mail to files in its own folder ({config['MAIL_OUTBOX']}). Set the server, "
        "for example:\n"
        "    export ECAMPUS_MAIL_SERVER=smtp.example.gov\n"
        "or, if this one node serves the site alone, say so: export ECAMPUS_SINGLE_NODE=true"
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
