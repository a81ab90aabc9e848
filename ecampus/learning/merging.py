"""What becomes of a person's learning when an administrator merges two of their accounts.

Called by `ecampus.admin.merge` inside its transaction, with both account rows locked;
nothing here commits. Nothing done is lost: a module both accounts completed keeps its
earliest completion, and a course both are enrolled in keeps one enrolment that carries
the earliest start, the latest visit, the earliest completion and the earliest due date.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from ..catalog.models import Course
from ..extensions import db
from .models import Enrolment, ModuleCompletion
from .services import _complete_if_done, _live_required_done, lock_enrolment


def shared_courses(keep_id: int, merged_id: int) -> list[Course]:
    """Courses both accounts are enrolled in: their enrolments become one."""
    other = aliased(Enrolment)
    return list(db.session.scalars(
        select(Course).join(Enrolment, Enrolment.course_id == Course.id)
        .join(other, other.course_id == Enrolment.course_id)
        .where(Enrolment.user_id == keep_id, other.user_id == merged_id)
        .order_by(Course.id)))


def shared_module_count(keep_id: int, merged_id: int) -> int:
    """Modules both accounts completed: one completion each remains, the earliest."""
    other = aliased(ModuleCompletion)
    return db.session.scalar(
        select(func.count()).select_from(ModuleCompletion)
        .join(other, other.module_id == ModuleCompletion.module_id)
        .where(ModuleCompletion.user_id == keep_id, other.user_id == merged_id)) or 0


def merge_learning(keep_id: int, merged_id: int) -> dict[str, int]:
    """Give the kept account every enrolment and completion of the merged one (caller
    commits); how many rows were combined with one of the kept account's."""
    combined = _merge_completions(keep_id, merged_id)
    course_ids = {row for row in db.session.scalars(
        select(Enrolment.course_id).where(Enrolment.user_id == merged_id))}
    enrolments = _merge_enrolments(keep_id, merged_id)
    db.session.execute(update(Enrolment).where(Enrolment.user_id == keep_id)
                       .values(modules_done=_live_required_done())
                       .execution_options(synchronize_session=False))
    # Completions from both accounts may together finish a course neither had finished:
    # complete it now, through the usual path (so its certificate is issued).
    for course_id in sorted(course_ids):
        enrolment = lock_enrolment(keep_id, course_id, active_only=True)
        if enrolment is not None and enrolment.completed_at is None:
            _complete_if_done(enrolment)
    return {"module_completions.user_id": combined, "enrolments.user_id": enrolments}


def _merge_completions(keep_id: int, merged_id: int) -> int:
    other = aliased(ModuleCompletion)
    pairs = db.session.execute(
        select(ModuleCompletion, other).join(other, other.module_id == ModuleCompletion.module_id)
        .where(ModuleCompletion.user_id == keep_id, other.user_id == merged_id)).all()
    for kept, merged in pairs:
        if merged.completed_at < kept.completed_at:
            kept.completed_at, kept.version_id = merged.completed_at, merged.version_id
        db.session.delete(merged)
    db.session.flush()
    db.session.execute(update(ModuleCompletion).where(ModuleCompletion.user_id == merged_id)
                       .values(user_id=keep_id).execution_options(synchronize_session=False))
    return len(pairs)


def _earliest(*values):
    present = [value for value in values if value is not None]
    return min(present) if present else None


def _merge_enrolments(keep_id: int, merged_id: int) -> int:
    other = aliased(Enrolment)
    pairs = db.session.execute(
        select(Enrolment, other).join(other, other.course_id == Enrolment.course_id)
        .where(Enrolment.user_id == keep_id, other.user_id == merged_id)).all()
    for kept, merged in pairs:
        kept.enrolled_at = min(kept.enrolled_at, merged.enrolled_at)
        kept.completed_at = _earliest(kept.completed_at, merged.completed_at)
        kept.due_on = _earliest(kept.due_on, merged.due_on)
        if merged.last_visited_at is not None and (
                kept.last_visited_at is None or merged.last_visited_at > kept.last_visited_at):
            kept.last_visited_at = merged.last_visited_at
            kept.last_module_id = merged.last_module_id
        if merged.active and not kept.active:
            kept.active, kept.left_at = True, None
        db.session.delete(merged)
    db.session.flush()
    db.session.execute(update(Enrolment).where(Enrolment.user_id == merged_id)
                       .values(user_id=keep_id).execution_options(synchronize_session=False))
    return len(pairs)

