"""Certificates and the public keys that signed them.

A certificate records what was printed at issue time (the learner's name, the course title
and version), so later edits to a profile or a course never change an issued certificate.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Course
from ..extensions import db
from ..timeutil import utcnow
from .wording import valid_until

VALID, REVOKED, REPLACED = "valid", "revoked", "replaced"


class Certificate(db.Model):
    __tablename__ = "certificates"
    __table_args__ = (
        # Issue exactly once: automatic issue always claims sequence 1 for a learner's course,
        # so concurrent completions collide here; a reissue takes the next number.
        UniqueConstraint("user_id", "course_id", "sequence"),
        # Each certificate owns one bit of one status list; the bit is random within its list.
        UniqueConstraint("status_list", "status_index"),
        # Serving a list reads only its set bits: the index covers that query.
        Index("ix_certificates_status_list_status", "status_list", "status", "status_index"),
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
    #: Which revocation BitstringStatusList holds its bit (served at /issuer/status/<n>).
    status_list: Mapped[int] = mapped_column(default=0)
    #: Position of its bit in that list, drawn at random.
    status_index: Mapped[int]
    #: The signed credential's ``id`` (urn:uuid:...), to find the record a file came from.
    credential_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    #: The signed Open Badges 3.0 credential, exactly as issued.
    credential: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship()
    replaced_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    @property
    def valid_until(self) -> datetime | None:
        """When it ceases to be valid (UTC): the credential's validUntil."""
        return valid_until(self.expires_on)

    def state(self, now: datetime) -> str:
        """valid, expired, revoked or replaced, as the verification page shows it; `now` is
        naive UTC (as `utcnow()` gives) or aware."""
        if self.status != VALID:
            return self.status
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        if self.expires_on is not None and now >= self.valid_until:
            return "expired"
        return VALID


class SigningKey(db.Model):
    """A public key that has signed credentials; kept after rotation so they still verify.
    The key every node signs with now also carries its private half, sealed with SECRET_KEY."""

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The multibase Ed25519 public key (z6Mk...), also the fragment of its key id.
    public_multikey: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]
    #: "current" on the one key the site signs with now (unique, so two nodes creating the
    #: first key at once keep one); empty once retired, and for keys held outside the database.
    slot: Mapped[str | None] = mapped_column(String(16), unique=True)
    #: The private key (PEM) sealed with a key derived from SECRET_KEY (Fernet); empty for
    #: retired keys and keys given in ECAMPUS_SIGNING_KEY.
    private_key: Mapped[str | None] = mapped_column(Text)


class IssuerLook(db.Model):
    """The institution's own emblem, signatory and seal, printed on every certificate.

    One row (id 1), in the database so that every node prints the same; images are PNG or
    SVG bytes already checked by `images.check_image`.
    """

    __tablename__ = "certificate_look"

    id: Mapped[int] = mapped_column(primary_key=True)
    emblem: Mapped[bytes | None] = mapped_column(LargeBinary)
    emblem_type: Mapped[str | None] = mapped_column(String(20))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature_type: Mapped[str | None] = mapped_column(String(20))
    seal: Mapped[bytes | None] = mapped_column(LargeBinary)
    seal_type: Mapped[str | None] = mapped_column(String(20))
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_title: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
