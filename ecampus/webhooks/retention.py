"""What webhooks let go (`ecampus purge`): deliveries finished long ago. Pending ones stay
whatever their age, so nothing owed to a receiver is dropped."""

from __future__ import annotations

from datetime import datetime

from ..retention import cutoff, purge
from .models import DELIVERED, FAILED, WebhookDelivery


def purge_old_deliveries(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Deliveries delivered or given up, made RETENTION_WEBHOOK_DAYS ago."""
    return purge("webhook_deliveries", WebhookDelivery.__table__,
                 WebhookDelivery.status.in_((DELIVERED, FAILED))
                 & (WebhookDelivery.created_at < cutoff(now, "RETENTION_WEBHOOK_DAYS")),
                 dry_run=dry_run)
