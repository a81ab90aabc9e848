"""What course, lesson and dashboard pages show of their reader, in as few queries as can be.

A course or lesson page needs the reader's enrolment in the course and the modules they
completed: one query asks for both. The dashboard needs every enrolment with its progress:
two queries, the courses and their module lists coming from the catalog's caches. Rows are plain
(no ORM objects to build), since these pages are the ones served most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import bindparam, select

from ..catalog.models import Course, Module
from ..catalog.services import course_snapshots, module_lists
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
                       enrolments.c.last_module_id, enrolments.c.course_id,
                       enrolments.c.modules_done, courses.c.version, courses.c.content_hash,
                       courses.c.retired_at)
                .join(courses, courses.c.id == enrolments.c.course_id)
                .where(enrolments.c.user_id == user_id, enrolments.c.active.is_(True))
                .order_by(enrolments.c.enrolled_at.desc(), enrolments.c.id.desc()))
    done = (select(completions.c.module_id)
            .join(modules, modules.c.id == completions.c.module_id)
            .where(completions.c.user_id == user_id,
                   modules.c.course_id.in_(bindparam("course_ids", expanding=True))))
    return followed, done


_FOLLOWED, _DONE = _dashboard_queries()


def dashboard(user_id: int, language: str
              ) -> tuple[list[DashboardEntry], list[DashboardEntry]]:
    """The learner's active courses (in progress, completed), in two queries (three more
    when a course was published since this worker last drew it).

    The module lists come from the catalog's cache of each course version; only the modules
    the learner completed in unfinished courses are read, to count progress and find where
    to continue. A completed course shows its date, and its count is the enrolment's own
    `modules_done`. Progress counts the live required modules done, as
    `services.course_progress` does.
    """
    followed = db.session.execute(_FOLLOWED, {"user_id": user_id}).all()
    if not followed:
        return [], []
    courses = course_snapshots([(row.course_id, row.version, row.content_hash, row.retired_at)
                                for row in followed])
    unfinished = [row.course_id for row in followed if row.completed_at is None]
    done_ids = set(db.session.scalars(_DONE, {"user_id": user_id, "course_ids": unfinished})
                   ) if unfinished else set()
    in_progress, completed = [], []
    # In the reader's language: the lists their lesson pages use (ids, slugs and order are
    # the same in every language).
    listed = module_lists(courses, language)
    for row, course, modules in zip(followed, courses, listed, strict=True):
        required = [m for m in modules if m.required]
        enrolment = EnrolmentState(bool(row.active), row.completed_at, row.due_on,
                                   row.last_module_id, row.course_id)
        if row.completed_at is None:
            progress = Progress(sum(m.id in done_ids for m in required), len(required))
            entry = DashboardEntry(enrolment, course, progress,
                                   continue_slug(modules, done_ids, row.last_module_id))
            in_progress.append(entry)
        else:
            progress = Progress(min(row.modules_done, len(required)), len(required),
                                row.completed_at)
            completed.append(DashboardEntry(enrolment, course, progress, None))
    return in_progress, completed
