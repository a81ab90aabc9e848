"""Enrolment and progress. Each public function owns its transaction, except those that
say the caller commits.

Progress is always computed from the course's live modules (current version, not retired),
while completions are keyed on the stable module, so a changed module stays completed.

Completing a course is a fact derived from the data, decided by the database: every change
that can complete an enrolment first locks that enrolment's row (see `lock_enrolment`), then
one conditional UPDATE sets `completed_at` only if it is still empty and no live required
module is left without a completion. Whatever the order or concurrency of lesson marks, quiz
passes and republishes, an enrolment is completed exactly once, and the handlers listed in
`Features.course_completion_handlers` (the certificate) run in that same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import and_, exists, func, or_, select, true, update
from sqlalchemy.orm import aliased, selectinload

from .. import events
from ..catalog.models import Course, Module
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..timeutil import utcnow
from .models import Enrolment, ModuleCompletion


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
    created = insert_ignoring_duplicates(
        Enrolment.__table__,
        {"user_id": user_id, "course_id": course.id, "active": True, "enrolled_at": utcnow(),
         "source": source, "due_on": due_on, "updated_at": utcnow()},
        conflict=["user_id", "course_id"], returning=[Enrolment.__table__.c.id],
    )
    if created:
        events.emit(events.ENROLLED, {"user_id": user_id, "course_id": course.id})
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
    """Record a completed module, and the course when it was the last one, in one commit."""
    try:
        record_completion(user_id, module)
        progress = course_progress(user_id, module.course_id)
    except LearningError:
        db.session.rollback()
        raise
    db.session.commit()
    return progress


def record_completion(user_id: int, module: Module, *,
                      enrolment: Enrolment | None = None) -> None:
    """Record a completed module in the caller's transaction, completing the course (and
    running its completion handlers) when nothing required is left; the caller commits.

    A quiz pass calls this so that its grade, the module, the course and the certificate
    commit together, passing the `enrolment` it has already locked (`lock_enrolment`).
    Twice is harmless. Raises before writing anything when the learner is not enrolled or
    the module is retired.
    """
    if module.retired_at is not None:
        raise LearningError(_("This module is no longer part of the course."))
    if enrolment is None:
        enrolment = lock_enrolment(user_id, module.course_id, active_only=True)
    if enrolment is None or not enrolment.active:
        raise NotEnrolled(_("Enrol in the course to record your progress."))
    inserted = insert_ignoring_duplicates(
        ModuleCompletion.__table__,
        {"user_id": user_id, "module_id": module.id, "version_id": module.current_version_id,
         "completed_at": utcnow()},
        conflict=["user_id", "module_id"], returning=[ModuleCompletion.__table__.c.id],
    )
    if inserted:
        events.emit(events.MODULE_COMPLETED, {"user_id": user_id, "course_id": module.course_id,
                                              "module_id": module.id})
    if inserted and module.required:
        # Counted only when this statement added the row: a repeat or a concurrent twin
        # inserted nothing and counts nothing, whatever the order.
        db.session.execute(update(Enrolment).where(Enrolment.id == enrolment.id)
                           .values(modules_done=Enrolment.modules_done + 1)
                           .execution_options(synchronize_session=False))
    _complete_if_done(enrolment)


def lock_enrolment(user_id: int, course_id: int, *,
                   active_only: bool = False) -> Enrolment | None:
    """Hold a learner's enrolment until the caller's transaction ends, so that whatever can
    complete it (and what follows: the certificate) happens one transaction at a time.

    PostgreSQL locks the row (SELECT ... FOR UPDATE); later statements of the transaction
    then see every completion committed before the lock was granted. SQLite has no row
    locks, and its driver opens a transaction (BEGIN DEFERRED) at the first write, not at a
    read: a no-op UPDATE of the row therefore makes this transaction take the database's
    write lock before it reads anything, waiting for it (busy timeout) instead of failing.
    """
    where = [Enrolment.user_id == user_id, Enrolment.course_id == course_id]
    if active_only:
        where.append(Enrolment.active.is_(True))
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(update(Enrolment).where(*where)
                           .values(completed_at=Enrolment.completed_at)
                           .execution_options(synchronize_session=False))
    return db.session.scalar(select(Enrolment).where(*where).with_for_update()
                             .execution_options(populate_existing=True))


def enrolments_where(*, course_id: int | None = None, user_id: int | None = None):
    """SQL condition: the enrolments of one course, of one learner, of both, or all (what a
    recount, its drift check and its lock each pick)."""
    where = [true()]
    if course_id is not None:
        where.append(Enrolment.course_id == course_id)
    if user_id is not None:
        where.append(Enrolment.user_id == user_id)
    return and_(*where)


def lock_enrolments(*, course_id: int | None = None, user_id: int | None = None) -> None:
    """Before one UPDATE recomputes what enrolments keep (of a course, of a learner, or all)
    from other rows: on PostgreSQL, lock them (in id order, so two callers never wait on each
    other), so that the UPDATE, run after the locks are granted, sees every change committed
    before it; one that waited for a row would compute from an older snapshot. SQLite needs
    nothing: its driver begins the transaction at the first write (see `lock_enrolment`),
    which holds the database's write lock from before it reads until the commit."""
    if db.session.get_bind().dialect.name == "sqlite":
        return
    db.session.execute(select(Enrolment.id)
                       .where(enrolments_where(course_id=course_id, user_id=user_id))
                       .order_by(Enrolment.id).with_for_update())


@cache
def _meets_completion():
    """SQL condition on an enrolment: its course is live, the learner has completed at least
    one of its live modules, and none of its live required modules is left undone. Built
    once per process: it has no parameters, and building it cost more than running it."""
    live = aliased(Module)
    some_done = exists().where(
        ModuleCompletion.module_id == live.id, ModuleCompletion.user_id == Enrolment.user_id,
        live.course_id == Enrolment.course_id, live.retired_at.is_(None),
    ).correlate(Enrolment)
    done = exists().where(
        ModuleCompletion.module_id == Module.id, ModuleCompletion.user_id == Enrolment.user_id,
    ).correlate(Enrolment, Module)
    required_left = exists().where(
        Module.course_id == Enrolment.course_id, Module.required.is_(True),
        Module.retired_at.is_(None), ~done,
    ).correlate(Enrolment)
    course_live = exists().where(
        Course.id == Enrolment.course_id, Course.retired_at.is_(None)).correlate(Enrolment)
    return and_(course_live, some_done, ~required_left)


def _complete_if_done(enrolment: Enrolment) -> bool:
    """Complete a locked enrolment once, if it meets completion, and run the completion
    handlers in the same transaction; True when this call completed it."""
    user_id, course_id = enrolment.user_id, enrolment.course_id
    completed = db.session.execute(
        update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None),
               _meets_completion())
        .values(completed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.expire(enrolment)
    if completed:
        from ..features import features  # the wiring module knows every feature: import late

        events.emit(events.COURSE_COMPLETED, {"user_id": user_id, "course_id": course_id})
        for handler in features().course_completion_handlers:
            handler(user_id=user_id, course_id=course_id)
    return completed


def completions_owed(course_id: int | None = None) -> list[tuple[int, int]]:
    """(user_id, course_id) of every enrolment that meets completion but is not recorded
    complete: what `recompute_completions` would complete (and `ecampus doctor` lists)."""
    statement = select(Enrolment.user_id, Enrolment.course_id).where(
        Enrolment.completed_at.is_(None), _meets_completion())
    if course_id is not None:
        statement = statement.where(Enrolment.course_id == course_id)
    return [tuple(row) for row in db.session.execute(statement.order_by(Enrolment.id))]


def recompute_completions(course_id: int | None = None) -> int:
    """Complete every enrolment (active or not) that meets completion but is not recorded
    complete, e.g. after a republish retired its last missing module; returns how many.

    Idempotent; each enrolment is locked, re-checked and committed on its own, so it is safe
    beside learners completing modules at the same moment. The counts of completed modules
    are brought in line with the course's live modules first (one statement).
    """
    recount_modules_done(course_id)
    db.session.commit()
    count = 0
    for user_id, enrolled_course_id in completions_owed(course_id):
        enrolment = lock_enrolment(user_id, enrolled_course_id)
        if enrolment is not None and _complete_if_done(enrolment):
            count += 1
        db.session.commit()
    return count


def _live_required_done():
    """SQL: how many live required modules of an enrolment's course its learner completed."""
    return (select(func.count(ModuleCompletion.id))
            .join(Module, Module.id == ModuleCompletion.module_id)
            .where(ModuleCompletion.user_id == Enrolment.user_id,
                   Module.course_id == Enrolment.course_id, Module.required.is_(True),
                   Module.retired_at.is_(None))
            .correlate(Enrolment).scalar_subquery())


def modules_done_drift(course_id: int | None = None) -> list[tuple[int, int, int, int]]:
    """(user_id, course_id, kept, actual) of every enrolment whose `modules_done` differs
    from its completions: what `recount_modules_done` repairs (and `ecampus doctor` lists)."""
    actual = _live_required_done()
    statement = select(Enrolment.user_id, Enrolment.course_id, Enrolment.modules_done,
                       actual).where(Enrolment.modules_done != actual,
                                     enrolments_where(course_id=course_id))
    return [tuple(row) for row in db.session.execute(statement.order_by(Enrolment.id))]


def recount_modules_done(course_id: int | None = None) -> int:
    """Set every enrolment's `modules_done` (of one course, or all) from its completion rows
    in one UPDATE ... SELECT count, e.g. after a republish retired or added a module; the
    caller commits. Returns how many enrolments changed. The rows are locked first, so a
    completion committed while the UPDATE waited for its row is counted."""
    lock_enrolments(course_id=course_id)
    actual = _live_required_done()
    statement = update(Enrolment).where(Enrolment.modules_done != actual,
                                        enrolments_where(course_id=course_id))
    return db.session.execute(statement.values(modules_done=actual)
                              .execution_options(synchronize_session=False)).rowcount


def repair_modules_done() -> int:
    """`ecampus doctor --fix`: recount every enrolment whose count drifted, in one commit."""
    changed = recount_modules_done()
    db.session.commit()
    return changed


def completed_enrolments(course_ids: list[int]):
    """A SELECT of (user_id, course_id) of the completed enrolments in these courses, for
    another feature to filter in SQL (certificates looks for completions without one)."""
    return select(Enrolment.user_id, Enrolment.course_id).where(
        Enrolment.course_id.in_(course_ids), Enrolment.completed_at.is_not(None))


def course_progress(user_id: int, course_id: int) -> Progress:
    """Completed share of the course's live required modules, in one statement."""
    live_required = and_(Module.course_id == course_id, Module.required.is_(True),
                         Module.retired_at.is_(None))
    done = (select(func.count(ModuleCompletion.id))
            .join(Module, Module.id == ModuleCompletion.module_id)
            .where(ModuleCompletion.user_id == user_id, live_required))
    total = select(func.count(Module.id)).where(live_required)
    completed_at = select(Enrolment.completed_at).where(Enrolment.user_id == user_id,
                                                        Enrolment.course_id == course_id)
    done, total, completed_at = db.session.execute(select(
        done.scalar_subquery(), total.scalar_subquery(),
        completed_at.scalar_subquery())).one()
    return Progress(done, total, completed_at)


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
    created = insert_ignoring_duplicates(
        Enrolment.__table__,
        [{"user_id": u, "course_id": c, "active": True, "enrolled_at": now, "source": source,
          "due_on": due_on.get(c), "updated_at": now} for u, c in dict.fromkeys(pairs)],
        conflict=["user_id", "course_id"],
        returning=[Enrolment.__table__.c.user_id, Enrolment.__table__.c.course_id],
    )
    events.emit_many(events.ENROLLED, ({"user_id": u, "course_id": c} for u, c in created))
    users = sorted({u for u, _ in pairs})
    courses = {c for _, c in pairs}
    for start in range(0, len(users), 2000):  # stays under every driver's parameter limit
        db.session.execute(
            update(Enrolment).where(Enrolment.active.is_(False),
                                    Enrolment.user_id.in_(users[start:start + 2000]),
                                    Enrolment.course_id.in_(courses))
            .values(active=True, left_at=None)
        )


def touch_enrolment(user_id: int, course_id: int, **values) -> None:
    """Note that something shown of an enrolment changed (a graded quiz, whose result is
    among `values`): its `updated_at` moves, so incremental readers see it (caller commits)."""
    db.session.execute(update(Enrolment).where(Enrolment.user_id == user_id,
                                               Enrolment.course_id == course_id)
                       .values(updated_at=utcnow(), **values)
                       .execution_options(synchronize_session=False))


def set_due_dates(course_id: int, user_ids, due_on: date | None) -> None:
    """Set a cohort's due date on its learners' enrolments (caller commits)."""
    db.session.execute(
        update(Enrolment).where(Enrolment.course_id == course_id,
                                Enrolment.user_id.in_(user_ids)).values(due_on=due_on)
    )


def required_totals(course_ids):
    """A subquery (course_id, total) of each course's live required modules: the whole of
    which an enrolment's `modules_done` is a part. `course_ids` may be a SELECT."""
    return (select(Module.course_id, func.count(Module.id).label("total"))
            .where(Module.course_id.in_(course_ids), Module.required.is_(True),
                   Module.retired_at.is_(None))
            .group_by(Module.course_id).subquery("required_totals"))


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


def enrolments_of(user_id: int) -> list[tuple[Enrolment, Progress]]:
    """Every enrolment of an account, left ones included, with its progress, newest first
    (the administrators' account page)."""
    enrolments = list(db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user_id)
        .options(selectinload(Enrolment.course).selectinload(Course.texts))
        .order_by(Enrolment.enrolled_at.desc(), Enrolment.id.desc())))
    counts = _progress_counts(user_id, [e.course_id for e in enrolments])
    return [(e, Progress(*counts.get(e.course_id, (0, 0)), e.completed_at))
            for e in enrolments]
