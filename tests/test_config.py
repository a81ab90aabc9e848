"""Every operator setting is reachable from the environment and the instance file, checked at
start, and documented exactly as the code defines it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecampus import create_app
from ecampus.config import (
    CONFIG_FILE,
    SETTINGS,
    ConfigError,
    default_config,
    from_environment,
    from_file,
    settings_table,
)

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"

#: Keys of the defaults that are plumbing, not choices an operator makes.
INTERNAL = {
    "SQLALCHEMY_ENGINE_OPTIONS", "WTF_CSRF_TIME_LIMIT", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_HTTPONLY",
    "REMEMBER_COOKIE_SAMESITE", "REMEMBER_COOKIE_SECURE", "PREFERRED_URL_SCHEME",
    "RATELIMIT_HEADERS_ENABLED", "RATELIMIT_ENABLED", "RATELIMIT_STRATEGY",
    "SEND_FILE_MAX_AGE_DEFAULT",
}


def _app(**settings):
    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://", **settings})


def test_documentation_lists_every_setting_as_the_code_defines_it():
    assert settings_table() in DOC.read_text(encoding="utf-8"), (
        "docs/configuration.md is out of date: paste the output of "
        "`python -c 'from ecampus.config import settings_table; print(settings_table())'`")


def test_every_default_is_a_documented_setting_or_plumbing():
    documented = {setting.config_key for setting in SETTINGS}
    undocumented = set(default_config("instance")) - documented - INTERNAL
    assert not undocumented, f"add these to SETTINGS in ecampus/config.py: {undocumented}"


def test_every_setting_has_a_default():
    defaults = default_config("instance")
    assert [s.name for s in SETTINGS if s.config_key not in defaults] == []


@pytest.mark.parametrize(("variable", "value", "key", "expected"), [
    ("ECAMPUS_INVITATION_DAYS", "30", "INVITATION_DAYS", 30),
    ("ECAMPUS_PASSWORD_RESET_HOURS", "1", "PASSWORD_RESET_HOURS", 1),
    ("ECAMPUS_SIGNUP_CONFIRM_HOURS", "48", "SIGNUP_CONFIRM_HOURS", 48),
    ("ECAMPUS_MAX_REQUEST_BYTES", "1048576", "MAX_CONTENT_LENGTH", 1_048_576),
    ("ECAMPUS_VERIFY_LIMITS", "10/minute", "VERIFY_LIMITS", "10/minute"),
    ("ECAMPUS_MAIL_USE_TLS", "off", "MAIL_USE_TLS", False),
    ("ECAMPUS_LANGUAGES", "en, pt", "LANGUAGES", ["en", "pt"]),
    ("DATABASE_URL", "postgres://u@db/x", "SQLALCHEMY_DATABASE_URI", "postgresql+psycopg://u@db/x"),
])
def test_environment_sets_the_setting(monkeypatch, variable, value, key, expected):
    monkeypatch.setenv(variable, value)
    config = default_config("instance")
    from_environment(config)
    assert config[key] == expected


def test_request_size_limit_from_the_environment_refuses_a_larger_body(monkeypatch):
    monkeypatch.setenv("ECAMPUS_MAX_REQUEST_BYTES", "1000")
    app = _app(WTF_CSRF_ENABLED=False)
    response = app.test_client().post("/account/login", data=b"x" * 1001,
                                      content_type="application/octet-stream")
    assert response.status_code == 413


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("ECAMPUS_INVITATION_DAYS", "two weeks", "whole number"),
    ("ECAMPUS_INVITATION_DAYS", "0", "whole number of 1 or more"),
    ("ECAMPUS_LOGIN_LIMITS_PER_PAIR", "five a minute", "rate limits"),
    ("ECAMPUS_HTTPS", "maybe", "on or off"),
    ("ECAMPUS_ENV", "staging", "production, development, testing"),
])
def test_a_bad_environment_value_stops_the_start_naming_the_variable(monkeypatch, variable,
                                                                     value, expected):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable) as error:
        _app()
    assert expected in str(error.value) and repr(value) in str(error.value)


def test_instance_file_sets_settings_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / CONFIG_FILE).write_text(
        'invitation_days = 21\nPASSWORD_RESET_HOURS = 1\nHTTPS = true\n'
        'LANGUAGES = ["en", "pt"]\n', encoding="utf-8")
    monkeypatch.setenv("ECAMPUS_PASSWORD_RESET_HOURS", "3")
    config = default_config(str(tmp_path))
    from_file(config, str(tmp_path))
    from_environment(config)
    assert (config["INVITATION_DAYS"], config["PASSWORD_RESET_HOURS"], config["HTTPS"],
            config["LANGUAGES"]) == (21, 3, True, ["en", "pt"])


@pytest.mark.parametrize(("content", "expected"), [
    ("INVITATION_DAY = 21\n", "'INVITATION_DAY', which is not a setting"),
    ('INVITATION_DAYS = "21 days"\n', "INVITATION_DAYS in "),
    ("INVITATION_DAYS = true\n", "whole number"),
    ("INVITATION_DAYS = \n", "not valid TOML"),
])
def test_a_bad_instance_file_stops_the_start_naming_the_setting(tmp_path, content, expected):
    (tmp_path / CONFIG_FILE).write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected):
        from_file(default_config(str(tmp_path)), str(tmp_path))


def test_no_instance_file_changes_nothing(tmp_path):
    config = default_config(str(tmp_path))
    from_file(config, str(tmp_path))
    assert config == default_config(str(tmp_path))


def test_https_makes_cookies_secure_from_any_source(tmp_path):
    app = _app(HTTPS=True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_a_language_without_a_catalog_stops_the_start():
    with pytest.raises(ConfigError, match="ECAMPUS_LANGUAGES names 'de'"):
        _app(LANGUAGES=["en", "de"])


def test_a_default_language_outside_the_languages_stops_the_start():
    with pytest.raises(ConfigError, match="ECAMPUS_DEFAULT_LANGUAGE is 'es'"):
        _app(LANGUAGES=["en", "pt"], BABEL_DEFAULT_LOCALE="es")


def test_unused_media_setting_is_gone():
    assert "MEDIA_DIR" not in default_config("instance")
