"""Enrolments and module completions: what a learner has started and finished."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..catalog.models import Course, Module
from ..extensions import db
from ..timeutil import utcnow


class Enrolment(db.Model):
    """A learner's place in a course. Leaving keeps the row, so re-enrolling restores it."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),
                      Index("ix_enrolments_updated_at_id", "updated_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    #: Set by an institution for a cohort; learners see it on their dashboard.
    due_on: Mapped[date | None]
    last_module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id"))
    last_visited_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default="self")  # self | cohort | admin
    #: When anything a report shows of it last changed (progress, completion, due date,
    #: quiz result): every UPDATE of the row sets it, and so do a module completion and a
    #: graded quiz. The API's `updated_since` reads this, through the index above.
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: How many of the course's live required modules the learner has completed, kept in the
    #: transaction of every change to it (`learning.services`), so a report of thousands of
    #: enrolments reads one column instead of counting completions. `ecampus doctor` checks it.
    modules_done: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The learner's quiz result in the course (the mean over its live quizzes of the best
    #: graded score, as `quizzes.course_results` gives it), None before any graded attempt:
    #: kept by `quizzes` in the transaction of every grade, so a cohort's mean score and
    #: "started" come from the same GROUP BY as its other figures. `ecampus doctor` checks it.
    quiz_score: Mapped[float | None]

    course: Mapped[Course] = relationship()


class ModuleCompletion(db.Model):
    """A module done by a learner. Keyed on the module, not its version: edits keep it done."""

    __tablename__ = "module_completions"
    __table_args__ = (UniqueConstraint("user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("module_versions.id"))
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship()
