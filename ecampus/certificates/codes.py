"""Certificate codes: short enough to read aloud, unguessable, with a check character.

A code is 13 Crockford base32 symbols (65 random bits) followed by one Crockford check
symbol (the 65-bit number mod 37), 14 characters in all. It is shown in groups of
4-3-3-4, ``7K3M-Q9X-D4R-TVZ8``: groups of three or four are what people hold in mind while
reading a code aloud or copying it, and the symmetric shape makes a dropped character easy
to spot. The check symbol catches every single mistyped character and every swap of two
neighbouring characters, so a typo is reported before any database lookup.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from enum import StrEnum

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Crockford's check alphabet: the 32 symbols above plus five used only as check values.
CHECK_ALPHABET = ALPHABET + "*~$=U"
DATA_LENGTH = 13
CODE_LENGTH = DATA_LENGTH + 1
RANDOM_BITS = 5 * DATA_LENGTH
GROUPS = (4, 3, 3, 4)

# Characters people type for symbols that look alike; Crockford decodes them this way.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")  # spaces and any dash
_VALUES = {symbol: value for value, symbol in enumerate(CHECK_ALPHABET)}


class InvalidCodeKind(StrEnum):
    """Why a typed code was refused; a str so the web layer can map it to a translation."""

    LENGTH = "length"
    CHARACTER = "character"
    CHECKSUM = "checksum"


class InvalidCode(ValueError):
    """A typed certificate code that cannot be a real one, with a reason a person can act on.

    ``kind`` says which rule failed; ``typed_length`` is set for ``length`` and
    ``character``/``position`` (1-based, after separators are removed) for ``character``.
    """

    def __init__(
        self,
        kind: InvalidCodeKind,
        message: str,
        *,
        typed_length: int | None = None,
        character: str | None = None,
        position: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.typed_length = typed_length
        self.character = character
        self.position = position


def new_code() -> str:
    """Draw a fresh certificate code in its canonical, grouped form.

    Draws whose check value would fall on one of ``*~$=U`` are drawn again, so issued codes
    are letters and digits only (easier to say and type); that keeps log2(32/37 * 2**65)
    ~= 64.8 bits of randomness. Such codes are still accepted when typed.
    """
    while True:
        number = secrets.randbits(RANDOM_BITS)
        check = number % 37
        if check < len(ALPHABET):
            return _group(_encode(number) + CHECK_ALPHABET[check])


def normalise_code(text: str) -> str:
    """Turn what a person typed into the canonical grouped code, or say what is wrong.

    Accepts lower case, spaces and hyphens, and reads O as 0 and I/L as 1; raises
    ``InvalidCode`` for a wrong length, a foreign character or a failed check symbol.
    """
    compact = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    symbols = ""
    # Upper-case per character: upper() can lengthen a string ("ß" -> "SS").
    for position, typed in enumerate(compact, start=1):
        symbol = _ALIASES.get(typed.upper(), typed.upper())
        if symbol not in _VALUES:
            raise InvalidCode(
                InvalidCodeKind.CHARACTER,
                f'"{typed}" cannot appear in a certificate code',
                character=typed,
                position=position,
            )
        symbols += symbol
    if len(symbols) != CODE_LENGTH:
        raise InvalidCode(
            InvalidCodeKind.LENGTH,
            f"a certificate code has {CODE_LENGTH} characters; you typed {len(symbols)}",
            typed_length=len(symbols),
        )
    for position, symbol in enumerate(symbols[:DATA_LENGTH], start=1):
        if _VALUES[symbol] >= len(ALPHABET):
            raise InvalidCode(
                InvalidCodeKind.CHARACTER,
                f'"{compact[position - 1]}" can only be the last character of a certificate code',
                character=compact[position - 1],
                position=position,
            )

    number = 0
    for symbol in symbols[:DATA_LENGTH]:
        number = number * 32 + _VALUES[symbol]
    if number % 37 != _VALUES[symbols[-1]]:
        raise InvalidCode(InvalidCodeKind.CHECKSUM, "this code contains a typing mistake")
    return _group(symbols)


def is_valid_code(text: str) -> bool:
    """Say whether ``text`` could be a certificate code, for callers that need no reason."""
    try:
        normalise_code(text)
    except InvalidCode:
        return False
    return True


def _encode(number: int) -> str:
    symbols = []
    for _ in range(DATA_LENGTH):
        number, value = divmod(number, 32)
        symbols.append(ALPHABET[value])
    return "".join(reversed(symbols))


def _group(symbols: str) -> str:
    parts, start = [], 0
    for size in GROUPS:
        parts.append(symbols[start : start + size])
        start += size
    return "-".join(parts)
