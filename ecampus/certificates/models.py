"""Certificates and the public keys that signed them.

A certificate records what was printed at issue time (the learner's name, the course title
and version), so later edits to a profile or a course never change an issued certificate.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Course
from ..extensions import db
from ..timeutil import utcnow

VALID, REVOKED, REPLACED = "valid", "revoked", "replaced"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # Issue exactly once: automatic issue always claims sequence 1 for a learner's course,
        # so concurrent completions collide here; a reissue takes the next number.
        UniqueConstraint("user_id", "course_id", "sequence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    sequence: Mapped[int] = mapped_column(default=1)
    learner_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(300))
    certificate_title: Mapped[str] = mapped_column(String(300))
    course_version: Mapped[int]
    hours: Mapped[float | None]
    language: Mapped[str] = mapped_column(String(8))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default=VALID)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    #: Position in the revocation BitstringStatusList.
    status_index: Mapped[int] = mapped_column(unique=True)
    #: The signed Open Badges 3.0 credential, exactly as issued.
    credential: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    replaced_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    def state(self, today: date) -> str:
        """valid, expired, revoked or replaced, as the verification page shows it."""
        if self.status != VALID:
            return self.status
        if self.expires_on is not None and self.expires_on < today:
            return "expired"
        return VALID


class SigningKey(db.Model):
    """A public key that has signed credentials; kept after rotation so they still verify."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The multibase Ed25519 public key (z6Mk...), also the fragment of its key id.
    public_multikey: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
