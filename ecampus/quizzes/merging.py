"""What becomes of quiz attempts when an administrator merges two accounts of one person.

Called by `ecampus.admin.merge` inside its transaction (nothing here commits). Every attempt
is kept: on a quiz both accounts attempted, the merged account's attempts are numbered after
the kept account's, in their own order, so numbers stay unique and nothing is overwritten.
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..database import hand_over_numbered_rows
from ..extensions import db
from .models import Attempt
from .services import rescore


def shared_quiz_count(keep_id: int, merged_id: int) -> int:
    """Quizzes both accounts attempted: the merged account's attempts are renumbered."""
    return len(_kept_last_numbers(keep_id, merged_id))


def _kept_last_numbers(keep_id: int, merged_id: int) -> dict[int, int]:
    merged_modules = select(Attempt.module_id).where(Attempt.user_id == merged_id)
    return dict(db.session.execute(
        select(Attempt.module_id, func.max(Attempt.number))
        .where(Attempt.user_id == keep_id, Attempt.module_id.in_(merged_modules))
        .group_by(Attempt.module_id)).all())


def move_attempts(keep_id: int, merged_id: int) -> dict[str, int]:
    """Give every attempt of the merged account to the kept one (caller commits); how many
    were renumbered after the kept account's own."""
    return {"attempts.user_id": hand_over_numbered_rows(
        Attempt.user_id, Attempt.module_id, Attempt.number,
        keep_id=keep_id, merged_id=merged_id)}


def rescore_kept(keep_id: int) -> None:
    """After every row moved: the kept account's quiz results, from all its attempts now."""
    rescore(user_id=keep_id)
