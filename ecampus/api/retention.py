"""What the API lets go (`ecampus purge`): idempotency keys older than their 24 hours, each
holding the answer of a request (which may name people)."""

from __future__ import annotations

from datetime import datetime

from ..retention import purge
from .idempotency import KEEP
from .models import IdempotentRequest


def purge_idempotency_keys(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Idempotency keys past their 24 hours: a retry that late is a new request."""
    return purge("api_idempotency_keys", IdempotentRequest.__table__,
                 IdempotentRequest.created_at < now - KEEP, dry_run=dry_run)
