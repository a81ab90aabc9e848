"""Institutions' webhook endpoints and the deliveries of events to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

#: A delivery's states: waiting for its (next) attempt, accepted (2xx), given up.
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


class WebhookEndpoint(db.Model):
    """An HTTPS address of an institution's system, told of the events it subscribed to.

    The secret (`whsec_...`) is kept as made because signing needs the key itself; it is
    shown to the manager once, when it is made or rotated.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    #: The event types (ecampus.events.EVENT_TYPES) this endpoint receives.
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    #: Why it is off: "manager" (turned off by hand) or "failures" (kept failing).
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    disabled_at: Mapped[datetime | None]
    #: Deliveries given up in a row since the last success; too many turn the endpoint off.
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(db.Model):
    """One event owed to one endpoint, and how its attempts went.

    The body is built once from `payload` and signed at each attempt with the endpoint's
    current secret; `event_id` is the `webhook-id` header, the same at every attempt and
    redelivery, so the receiver can drop a duplicate.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(40))
    #: The JSON body sent: {"id", "type", "timestamp", "data"}.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_status_code: Mapped[int | None]
    #: What went wrong at the last attempt (a refused address, a timeout, a status).
    last_error: Mapped[str | None] = mapped_column(String(500))
    #: The start of the last response's body, for the manager to see what the receiver said.
    last_response: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    #: When the next attempt of a pending delivery is due (the queue's backoff).
    next_attempt_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
