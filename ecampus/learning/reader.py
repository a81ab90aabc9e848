"""What course, lesson and dashboard pages show of their reader, in as few queries as can be.

A course or lesson page needs the reader's enrolment in the course and the modules they
completed: one query asks for both. The dashboard needs every enrolment with its progress:
two queries, the courses themselves coming from the catalog's snapshots. Rows are plain
(no ORM objects to build), since these pages are the ones served most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, bindparam, select

from ..catalog.models import Course, Module
from ..catalog.services import course_snapshots
from ..extensions import db
from .models import Enrolment, ModuleCompletion
from .services import DashboardEntry, Progress, continue_slug


@dataclass(frozen=True)
class EnrolmentState:
    """The columns of an enrolment a page shows."""

    active: bool
    completed_at: datetime | None
    due_on: date | None
    last_module_id: int | None
    course_id: int | None = None


@dataclass(frozen=True)
class ReaderState:
    """A reader's enrolment in one course (None when never enrolled) and completed modules."""

    enrolment: EnrolmentState | None = None
    done: frozenset[int] = field(default_factory=frozenset)

    @property
    def enrolled(self) -> bool:
        return self.enrolment is not None and self.enrolment.active


def _reader_query():
    enrolments, completions, modules = (Enrolment.__table__, ModuleCompletion.__table__,
                                        Module.__table__)
    user_id, course_id = bindparam("user_id"), bindparam("course_id")
    done_here = (select(completions.c.module_id, completions.c.user_id)
                 .join(modules, modules.c.id == completions.c.module_id)
                 .where(completions.c.user_id == user_id, modules.c.course_id == course_id)
                 .subquery())
    return (select(enrolments.c.active, enrolments.c.completed_at, enrolments.c.due_on,
                   enrolments.c.last_module_id, done_here.c.module_id)
            .outerjoin(done_here, done_here.c.user_id == enrolments.c.user_id)
            .where(enrolments.c.user_id == user_id, enrolments.c.course_id == course_id))


#: Built once: building a statement costs more than running this one.
READER_QUERY = _reader_query()


def reader_state(user_id: int, course_id: int) -> ReaderState:
    """The reader's enrolment and completed modules of a course, in one query.

    Completions count only while an enrolment exists, as on every page that shows them.
    """
    rows = db.session.execute(READER_QUERY, {"user_id": user_id, "course_id": course_id}).all()
    if not rows:
        return ReaderState()
    first = rows[0]
    return ReaderState(
        EnrolmentState(bool(first.active), first.completed_at, first.due_on,
                       first.last_module_id),
        frozenset(row.module_id for row in rows if row.module_id is not None),
    )


def _dashboard_queries():
    enrolments, courses = Enrolment.__table__, Course.__table__
    modules, completions = Module.__table__, ModuleCompletion.__table__
    user_id = bindparam("user_id")
    followed = (select(enrolments.c.active, enrolments.c.completed_at, enrolments.c.due_on,
                       enrolments.c.last_module_id, enrolments.c.course_id, courses.c.version,
                       courses.c.content_hash, courses.c.retired_at)
                .join(courses, courses.c.id == enrolments.c.course_id)
                .where(enrolments.c.user_id == user_id, enrolments.c.active.is_(True))
                .order_by(enrolments.c.enrolled_at.desc(), enrolments.c.id.desc()))
    live_modules = (select(modules.c.id, modules.c.course_id, modules.c.slug,
                           modules.c.required, completions.c.id.is_not(None).label("done"))
                    .join(enrolments, and_(enrolments.c.course_id == modules.c.course_id,
                                           enrolments.c.user_id == user_id,
                                           enrolments.c.active.is_(True)))
                    .outerjoin(completions, and_(completions.c.module_id == modules.c.id,
                                                 completions.c.user_id == user_id))
                    .where(modules.c.retired_at.is_(None))
                    .order_by(modules.c.course_id, modules.c.position))
    return followed, live_modules


_FOLLOWED, _LIVE_MODULES = _dashboard_queries()


def dashboard(user_id: int) -> tuple[list[DashboardEntry], list[DashboardEntry]]:
    """The learner's active courses (in progress, completed), in two queries (two more
    when a course was published since this worker last drew it).

    Progress counts the live required modules done, as `services.course_progress` does.
    """
    followed = db.session.execute(_FOLLOWED, {"user_id": user_id}).all()
    if not followed:
        return [], []
    modules_by_course: dict[int, list] = {}
    done_ids: set[int] = set()
    for row in db.session.execute(_LIVE_MODULES, {"user_id": user_id}):
        modules_by_course.setdefault(row.course_id, []).append(row)
        if row.done:
            done_ids.add(row.id)
    courses = course_snapshots([(row.course_id, row.version, row.content_hash, row.retired_at)
                                for row in followed])
    in_progress, completed = [], []
    for row, course in zip(followed, courses, strict=True):
        modules = modules_by_course.get(row.course_id, [])
        required = [m for m in modules if m.required]
        enrolment = EnrolmentState(bool(row.active), row.completed_at, row.due_on,
                                   row.last_module_id, row.course_id)
        entry = DashboardEntry(
            enrolment, course,
            Progress(sum(m.id in done_ids for m in required), len(required),
                     row.completed_at),
            continue_slug(modules, done_ids, row.last_module_id),
        )
        (completed if row.completed_at else in_progress).append(entry)
    return in_progress, completed
