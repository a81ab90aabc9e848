"""Time in one convention: naive UTC datetimes, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current UTC time without tzinfo, as every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)
