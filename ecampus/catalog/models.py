"""Published courses: stable course and module identities, versioned module content.

A `Module` is the stable identity that progress points at; each change of its files makes a
new `ModuleVersion`, and old versions are kept so an attempt can point at the exact content
it was taken on. Nothing here is deleted: removed courses and modules are retired.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import utcnow


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Digest of the folder's raw files when last published, to skip unchanged folders.
    source_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    base_language: Mapped[str] = mapped_column(String(8))
    languages: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # published | draft
    enrolment: Mapped[str] = mapped_column(String(16))  # open | invite
    duration_minutes: Mapped[int | None]
    level: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSON)
    authors: Mapped[list[str]] = mapped_column(JSON)
    #: Lower-cased emails of the accounts that own the course (its `authors` given as emails).
    owners: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: {"title", "hours", "expires_after_months"}, or None when the course gives none.
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    texts: Mapped[list[CourseText]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseText.language"
    )
    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position"
    )

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def text(self, language: str) -> CourseText:
        """The course page in `language`, else in the base language."""
        by_language = {t.language: t for t in self.texts}
        return by_language.get(language) or by_language[self.base_language]


class CourseText(db.Model):
    __tablename__ = "course_texts"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    description_html: Mapped[str] = mapped_column(Text)

    course: Mapped[Course] = relationship(back_populates="texts")


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))  # lesson | quiz
    required: Mapped[bool] = mapped_column(default=True)
    duration_minutes: Mapped[int | None]
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_versions.id", use_alter=True)
    )
    retired_at: Mapped[datetime | None]

    course: Mapped[Course] = relationship(back_populates="modules")
    current_version: Mapped[ModuleVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )

    @property
    def is_quiz(self) -> bool:
        return self.kind == "quiz"


class ModuleVersion(db.Model):
    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id"), index=True)
    number: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The quiz settings of this version (pass mark, attempts, ...); None for lessons.
    quiz: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship(foreign_keys=[module_id])
    texts: Mapped[list[ModuleText]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="ModuleText.language"
    )

    def text(self, language: str) -> ModuleText | None:
        """This version in `language`, or None when it has no such translation."""
        return next((t for t in self.texts if t.language == language), None)


class ModuleText(db.Model):
    """A module version in one language, rendered and sanitised at publish time."""

    __tablename__ = "module_texts"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("module_versions.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body_html: Mapped[str] = mapped_column(Text)
    #: Quiz questions with their answer key; never sent to a browser before grading.
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    version: Mapped[ModuleVersion] = relationship(back_populates="texts")


class MediaBlob(db.Model):
    """File bytes addressed by their SHA-256, shared by every course that uses them."""

    __tablename__ = "media_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CourseFile(db.Model):
    """A course's image or download at its path inside the course folder."""

    __tablename__ = "course_files"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    relpath: Mapped[str] = mapped_column(String(500), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("media_blobs.sha256"))
    mimetype: Mapped[str] = mapped_column(String(100))

    course: Mapped[Course] = relationship()


class PublishRecord(db.Model):
    """One attempt to publish one course, whatever started it, kept for the course's history.

    A refused new course has no course row yet: `course_id` is then empty and `slug` names it.
    """

    __tablename__ = "publish_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    #: Who published, as they were called then (the account may change or go).
    actor_email: Mapped[str | None] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(16))  # cli | upload | git | preview
    commit_id: Mapped[str | None] = mapped_column(String(64))
    commit_author: Mapped[str | None] = mapped_column(String(300))
    commit_message: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # published | unchanged | refused | ...
    #: {"course_version", "modules": {"added": [...], "changed": [...], "retired": [...]},
    #:  "quiz_versions": {module slug: version number}}
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The checker's problems, one ``path:line: severity: message`` a line.
    report: Mapped[str] = mapped_column(Text, default="")
