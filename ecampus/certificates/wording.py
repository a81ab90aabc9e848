"""How a certificate's numbers, durations and dates are written, in one place for the
verification page and the PDF, so both say exactly the same thing in the same language.

Pure functions over plain data: a language code in, text out (Babel's CLDR data).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

#: Babel locale for each language: en_GB gives "29 November 2026", not "November 29, 2026".
LOCALES = {"en": "en_GB", "es": "es", "fr": "fr"}


def base_language(language: str) -> str:
    """``fr`` for ``fr``, ``fr-CA`` or ``fr_CA``."""
    return str(language).replace("_", "-").split("-")[0].lower()


def babel_locale(language: str) -> str:
    """The Babel locale a certificate in `language` is written in."""
    base = base_language(language)
    return LOCALES.get(base, base)


def valid_until(expires_on: date | None) -> datetime | None:
    """The one expiry rule: a certificate is valid through the whole day it expires on, in
    UTC, and ceases to be valid at the next midnight UTC, the instant returned here.

    That instant is the credential's ``validUntil`` (which VC 2.0 defines as when the
    credential ceases to be valid, as Digital Bazaar's verifier reads it); the PDF and the
    verification page print the last valid second before it, ``23:59:59 UTC``."""
    if expires_on is None:
        return None
    return datetime.combine(expires_on + timedelta(days=1), time(), tzinfo=UTC)


def format_day(day: date, language: str) -> str:
    """'29 November 2026', '29 de noviembre de 2026'."""
    return format_date(day, "long", locale=babel_locale(language))


def format_valid_until(expires_on: date, language: str) -> str:
    """'28 November 2028, 23:59:59 UTC': the last valid second, always in UTC."""
    return format_datetime(valid_until(expires_on) - timedelta(seconds=1), "long", tzinfo=UTC,
                           locale=babel_locale(language))


def format_number(number: float, language: str) -> str:
    """'3', '1.5', '1,5', '1,234.5': at most two decimals, none when whole."""
    return format_decimal(number, format="#,##0.##", locale=babel_locale(language))


def hours_plural(hours: float, language: str) -> str:
    """The CLDR plural category of a number of hours ('one' for 1 in English, for 1.5 in
    French), which picks the singular or plural word."""
    return Locale.parse(babel_locale(language)).plural_form(hours)
