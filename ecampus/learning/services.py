"""Enrolment and progress. Each public function owns its transaction.

Progress is always computed from the course's live modules (current version, not retired),
while completions are keyed on the stable module, so a changed module stays completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from blinker import Namespace
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..catalog.models import Course, Module
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..timeutil import utcnow
from .models import Enrolment, ModuleCompletion

signals = Namespace()
#: Sent after a learner's enrolment becomes complete: sender=None, user_id, course_id.
course_completed = signals.signal("course-completed")


class LearningError(Exception):
    """A learning action that cannot be done; the message is for the learner."""


class NotEnrolled(LearningError):
    pass


class InviteOnly(LearningError):
    pass


@dataclass(frozen=True)
class Progress:
    """Where a learner stands in one course."""

    done: int
    total: int
    completed_at: datetime | None = None

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else int(100 * self.done / self.total)

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


@dataclass(frozen=True)
class DashboardEntry:
    enrolment: Enrolment
    course: Course
    progress: Progress
    continue_slug: str | None


def get_enrolment(user_id: int, course_id: int) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
    )


def enrol(user_id: int, course: Course, *, source: str = "self", due_on: date | None = None,
          allow_invite: bool = False) -> Enrolment:
    """Enrol (or re-enrol) a learner; enrolling twice changes nothing."""
    if course.enrolment != "open" and not allow_invite:
        raise InviteOnly(_("Learners join this course through their institution."))
    if course.is_retired:
        raise LearningError(_("This course is no longer offered."))
    insert_ignoring_duplicates(
        Enrolment.__table__,
        {"user_id": user_id, "course_id": course.id, "active": True, "enrolled_at": utcnow(),
         "source": source, "due_on": due_on},
        conflict=["user_id", "course_id"],
    )
    enrolment = get_enrolment(user_id, course.id)
    if not enrolment.active:
        enrolment.active, enrolment.left_at = True, None
    db.session.commit()
    return enrolment


def leave(user_id: int, course: Course) -> None:
    """Stop following a course; completions, attempts and certificates are kept."""
    enrolment = get_enrolment(user_id, course.id)
    if enrolment is None or not enrolment.active:
        return
    enrolment.active, enrolment.left_at = False, utcnow()
    db.session.commit()


def completed_module_ids(user_id: int, course_id: int) -> set[int]:
    """The learner's completed modules in a course, in one query."""
    return set(db.session.scalars(
        select(ModuleCompletion.module_id)
        .join(Module, Module.id == ModuleCompletion.module_id)
        .where(ModuleCompletion.user_id == user_id, Module.course_id == course_id)
    ))


def mark_done(user_id: int, module: Module) -> Progress:
    """Record an explicitly finished lesson for an enrolled learner; twice is harmless."""
    if module.kind != "lesson":
        raise LearningError(_("A quiz is completed by passing it."))
    return complete_module(user_id, module)


def complete_module(user_id: int, module: Module) -> Progress:
    """Record a completed module and complete the course when it was the last one."""
    enrolment = get_enrolment(user_id, module.course_id)
    if enrolment is None or not enrolment.active:
        raise NotEnrolled(_("Enrol in the course to record your progress."))
    if module.retired_at is not None:
        raise LearningError(_("This module is no longer part of the course."))
    insert_ignoring_duplicates(
        ModuleCompletion.__table__,
        {"user_id": user_id, "module_id": module.id, "version_id": module.current_version_id,
         "completed_at": utcnow()},
        conflict=["user_id", "module_id"],
    )
    progress = course_progress(user_id, module.course_id)
    newly_complete = False
    if progress.done == progress.total and enrolment.completed_at is None:
        now = utcnow()
        # Conditional update: two simultaneous last completions complete the course once.
        newly_complete = db.session.execute(
            update(Enrolment).where(Enrolment.id == enrolment.id,
                                    Enrolment.completed_at.is_(None)).values(completed_at=now)
        ).rowcount == 1
        progress = Progress(progress.done, progress.total, now)
    db.session.commit()
    if newly_complete:
        course_completed.send(None, user_id=user_id, course_id=module.course_id)
    return progress


def course_progress(user_id: int, course_id: int) -> Progress:
    """Completed share of the course's live required modules."""
    counts = _progress_counts(user_id, [course_id]).get(course_id, (0, 0))
    completed_at = db.session.scalar(
        select(Enrolment.completed_at).where(Enrolment.user_id == user_id,
                                             Enrolment.course_id == course_id))
    return Progress(counts[0], counts[1], completed_at)


def _progress_counts(user_id: int, course_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{course_id: (done, total)} over live required modules, in one grouped query."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Module.course_id, func.count(ModuleCompletion.id), func.count(Module.id))
        .outerjoin(ModuleCompletion, and_(ModuleCompletion.module_id == Module.id,
                                          ModuleCompletion.user_id == user_id))
        .where(Module.course_id.in_(course_ids), Module.required.is_(True),
               Module.retired_at.is_(None))
        .group_by(Module.course_id)
    ).all()
    return {course_id: (done, total) for course_id, done, total in rows}


def record_visit(user_id: int, course_id: int, module_id: int) -> None:
    """Remember where the learner was, to offer 'continue' there; only writes on a change."""
    changed = db.session.execute(
        update(Enrolment)
        .where(Enrolment.user_id == user_id, Enrolment.course_id == course_id,
               Enrolment.active.is_(True),
               (Enrolment.last_module_id != module_id) | Enrolment.last_module_id.is_(None))
        .values(last_module_id=module_id, last_visited_at=utcnow())
    ).rowcount
    if changed:
        db.session.commit()


def continue_slug(modules, done_ids: set[int], last_module_id: int | None) -> str | None:
    """Where 'continue' leads: the last module visited if unfinished, else the first undone."""
    live = list(modules)
    for module in live:
        if module.id == last_module_id and module.id not in done_ids:
            return module.slug
    for module in live:
        if module.id not in done_ids and module.required:
            return module.slug
    return next((m.slug for m in live if m.id not in done_ids), None)


def dashboard(user_id: int) -> tuple[list[DashboardEntry], list[DashboardEntry]]:
    """The learner's active courses (in progress, completed), in a fixed number of queries."""
    enrolments = list(db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.active.is_(True))
        .options(selectinload(Enrolment.course).selectinload(Course.texts))
        .order_by(Enrolment.enrolled_at.desc())
    ))
    course_ids = [e.course_id for e in enrolments]
    counts = _progress_counts(user_id, course_ids)
    modules_by_course: dict[int, list] = {}
    done_ids: set[int] = set()
    if course_ids:
        rows = db.session.execute(
            select(Module.id, Module.course_id, Module.slug, Module.required,
                   ModuleCompletion.id.is_not(None))
            .outerjoin(ModuleCompletion, and_(ModuleCompletion.module_id == Module.id,
                                              ModuleCompletion.user_id == user_id))
            .where(Module.course_id.in_(course_ids), Module.retired_at.is_(None))
            .order_by(Module.course_id, Module.position)
        ).all()
        for row in rows:
            modules_by_course.setdefault(row.course_id, []).append(row)
            if row[4]:
                done_ids.add(row.id)
    in_progress, completed = [], []
    for enrolment in enrolments:
        done, total = counts.get(enrolment.course_id, (0, 0))
        entry = DashboardEntry(
            enrolment, enrolment.course, Progress(done, total, enrolment.completed_at),
            continue_slug(modules_by_course.get(enrolment.course_id, []), done_ids,
                          enrolment.last_module_id),
        )
        (completed if enrolment.completed_at else in_progress).append(entry)
    return in_progress, completed


# --- For institutions: bulk enrolment and cohort reports -------------------------------

class ReportRow(NamedTuple):
    """One learner in one course, as a cohort report shows it (a tuple: reports build tens
    of thousands)."""

    enrolled_at: datetime
    active: bool
    done: int
    total: int
    started: bool
    completed_at: datetime | None
    due_on: date | None


def add_enrolments(pairs: list[tuple[int, int]], *, source: str = "cohort",
                   due_on: dict[int, date | None] | None = None) -> None:
    """Enrol many (user_id, course_id) pairs in bulk; existing ones are reactivated, never
    duplicated. Invitation-only courses are allowed: this is how institutions enrol.

    The caller owns the transaction (a CSV import is all or nothing).
    """
    if not pairs:
        return
    now = utcnow()
    due_on = due_on or {}
    insert_ignoring_duplicates(
        Enrolment.__table__,
        [{"user_id": u, "course_id": c, "active": True, "enrolled_at": now, "source": source,
          "due_on": due_on.get(c)} for u, c in dict.fromkeys(pairs)],
        conflict=["user_id", "course_id"],
    )
    users = sorted({u for u, _ in pairs})
    courses = {c for _, c in pairs}
    for start in range(0, len(users), 2000):  # stays under every driver's parameter limit
        db.session.execute(
            update(Enrolment).where(Enrolment.active.is_(False),
                                    Enrolment.user_id.in_(users[start:start + 2000]),
                                    Enrolment.course_id.in_(courses))
            .values(active=True, left_at=None)
        )


def set_due_dates(course_id: int, user_ids, due_on: date | None) -> None:
    """Set a cohort's due date on its learners' enrolments (caller commits)."""
    db.session.execute(
        update(Enrolment).where(Enrolment.course_id == course_id,
                                Enrolment.user_id.in_(user_ids)).values(due_on=due_on)
    )


def report_rows(course_ids: list[int], user_ids) -> dict[tuple[int, int], ReportRow]:
    """Progress of many learners in many courses in one query with two aggregates.

    `user_ids` may be a list or a SELECT of user ids (a cohort's members), so a report of
    thousands of learners never sends thousands of parameters.
    """
    if not course_ids:
        return {}
    totals = (
        select(Module.course_id, func.count(Module.id).label("total"))
        .where(Module.course_id.in_(course_ids), Module.required.is_(True),
               Module.retired_at.is_(None))
        .group_by(Module.course_id)
        .subquery()
    )
    done = (
        select(ModuleCompletion.user_id, Module.course_id,
               func.count(ModuleCompletion.id).label("done"))
        .join(Module, Module.id == ModuleCompletion.module_id)
        .where(Module.course_id.in_(course_ids), Module.required.is_(True),
               Module.retired_at.is_(None), ModuleCompletion.user_id.in_(user_ids))
        .group_by(ModuleCompletion.user_id, Module.course_id)
        .subquery()
    )
    done_count = func.coalesce(done.c.done, 0)
    rows = db.session.execute(
        select(Enrolment.user_id, Enrolment.course_id, Enrolment.enrolled_at,
               Enrolment.active, done_count, func.coalesce(totals.c.total, 0),
               or_(done_count > 0, Enrolment.last_module_id.is_not(None)),
               Enrolment.completed_at, Enrolment.due_on)
        .outerjoin(done, and_(done.c.user_id == Enrolment.user_id,
                              done.c.course_id == Enrolment.course_id))
        .outerjoin(totals, totals.c.course_id == Enrolment.course_id)
        .where(Enrolment.course_id.in_(course_ids), Enrolment.user_id.in_(user_ids))
    )
    make = ReportRow._make
    return {(row[0], row[1]): make(row[2:]) for row in rows}
