"""A learner's copy of their data: the archive the worker builds, kept for a few days."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..extensions import db
from ..timeutil import utcnow

PENDING, READY, FAILED = "pending", "ready", "failed"


class DataExport(db.Model):
    """One "Prepare my data" request and, once built, its zip archive.

    The bytes live in the database, like course media and the certificate look, so every
    node serves the same file. At most one request per person is pending (a partial unique
    index): a second click while one is being prepared adds nothing.
    """

    __tablename__ = "data_exports"
    __table_args__ = (
        Index("uq_data_exports_user_pending", "user_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    #: After this the archive is neither listed nor served, and the next run deletes it.
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    size: Mapped[int | None]
    #: The zip archive; read only to serve it (deferred, so listing never loads it).
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
