"""Publishing course folders into the database: one transaction per course, idempotent.

Unchanged files write nothing; a changed module gets a new version beside the old ones; a
module or course that disappeared is retired, never deleted, so learners keep what they earned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import column, select, table, update
from sqlalchemy.orm import selectinload

from ..audit import record
from ..extensions import db
from ..jobs import enqueue
from ..textsearch import fold
from ..timeutil import utcnow
from . import courseformat as cf
from . import history
from .history import CLI, PublishOrigin
from .models import Course, CourseFile, CourseText, MediaBlob, Module, ModuleText, ModuleVersion

ADDED, CHANGED, RETIRED, UNCHANGED, SKIPPED = "added", "changed", "retired", "unchanged", "skipped"
#: How a warning about an owner with no account starts (the CLI prints these).
NO_ACCOUNT = "authors: no account has the email"
#: Accounts, read by email only to warn about owners who have none (auth stays unimported).
_ACCOUNTS = table("users", column("email"))
#: The job that sets enrolments' quiz results and completions again after a republish
#: (quizzes.recompute_course, which calls learning.recompute_completions).
RECOMPUTE_JOB = "learning.recompute"


@dataclass
class CourseChange:
    """What publishing did to one course and to each of its modules."""

    slug: str
    outcome: str
    modules: dict[str, str] = field(default_factory=dict)
    problems: list[cf.Problem] = field(default_factory=list)
    #: The version number of each quiz module that got a new version.
    quiz_versions: dict[str, int] = field(default_factory=dict)
    course_version: int | None = None


@dataclass
class PublishReport:
    courses: list[CourseChange] = field(default_factory=list)

    @property
    def skipped(self) -> list[CourseChange]:
        return [c for c in self.courses if c.outcome == SKIPPED]

    def count(self, outcome: str) -> int:
        return sum(c.outcome == outcome for c in self.courses)

    def module_count(self, outcome: str) -> int:
        return sum(o == outcome for c in self.courses for o in c.modules.values())


def publish_courses(
    root: Path | str, *, progress: Callable[[Iterable], Iterable] | None = None,
    origin: PublishOrigin = CLI, retire_missing: bool = True,
) -> PublishReport:
    """Check every course folder under `root`, publish the valid ones, retire the vanished
    (unless `retire_missing` is false: a git source retires only its own courses).

    A folder whose files are byte for byte those last published is not even parsed. Every
    course gets one publish record per call, saying who or what started it (`origin`).
    """
    folders = cf.course_folders(Path(root))
    published = {row.slug: row for row in db.session.execute(
        select(Course.slug, Course.source_hash, Course.retired_at))}
    report = PublishReport()
    for folder in (progress(folders) if progress else folders):
        started_at = utcnow()
        fingerprint = cf.source_fingerprint(folder)
        known = published.get(folder.name)
        if known is not None and known.source_hash == fingerprint and known.retired_at is None:
            report.courses.append(CourseChange(folder.name, UNCHANGED))
            history.record_publish(folder.name, history.UNCHANGED, origin=origin,
                                   started_at=started_at)
            continue
        result = cf.read_course(folder)
        if result.course is None:
            report.courses.append(CourseChange(result.slug, SKIPPED, problems=result.problems))
            history.record_in_own_transaction(result.slug, history.REFUSED, origin=origin,
                                              started_at=started_at,
                                              problems=result.problems)
            continue
        change = publish_course(result.course, source_hash=fingerprint, origin=origin,
                                problems=result.problems, started_at=started_at)
        report.courses.append(change)
    present = {folder.name for folder in folders}
    live = select(Course).where(Course.retired_at.is_(None))
    for course in db.session.scalars(live) if retire_missing else ():
        if course.slug not in present:
            report.courses.append(retire_course(course, origin=origin))
    db.session.commit()
    report.courses.sort(key=lambda change: change.slug)
    return report


def retire_course(course: Course, *, origin: PublishOrigin = CLI) -> CourseChange:
    """Hide a course whose folder is gone; its history and certificates stay."""
    started_at = course.retired_at = utcnow()
    change = CourseChange(course.slug, RETIRED)
    for module in course.modules:
        if module.retired_at is None:
            module.retired_at = course.retired_at
            change.modules[module.slug] = RETIRED
    # Its learners' counts of completed live modules change: learning recounts them.
    enqueue(RECOMPUTE_JOB, {"course_id": course.id}, key=f"{RECOMPUTE_JOB}:{course.id}")
    history.record_publish(course.slug, history.RETIRED, origin=origin, course_id=course.id,
                           started_at=started_at,
                           changes=history.changes_summary(change.modules))
    record("course.retired", target=("course", course.slug), actor_id=origin.actor_user_id,
           before={"version": course.version}, after={"source": origin.source})
    db.session.commit()
    return change


def publish_course(parsed: cf.Course, *, source_hash: str | None = None,
                   origin: PublishOrigin = CLI, problems: Iterable[cf.Problem] = (),
                   started_at=None) -> CourseChange:
    """Bring one course's rows in line with its parsed folder, in one transaction.

    A changed course may have dropped the last module some learners were missing: the
    same transaction queues RECOMPUTE_JOB, which completes them (and issues their
    certificates) through learning, a feature publishing must not import. The same
    transaction records the attempt (`origin`, with the checker's warnings in `problems`);
    an attempt that fails is recorded on its own after the rollback.
    """
    started_at = started_at or utcnow()
    problems = [*problems, *unknown_owners(parsed)]
    try:
        change = _publish(parsed)
        db.session.execute(update(Course).where(Course.slug == parsed.slug)
                           .values(source_hash=source_hash))
        course_id = db.session.scalar(select(Course.id).where(Course.slug == parsed.slug))
        if change.outcome == CHANGED:
            enqueue(RECOMPUTE_JOB, {"course_id": course_id},
                    key=f"{RECOMPUTE_JOB}:{course_id}")
        if change.outcome != UNCHANGED:
            record("course.published", target=("course", parsed.slug),
                   actor_id=origin.actor_user_id,
                   before={"version": change.course_version - 1}
                   if change.outcome == CHANGED else None,
                   after={"version": change.course_version, "status": parsed.status,
                          "source": origin.source, "commit": origin.commit_id})
        history.record_publish(
            parsed.slug, history.UNCHANGED if change.outcome == UNCHANGED else history.PUBLISHED,
            origin=origin, course_id=course_id, started_at=started_at, problems=problems,
            changes=history.changes_summary(change.modules, course_version=change.course_version,
                                            quiz_versions=change.quiz_versions))
        db.session.commit()
        change.problems = problems
    except Exception as error:
        db.session.rollback()
        failure = cf.Problem(parsed.slug, 1, "error", f"publishing failed: {error}")
        history.record_in_own_transaction(parsed.slug, history.FAILED, origin=origin,
                                          started_at=started_at, problems=[failure])
        raise
    return change


def unknown_owners(parsed: cf.Course) -> list[cf.Problem]:
    """A warning for each owner email with no account yet: it may be created later."""
    if not parsed.owners:
        return []
    known = set(db.session.scalars(select(_ACCOUNTS.c.email)
                                   .where(_ACCOUNTS.c.email.in_(parsed.owners))))
    return [cf.Problem(f"{parsed.slug}/course.md", parsed.owners_line, "warning",
                       f"{NO_ACCOUNT} {email} yet; it owns the course "
                       "once it exists")
            for email in parsed.owners if email not in known]


def _publish(parsed: cf.Course) -> CourseChange:
    course = db.session.scalar(
        select(Course).where(Course.slug == parsed.slug).options(
            selectinload(Course.modules).selectinload(Module.current_version)
        )
    )
    if course is not None and course.content_hash == parsed.content_hash and not course.is_retired:
        return CourseChange(parsed.slug, UNCHANGED,
                            {m.slug: UNCHANGED for m in parsed.modules})
    now = utcnow()
    if course is None:
        course = Course(slug=parsed.slug, version=1, published_at=now)
        db.session.add(course)
        outcome = ADDED
    else:
        course.version += 1
        outcome = CHANGED
    _apply_course_fields(course, parsed, now)
    _store_media(course, parsed)
    db.session.flush()
    change = CourseChange(parsed.slug, outcome, course_version=course.version)
    existing = {m.slug: m for m in course.modules}
    for item in parsed.modules:
        change.modules[item.slug], module = _publish_module(course, existing.get(item.slug),
                                                            item)
        if item.kind == "quiz" and change.modules[item.slug] != UNCHANGED:
            change.quiz_versions[item.slug] = module.current_version.number
    for slug, module in existing.items():
        if slug not in change.modules and module.retired_at is None:
            module.retired_at = now
            change.modules[slug] = RETIRED
    return change


def _apply_course_fields(course: Course, parsed: cf.Course, now) -> None:
    course.content_hash = parsed.content_hash
    course.base_language = parsed.base_language
    course.languages = parsed.languages
    course.status = parsed.status
    course.enrolment = parsed.enrolment
    course.duration_minutes = parsed.duration_minutes
    course.level = parsed.level
    course.tags = list(parsed.tags)
    course.authors = list(parsed.authors)
    course.owners = list(parsed.owners)
    course.certificate = (dataclasses.asdict(parsed.certificate)
                          if parsed.certificate is not None else None)
    course.updated_at = now
    course.retired_at = None
    texts = {t.language: t for t in course.texts}
    for language, text in parsed.texts.items():
        row = texts.pop(language, None) or CourseText(language=language)
        row.title, row.summary, row.description_html = (
            text.title, text.summary, text.description_html)
        if row not in course.texts:
            course.texts.append(row)
    for stale in texts.values():
        course.texts.remove(stale)
    words = [*parsed.tags]
    for text in parsed.texts.values():
        words += [text.title, text.summary]
    course.search_text = fold(" ".join(words))


def _store_media(course: Course, parsed: cf.Course) -> None:
    hashes = {m.sha256 for m in parsed.media.values()}
    known = set(db.session.scalars(select(MediaBlob.sha256).where(MediaBlob.sha256.in_(hashes))))
    for media in parsed.media.values():
        if media.sha256 not in known and media.source is not None:
            data = media.source.read_bytes()
            db.session.add(MediaBlob(sha256=media.sha256, size=len(data), data=data))
            known.add(media.sha256)
    current = {f.relpath: f for f in db.session.scalars(
        select(CourseFile).where(CourseFile.course_id == course.id))} if course.id else {}
    for relpath, media in parsed.media.items():
        row = current.pop(relpath, None)
        if row is None:
            db.session.add(CourseFile(course=course, relpath=relpath, sha256=media.sha256,
                                      mimetype=media.mimetype))
        else:
            row.sha256, row.mimetype = media.sha256, media.mimetype
    for stale in current.values():
        db.session.delete(stale)


def _publish_module(course: Course, module: Module | None, item: cf.Module
                    ) -> tuple[str, Module]:
    outcome = UNCHANGED
    if module is None:
        module = Module(course=course, slug=item.slug)
        db.session.add(module)
        outcome = ADDED
    elif module.retired_at is not None:
        module.retired_at = None
        outcome = CHANGED
    module.position = item.number
    module.kind = item.kind
    module.required = item.required
    module.duration_minutes = item.duration_minutes
    current = module.current_version
    if current is None or current.content_hash != item.content_hash:
        number = (current.number + 1) if current is not None else 1
        version = ModuleVersion(
            module=module, number=number, content_hash=item.content_hash,
            quiz=dataclasses.asdict(item.quiz) if item.quiz is not None else None,
        )
        for language, text in item.texts.items():
            version.texts.append(ModuleText(
                language=language, title=text.title, body_html=text.body_html,
                questions=list(text.questions),
            ))
        db.session.add(version)
        db.session.flush()
        module.current_version = version
        if outcome == UNCHANGED:
            outcome = CHANGED
    return outcome, module
