"""Quiz attempts: each keeps the exact questions, answer key and order it was taken on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Module, ModuleVersion
from ..extensions import db
from ..timeutil import utcnow

OPEN, GRADED = "open", "graded"


class Attempt(db.Model):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "number"),
        Index("ix_attempts_version_status", "version_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    number: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8), default=OPEN)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    #: The drawn questions, in the order shown, each with its answer key, `display` order and
    #: the form tokens that stand for it on the page (`token`, `tokens`, `value_tokens`).
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: The quiz settings in force when the attempt started.
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    responses: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    question_scores: Mapped[dict[str, float] | None] = mapped_column(JSON)
    score: Mapped[float | None]
    passed: Mapped[bool | None]

    module: Mapped[Module] = relationship()
    version: Mapped[ModuleVersion] = relationship()

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def seconds_left(self, now: datetime) -> int | None:
        if self.deadline is None:
            return None
        return max(0, int((self.deadline - now).total_seconds()))
