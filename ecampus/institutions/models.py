"""Institutions, their managers, cohorts of learners and the CSV imports that fill them.

A cohort only groups people and assigns courses: enrolments, progress and certificates stay
with learning, quizzes and certificates, so leaving a cohort never takes anything away.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..textsearch import fold
from ..timeutil import utcnow


class Institution(db.Model):
    """A ministry, university or training school that enrols its staff."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstitutionManager(db.Model):
    """Who manages which institution: one institution per manager, so scoping is simple."""

    __tablename__ = "institution_managers"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstitutionMember(db.Model):
    """Someone who belongs to an institution: an account it created, or one that accepted its
    invitation. A manager reaches the learning of these people only."""

    __tablename__ = "institution_members"

    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Cohort(db.Model):
    """A group of learners of one institution who follow the same courses."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the cohort is archived (through the API): kept with its members and
    #: reports, and listed apart from current cohorts.
    archived_at: Mapped[datetime | None]

    institution: Mapped[Institution] = relationship()


class CohortMember(db.Model):
    """A learner in a cohort. Removing the row never touches their enrolments."""

    __tablename__ = "cohort_members"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The institution's own staff number, kept so exports match its records.
    external_id: Mapped[str | None] = mapped_column(String(100))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortCourse(db.Model):
    """A course assigned to a cohort, with the date its learners should finish by."""

    __tablename__ = "cohort_courses"

    cohort_id: Mapped[int] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True)
    due_on: Mapped[date | None]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class CohortTally(db.Model):
    """What the members of a cohort have done in one of its courses: the report's figures,
    kept by the database itself where it is SQLite (see `tallies`).

    Counts every member's enrolment in the course, invited or not; the report takes away the
    few members the cohort still waits for. Removed with the cohort's course.
    """

    __tablename__ = "cohort_tallies"
    __table_args__ = (ForeignKeyConstraint(
        ["cohort_id", "course_id"], ["cohort_courses.cohort_id", "cohort_courses.course_id"],
        ondelete="CASCADE"),)

    cohort_id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(primary_key=True)
    #: Enrolments of members (active or not).
    lines: Mapped[int] = mapped_column(default=0)
    active: Mapped[int] = mapped_column(default=0)
    started: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    #: Enrolments with a quiz result, and the sum of those results.
    scored: Mapped[int] = mapped_column(default=0)
    score_sum: Mapped[float] = mapped_column(Double, default=0)


class CohortTallyDay(db.Model):
    """One day of a cohort's course, kept with `CohortTally`: enrolments made that day,
    courses completed that day, and enrolments not completed whose due date it is (overdue
    once the day has passed, so the count is right whatever today is)."""

    __tablename__ = "cohort_tally_days"
    __table_args__ = (ForeignKeyConstraint(
        ["cohort_id", "course_id"], ["cohort_courses.cohort_id", "cohort_courses.course_id"],
        ondelete="CASCADE"),)

    cohort_id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    enrolled: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    open_due: Mapped[int] = mapped_column(default=0)


class CohortImport(db.Model):
    """An uploaded CSV, parsed and kept between preview and confirmation.

    Confirmation applies these stored rows, never a re-posted file, and claims `applied_at`
    with a conditional update so a double click applies once.
    """

    __tablename__ = "cohort_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"),
                                           index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    applied_at: Mapped[datetime | None]
    filename: Mapped[str] = mapped_column(String(255), default="")
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    encoding: Mapped[str] = mapped_column(String(16))
    #: Normalised people: [{"line", "email", "full_name", "language", "external_id"}].
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Problems found: [{"code", "line", "params"}]; any problem blocks confirmation.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ignored_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: What applying did: {"created", "enrolled", "unchanged"}.
    result: Mapped[dict[str, int] | None] = mapped_column(JSON)


class CohortNotice(db.Model):
    """An email owed to someone added to a cohort: an invitation to a new account, else a
    note of their new courses. Queued in the same transaction as the enrolment and sent
    after it, so a large import never waits for mail and nothing is told before it is true.
    """

    __tablename__ = "cohort_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # invite | enrolled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when a sender claims the notice; put back to empty if the mail could not go.
    sent_at: Mapped[datetime | None] = mapped_column(index=True)


def _name_key(context) -> str:
    """The folded name of an invitation, computed as its row is inserted."""
    return fold(context.get_current_parameters().get("full_name"))


class CohortInvitation(db.Model):
    """Someone asked to join a cohort, whom its manager sees as invited until they answer.

    An existing account from outside the institution is not in the cohort until it accepts:
    it is not enrolled and nothing of its learning reaches the manager. The link's secret is
    stored only as a hash; the row goes when it is answered, so a link works once.

    An account the institution created is in the cohort and enrolled at once, but is mailed
    the invitation to choose a password instead, so this row's own link is never sent; it
    shows as invited, the same way, until the account has a password.
    """

    __tablename__ = "cohort_invitations"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The name the manager gave: the account's own name is not theirs to see before it joins.
    full_name: Mapped[str] = mapped_column(String(200))
    #: That name folded (`textsearch.fold`), for the invited list's filter.
    search_key: Mapped[str] = mapped_column(String(200), default=_name_key, index=True)
    external_id: Mapped[str | None] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the invitation was last mailed: a second add or resend soon after mails nothing.
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
