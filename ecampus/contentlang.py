"""Marking course content with its own language and direction when it differs from the page,
so screen readers pronounce it by the right rules and right-to-left text reads correctly."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale, UnknownLocaleError
from markupsafe import Markup, escape


@lru_cache(maxsize=256)
def direction(language: str) -> str:
    """'rtl' for a right-to-left language (Arabic, Hebrew, Persian, Urdu…), else 'ltr'."""
    try:
        return Locale.parse((language or "").replace("-", "_")).text_direction
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"


def lang_attributes(language: str, page_language: str) -> Markup:
    """The `lang` attribute of content in `language`, with `dir` when its direction differs
    from the page's, ready to place inside an element's start tag."""
    if not language:
        return Markup("")
    attributes = Markup('lang="%s"') % escape(language)
    if direction(language) != direction(page_language):
        attributes += Markup(' dir="%s"') % direction(language)
    return attributes
