"""The job queue and the mail outbox: rows committed with the change that owes the work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

QUEUED = "queued"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
SENT = "sent"


class Job(db.Model):
    """Follow-up work for the worker: a handler name (`kind`) and its arguments.

    A job is `queued`, then `running` while a worker holds its lease (`locked_until`), then
    `done`, or back to `queued` with a later `run_after` after a failure, and `failed` once
    `max_attempts` are spent. A `key` makes enqueueing idempotent: at most one queued job
    per key (a partial unique index), so a burst of changes leaves one job to run.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("uq_jobs_key_queued", "key", unique=True,
              sqlite_where=text("status = 'queued'"),
              postgresql_where=text("status = 'queued'")),
        Index("ix_jobs_status_run_after", "status", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()
    locked_by: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()


class MailMessage(db.Model):
    """One outgoing message, kept until the SMTP server accepted it.

    Its Message-ID is fixed when it is queued, so a message sent twice after a crash is
    recognisable as one by every mail client. `key` makes queueing idempotent.
    """

    __tablename__ = "mail_messages"
    __table_args__ = (Index("ix_mail_messages_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    message_id: Mapped[str] = mapped_column(String(255))
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default=QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
