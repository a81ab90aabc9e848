"""The interface's message catalogs, for text made outside a request.

Course pages are rendered once, at publish time, and certificate PDFs by the worker as well
as by a request: both speak a language chosen by the content, not by the reader, so they
read the compiled catalogs directly. A language without a catalog falls back to English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import Translations

CATALOGS = Path(__file__).resolve().parent / "translations"


@cache
def catalog(language: str) -> Translations:
    """The compiled catalog of `language` ('es', 'pt-BR' reads 'pt'), loaded once."""
    return Translations.load(str(CATALOGS), [language.replace("-", "_").split("_")[0]])
