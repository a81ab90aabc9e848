"""Reading published courses for pages: a fixed number of queries per page.

Published content only changes when `ecampus courses publish` runs, and every change bumps
the course's version, so pages keep plain snapshots of courses, module lists and module
texts in memory, keyed by that version: a lesson page then asks the database one small
question about the course instead of five.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..textsearch import has_all, matches_all, query_words
from .models import Course, CourseFile, MediaBlob, Module, ModuleText, ModuleVersion


class CourseNotFound(Exception):
    """No course (visible to this reader) has that slug."""


class _Snapshots:
    """A small thread-safe LRU of immutable page data, shared by a worker's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = load()
        with self._lock:
            self._items[key] = value
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def has(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_courses = _Snapshots(256)
_module_lists = _Snapshots(1024)
_module_texts = _Snapshots(2048)


#: Where an app keeps the page fragments drawn from these snapshots (catalog/fragments.py).
FRAGMENTS_EXTENSION = "ecampus.fragments"


def clear_caches() -> None:
    """Forget every snapshot, and the current app's fragments (for tests, whose databases
    are emptied and reused)."""
    for cache in (_courses, _module_lists, _module_texts):
        cache.clear()
    if has_app_context():
        current_app.extensions.pop(FRAGMENTS_EXTENSION, None)


@dataclass(frozen=True)
class TextSnapshot:
    language: str
    title: str
    summary: str
    description_html: str


@dataclass(frozen=True)
class CourseSnapshot:
    """A published course as pages read it: plain data, safe to share between requests."""

    id: int
    slug: str
    version: int
    content_hash: str
    base_language: str
    languages: list[str]
    status: str
    enrolment: str
    duration_minutes: int | None
    level: str | None
    tags: list[str]
    authors: list[str]
    owners: list[str]
    certificate: dict[str, Any] | None
    retired_at: datetime | None
    texts: dict[str, TextSnapshot] = field(default_factory=dict)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def text(self, language: str) -> TextSnapshot:
        """The course page in `language`, else in the base language."""
        return self.texts.get(language) or self.texts[self.base_language]


def _snapshot(course: Course) -> CourseSnapshot:
    return CourseSnapshot(
        id=course.id, slug=course.slug, version=course.version,
        content_hash=course.content_hash, base_language=course.base_language,
        languages=list(course.languages), status=course.status, enrolment=course.enrolment,
        duration_minutes=course.duration_minutes, level=course.level, tags=list(course.tags),
        authors=list(course.authors), owners=list(course.owners or ()),
        certificate=course.certificate,
        retired_at=course.retired_at,
        texts={t.language: TextSnapshot(t.language, t.title, t.summary, t.description_html)
               for t in course.texts},
    )


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


def can_author(user, course) -> bool:
    """Whether `user` may see this course's drafts, item analysis, versions and history.

    Admins may for every course; an author only for a course whose front matter names their
    email among its `authors`.
    """
    if not (user and user.is_authenticated):
        return False
    if user.has_role("admin"):
        return True
    return user.has_role("author") and user.email.casefold() in (course.owners or ())


def can_see_drafts(user, course) -> bool:
    """A draft exists for its owning authors and for admins; for everyone else it does not."""
    return can_author(user, course)


def list_courses(query: str = "", language: str = "", *, include_drafts: bool = False,
                 reader=None) -> list[Course]:
    """Live courses matching words of `query` in title, summary or tag, whatever their case
    and accents, in `language`; those whose title holds every word come first."""
    words = query_words(query)
    statement = (select(Course).where(Course.retired_at.is_(None),
                                      matches_all(Course.search_text, words))
                 .options(selectinload(Course.texts)).order_by(Course.slug))
    # Drafts are listed when `include_drafts`, or to a `reader` who may see them.
    if not include_drafts and not (reader is not None and reader.is_authenticated
                                   and reader.has_role("author")):
        statement = statement.where(Course.status == "published")
    courses = list(db.session.scalars(statement))
    if not include_drafts:
        courses = [c for c in courses if not c.is_draft or can_see_drafts(reader, c)]
    if language:
        courses = [c for c in courses if language in c.languages]
    if words:
        courses.sort(key=lambda c: not has_all(" ".join(t.title for t in c.texts), words))
    return courses


#: Which version of a course is live: plain columns, built once (every page asks it).
_LIVE_VERSION = (select(Course.__table__.c.id, Course.__table__.c.version,
                        Course.__table__.c.content_hash, Course.__table__.c.retired_at)
                 .where(Course.__table__.c.slug == bindparam("slug")))


#: Every live course's published state, for the catalog page (matches added per search).
_LIVE_COURSES = (select(Course.__table__.c.id, Course.__table__.c.version,
                        Course.__table__.c.content_hash, Course.__table__.c.retired_at,
                        Course.__table__.c.status)
                 .where(Course.__table__.c.retired_at.is_(None))
                 .order_by(Course.__table__.c.slug))


def catalog_courses(query: str = "", language: str = "", *, reader=None
                    ) -> list[CourseSnapshot]:
    """`list_courses` for the catalog page: the same courses in the same order, as snapshots,
    so the page asks the database one small question unless a course was published."""
    words = query_words(query)
    statement = _LIVE_COURSES
    if words:
        statement = statement.where(matches_all(Course.__table__.c.search_text, words))
    may_see_drafts = (reader is not None and reader.is_authenticated
                      and reader.has_role("author"))
    courses = []
    for row in db.session.execute(statement):
        if row.status != "published" and not may_see_drafts:
            continue
        course = course_snapshot((row.id, row.version, row.content_hash, row.retired_at))
        if course.is_draft and not can_see_drafts(reader, course):
            continue
        if language and language not in course.languages:
            continue
        courses.append(course)
    if words:
        courses.sort(key=lambda c: not has_all(
            " ".join(c.texts[language].title for language in sorted(c.texts)), words))
    return courses


def course_snapshots(keys: list[tuple]) -> list[CourseSnapshot]:
    """`course_snapshot` of each key, those not yet built loaded together (two queries)."""
    missing = {key[0]: key for key in keys if not _courses.has(key)}
    if missing:
        loaded = db.session.scalars(select(Course).where(Course.id.in_(missing))
                                    .options(selectinload(Course.texts)))
        for course in loaded:
            _courses.get(missing[course.id], lambda course=course: _snapshot(course))
    return [course_snapshot(key) for key in keys]


def course_snapshot(key: tuple) -> CourseSnapshot:
    """The snapshot of a course in the state `key` (id, version, content hash, retired at),
    as read from the database by the caller: built once per worker and state."""
    return _courses.get(key, lambda: _snapshot(db.session.scalar(
        select(Course).where(Course.id == key[0]).options(selectinload(Course.texts)))))


def get_course(slug: str, *, include_drafts: bool = False, reader=None) -> CourseSnapshot:
    """The course with `slug`, retired ones included (their pages explain they are retired).

    A draft is found when `include_drafts`, or when `reader` may see it (`can_see_drafts`).
    One small query says which version is live; the rest comes from the snapshot cache.
    """
    row = db.session.execute(_LIVE_VERSION, {"slug": slug}).first()
    if row is None:
        raise CourseNotFound(slug)
    course = course_snapshot(tuple(row))
    if course.is_draft and not (include_drafts or can_see_drafts(reader, course)):
        raise CourseNotFound(slug)
    return course


def reading_language(course: Course, requested: str | None, preferred: str | None) -> str:
    """The language to show the course in: asked for, else preferred, else the base one."""
    for language in (requested, preferred):
        if language and language in course.languages:
            return language
    return course.base_language


def module_entries(course: CourseSnapshot | Course, language: str) -> list[ModuleEntry]:
    """The live modules of a course, each titled in `language` or the base language."""
    key = (course.id, course.version, course.content_hash, course.retired_at, language)
    return _module_lists.get(key, lambda: _load_module_entries_of(course, language))


def module_lists(courses: list[CourseSnapshot], language: str) -> list[list[ModuleEntry]]:
    """`module_entries` of each course, those not yet built loaded together (one query)."""
    missing = {}
    for course in courses:
        key = (course.id, course.version, course.content_hash, course.retired_at, language)
        if not _module_lists.has(key):
            missing[course.id] = key
    if missing:
        loaded = _load_module_entries(list(missing), language)
        for course_id, key in missing.items():
            _module_lists.get(key, lambda course_id=course_id: loaded.get(course_id, []))
    return [module_entries(course, language) for course in courses]


def _load_module_entries_of(course, language: str) -> list[ModuleEntry]:
    return _load_module_entries([course.id], language).get(course.id, [])


def _load_module_entries(course_ids: list[int], language: str) -> dict[int, list[ModuleEntry]]:
    """The live modules of each course, in order, titled in `language` or the course's base
    language."""
    wanted = aliased(ModuleText)
    base = aliased(ModuleText)
    rows = db.session.execute(
        select(Module, wanted.title, base.title)
        .join(Course, Course.id == Module.course_id)
        .join(ModuleVersion, ModuleVersion.id == Module.current_version_id)
        .join(base, and_(base.version_id == ModuleVersion.id,
                         base.language == Course.base_language))
        .outerjoin(wanted, and_(wanted.version_id == ModuleVersion.id,
                                wanted.language == language))
        .where(Module.course_id.in_(course_ids), Module.retired_at.is_(None))
        .order_by(Module.course_id, Module.position)
    ).all()
    entries: dict[int, list[ModuleEntry]] = {}
    for m, wanted_title, base_title in rows:
        entries.setdefault(m.course_id, []).append(ModuleEntry(
            m.id, m.slug, m.position, m.kind, m.required, m.duration_minutes,
            wanted_title or base_title, m.current_version_id, wanted_title is not None))
    return entries


def module_text(version_id: int, language: str, base_language: str) -> TextOfModule:
    """A module version's text in `language`, falling back to the base language.

    Module versions never change once published, so their texts are cached for good.
    """
    return _module_texts.get((version_id, language, base_language),
                             lambda: _load_module_text(version_id, language, base_language))


@dataclass(frozen=True)
class TextOfModule:
    language: str
    title: str
    body_html: str


def _load_module_text(version_id: int, language: str, base_language: str) -> TextOfModule:
    rows = db.session.scalars(
        select(ModuleText).where(ModuleText.version_id == version_id,
                                 or_(ModuleText.language == language,
                                     ModuleText.language == base_language))
    ).all()
    by_language = {row.language: row for row in rows}
    text = by_language.get(language) or by_language[base_language]
    return TextOfModule(text.language, text.title, text.body_html)


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
