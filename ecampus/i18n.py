"""Interface language: the user's choice, else the browser's Accept-Language."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import flask_babel
from babel import Locale
from babel.lists import format_list
from babel.numbers import format_percent
from babel.units import format_unit
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup

from .extensions import babel
from .timeutil import utcnow


@lru_cache(maxsize=256)
def language_name(code: str) -> str:
    """A language named in itself, so a reader finds their own whatever page is shown."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(code.replace("-", "_"))
    except (ValueError, TypeError):
        return code
    return name[:1].upper() + name[1:] if name else code


def interface_languages() -> dict[str, str]:
    """The configured interface languages (LANGUAGES), each named in itself, in order."""
    return {code: language_name(code) for code in current_app.config["LANGUAGES"]}


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


def percent(value: float | None, digits: int = 1) -> str:
    """A percentage given out of 100, as the reader writes it: '100 %', '87,5 %', '87.5%'."""
    if value is None:
        return "—"
    return _percent(value, digits, get_locale())


@lru_cache(maxsize=4096)
def _percent(value: float, digits: int, locale: Locale) -> str:
    """`percent`, remembered: pages show the same few progress figures again and again."""
    rounded = round(Decimal(str(value)), digits).normalize()
    return format_percent(rounded / 100, locale=locale, decimal_quantization=False)


def number(value: float | None, digits: int = 1) -> str:
    """A number with at most `digits` decimals, as the reader writes it: '1 234,5'."""
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0." + "#" * digits if digits else "#,##0")


def count(value: int) -> str:
    """A whole number as the reader writes it: '12,345', '12.345', '12 345'."""
    return format_decimal(value, format="#,##0")


def translations():
    """This request's translations, as `flask_babel.get_translations()`, looked up once.

    Flask-Babel finds them afresh on every call, through about ten context lookups, and a
    page asks for dozens of strings. They are kept where Flask-Babel keeps the request's
    locale, under the name its `refresh()` clears, so a change of locale is still seen.
    """
    if not has_app_context():
        return flask_babel.get_translations()
    namespace = g.get("_flask_babel")
    found = getattr(namespace, "babel_translations", None)
    if found is None:
        found = flask_babel.get_translations()
        namespace = g.get("_flask_babel")
        if namespace is not None:
            namespace.babel_translations = found
    return found


def ngettext(singular: str, plural: str, n: int, /, **variables) -> str:
    """Flask-Babel's ngettext, with `%(num)s` written as the reader writes numbers."""
    variables.setdefault("num", count(n))
    return translations().ungettext(singular, plural, n) % variables


@pass_context
def _template_ngettext(context, singular: str, plural: str, n: int, /,
                       **variables) -> str:
    """Templates' ngettext: as Jinja's own (escaping, `num` by default), the number
    formatted for the reader."""
    variables.setdefault("num", count(n))
    text = translations().ungettext(singular, plural, n)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 (a catalog string, as Jinja's own ngettext)
    return text % variables


def duration(minutes: int | None) -> str:
    """Minutes as the reader says them, in CLDR's words: '45 min', '2 hr 30 min', '2 h 30 min'."""
    if not minutes:
        return ""
    locale = get_locale()
    hours, rest = divmod(int(minutes), 60)
    parts = []
    if hours:
        parts.append(format_unit(hours, "duration-hour", length="short", locale=locale))
    if rest or not hours:
        parts.append(format_unit(rest, "duration-minute", length="short", locale=locale))
    try:
        return format_list(parts, style="unit-narrow", locale=locale)
    except KeyError:  # a locale whose CLDR data lacks the narrow unit list
        return " ".join(parts)


def init_i18n(app: Flask) -> None:
    """Bind Flask-Babel to the bundled catalogs and our locale rule."""
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    app.jinja_env.globals["interface_languages"] = interface_languages
    app.jinja_env.globals["current_locale"] = lambda: str(get_locale())
    app.jinja_env.globals["format_date"] = format_date
    app.jinja_env.filters["percent"] = percent
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["count"] = count
    app.jinja_env.filters["duration"] = duration
    # Templates' gettext as Flask-Babel installs it, less the lookups `translations` saves;
    # Jinja's i18n extension still escapes and formats (newstyle).
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        newstyle=True,
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(
            context, singular, plural, n),
    )
    app.jinja_env.globals["ngettext"] = _template_ngettext
    app.jinja_env.globals["format_datetime"] = format_datetime
    app.jinja_env.globals["today"] = lambda: utcnow().date()
