"""XML Schema date-times as credentials carry them: full date, time and zone, in UTC.

The JavaScript verifiers reject a date-only ``validFrom``; VC 2.0 asks for a
``dateTimeStamp`` (a time zone is required). E-Campus writes whole seconds with ``Z``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DATETIME_STAMP = re.compile(
    r"-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?|24:00:00(\.0+)?)"
    r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))"
)


def format_datetime(moment: datetime) -> str:
    """``2024-05-01T09:30:00Z``: an aware datetime in UTC to whole seconds."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"{moment!r} is not a timezone-aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_datetime_stamp(value: object) -> bool:
    """True for a full XML Schema dateTime with a time zone (no date-only values)."""
    return isinstance(value, str) and _DATETIME_STAMP.fullmatch(value) is not None


def parse_datetime_stamp(value: object) -> datetime:
    """The aware datetime of a dateTimeStamp string; ValueError for anything else."""
    if not is_datetime_stamp(value):
        raise ValueError(f"{value!r} is not a full date-time with a time zone")
    text = str(value).replace("Z", "+00:00")
    if "T24:00:00" in text:
        raise ValueError(f"{value!r}: 24:00:00 is not supported")
    return datetime.fromisoformat(text)
