"""Reading published courses for pages: a fixed number of queries per page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from .models import Course, CourseFile, MediaBlob, Module, ModuleText, ModuleVersion


class CourseNotFound(Exception):
    """No course (visible to this reader) has that slug."""


@dataclass(frozen=True)
class ModuleEntry:
    """A module as listed beside a lesson: enough to link to it and show its length."""

    id: int
    slug: str
    position: int
    kind: str
    required: bool
    duration_minutes: int | None
    title: str
    version_id: int
    translated: bool


def can_see_drafts(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role("author"))


def list_courses(query: str = "", language: str = "", *, include_drafts: bool = False
                 ) -> list[Course]:
    """Live courses matching words of `query` in title, summary or tag, in `language`."""
    statement = (select(Course).where(Course.retired_at.is_(None))
                 .options(selectinload(Course.texts)).order_by(Course.slug))
    if not include_drafts:
        statement = statement.where(Course.status == "published")
    for word in query.casefold().split()[:8]:
        statement = statement.where(Course.search_text.contains(word, autoescape=True))
    courses = list(db.session.scalars(statement))
    if language:
        courses = [c for c in courses if language in c.languages]
    return courses


def get_course(slug: str, *, include_drafts: bool) -> Course:
    """The course with `slug`, retired ones included (their pages explain they are retired)."""
    course = db.session.scalar(
        select(Course).where(Course.slug == slug).options(selectinload(Course.texts))
    )
    if course is None or (course.is_draft and not include_drafts):
        raise CourseNotFound(slug)
    return course


def reading_language(course: Course, requested: str | None, preferred: str | None) -> str:
    """The language to show the course in: asked for, else preferred, else the base one."""
    for language in (requested, preferred):
        if language and language in course.languages:
            return language
    return course.base_language


def module_entries(course: Course, language: str) -> list[ModuleEntry]:
    """The live modules of a course, each titled in `language` or the base language."""
    wanted = aliased(ModuleText)
    base = aliased(ModuleText)
    rows = db.session.execute(
        select(Module, wanted.title, base.title)
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .join(base, and_(base.version_id == ModuleVersion.id,
                         base.language == course.base_language))
        .outerjoin(wanted, and_(wanted.version_id == ModuleVersion.id,
                                wanted.language == language))
        .where(Module.course_id == course.id, Module.retired_at.is_(None))
        .order_by(Module.position)
    ).all()
    return [
        ModuleEntry(m.id, m.slug, m.position, m.kind, m.required, m.duration_minutes,
                    wanted_title or base_title, m.current_version_id, wanted_title is not None)
        for m, wanted_title, base_title in rows
    ]


def module_text(version_id: int, language: str, base_language: str) -> ModuleText:
    """A module version's text in `language`, falling back to the base language."""
    rows = db.session.scalars(
        select(ModuleText).where(ModuleText.version_id == version_id,
                                 or_(ModuleText.language == language,
                                     ModuleText.language == base_language))
    ).all()
    by_language = {row.language: row for row in rows}
    return by_language.get(language) or by_language[base_language]


def course_file(slug: str, digest: str, relpath: str) -> tuple[bytes, str] | None:
    """The bytes and type of a course file whose hash starts with `digest`."""
    row = db.session.execute(
        select(MediaBlob.data, CourseFile.mimetype, CourseFile.sha256)
        .join(CourseFile, CourseFile.sha256 == MediaBlob.sha256)
        .join(Course, Course.id == CourseFile.course_id)
        .where(Course.slug == slug, CourseFile.relpath == relpath)
    ).first()
    if row is None or not row.sha256.startswith(digest) or len(digest) < 8:
        return None
    return row.data, row.mimetype
