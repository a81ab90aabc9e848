"""Interface language: the user's choice, else the browser's Accept-Language."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from .extensions import babel
from .timeutil import utcnow

#: Each language named in itself, so a reader finds their own whatever is shown.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français"}


def select_locale() -> str:
    """Signed-in users read their profile language; visitors their last choice or browser's."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or current_app.config[
        "BABEL_DEFAULT_LOCALE"
    ]


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel to the bundled catalogs and our locale rule."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.jinja_env.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["format_date"] = format_date
    app.jinja_env.globals["format_datetime"] = format_datetime
    app.jinja_env.globals["today"] = lambda: utcnow().date()
