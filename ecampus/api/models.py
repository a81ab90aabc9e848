"""API tokens and the answers kept for idempotent retries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow

#: What a token may do. READ: read; ENROL: change cohorts, their courses and members;
#: ADMIN: site-wide actions (revoking a certificate), for an administrator's token only.
READ, ENROL, ADMIN = "read", "enrol", "admin"
SCOPES = (READ, ENROL, ADMIN)
#: PERSONAL: a person's own learning; INSTITUTION: one institution, acting as the manager
#: who made it; SITE: every institution, acting as the administrator who made it.
PERSONAL, INSTITUTION, SITE = "personal", "institution", "site"


class ApiToken(db.Model):
    """A bearer token. Only a hash of its secret is kept; the prefix names it in lists.

    It acts for `user_id` (the person, or the manager or administrator who created it) and
    never beyond what that account may do at the moment of each request.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The first characters of the token, shown so its owner can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Space-separated scopes, from SCOPES.
    scopes: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    #: Updated at most once a minute, by a conditional UPDATE.
    last_used_at: Mapped[datetime | None]

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotentRequest(db.Model):
    """A POST sent with an `Idempotency-Key`: the first one's fingerprint and answer.

    The unique (token, key) pair serialises concurrent duplicates: the second insert fails
    and that request waits for, then replays, the first one's stored answer.
    """

    __tablename__ = "api_idempotent_requests"
    __table_args__ = (UniqueConstraint("token_id", "key"),
                      Index("ix_api_idempotent_requests_created_at", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    #: sha256 of method, path and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Empty while the first request is still running.
    status: Mapped[int | None]
    body: Mapped[Any | None] = mapped_column(JSON)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)
