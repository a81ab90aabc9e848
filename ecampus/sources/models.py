"""Course sources: git repositories whose courses the site publishes on a push or on demand."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class CourseSource(db.Model):
    """A repository and branch to publish from, with the secret its webhook is signed with.

    The secret is kept as given because checking an HMAC needs the key itself; it is shown
    to the admin once, when the source is created.
    """

    __tablename__ = "course_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(1000))
    branch: Mapped[str] = mapped_column(String(200))
    webhook_secret: Mapped[str] = mapped_column(String(200))
    #: The commit last published from this source, so the same push publishes nothing.
    last_commit: Mapped[str | None] = mapped_column(String(64))
    last_synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The course slugs the last sync found, to retire those that leave the repository.
    course_slugs: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
