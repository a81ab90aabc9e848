"""Cursor paging: a cursor is the opaque encoding of the last row's sort key, so each page is
one indexed range query however deep the reader goes, and rows added meanwhile are not
skipped or repeated."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from .problems import abort_problem


def encode(*key) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()
                                    ).decode().rstrip("=")


def decode(cursor: str | None, *kinds: type) -> tuple | None:
    """The sort key of a cursor as `kinds` (int, str, datetime), or a 400 problem."""
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError
        key = []
        for kind, value in zip(kinds, values, strict=True):
            if kind is datetime:
                key.append(datetime.fromisoformat(value))
            elif (kind is int and type(value) is int and 0 <= value < 2**31) or (
                    kind is str and isinstance(value, str)):
                key.append(value)
            else:
                raise ValueError
        return tuple(key)
    except (ValueError, TypeError, UnicodeDecodeError):
        abort_problem(400, "The cursor is not one this API gave: start again without it.")
    return None  # unreachable


def page(rows: list, limit: int, key) -> tuple[list, str | None]:
    """The first `limit` rows and the cursor after them (None when nothing follows); the
    query asked for limit + 1 rows to know."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode(*key(rows[-1]))
