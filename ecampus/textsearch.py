"""Search that ignores case and accents, the same on SQLite and PostgreSQL.

Text is stored beside its folded form (a search key, kept by the code on every write) and a
query is folded the same way in Python, so a plain LIKE on the key finds "contratación"
from "contratacion" or "ETRE" from "être" without any database extension.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import and_, true
from sqlalchemy.sql.elements import ColumnElement

#: Letters that are not a base letter plus a combining mark, spelt the way people type them.
_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ð": "d", "ł": "l",
                          "ı": "i", "þ": "th", "ħ": "h"})
#: At most this many words of a query are used (each is one LIKE).
MAX_WORDS = 8


def fold(text: str | None) -> str:
    """`text` without case, accents or ligatures, so any spelling a person types matches."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold().translate(_LETTERS))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", bare).split())


def query_words(query: str | None) -> list[str]:
    """The folded words of a search box, at most `MAX_WORDS` of them."""
    return fold(query).split()[:MAX_WORDS]


def matches_all(key: ColumnElement, words: list[str]) -> ColumnElement:
    """A condition true where the folded `key` column contains every word."""
    if not words:
        return true()
    return and_(*(key.contains(word, autoescape=True) for word in words))


def has_all(text: str, words: list[str]) -> bool:
    """Whether the folded `text` contains every word, for ranking rows already loaded."""
    folded = fold(text)
    return all(word in folded for word in words)


def person_key(full_name: str | None, email: str | None) -> str:
    """The search key of a person: their name and their address, folded."""
    return fold(f"{full_name or ''} {email or ''}")
