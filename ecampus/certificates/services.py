"""Certificates: issue exactly once, render, verify, revoke and reissue."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from .models import REPLACED, Certificate


def codes_for(course_ids: list[int], user_ids) -> dict[tuple[int, int], str]:
    """The current certificate code of each (user_id, course_id), in one query.

    `user_ids` may be a list or a SELECT of user ids.
    """
    if not course_ids:
        return {}
    rows = db.session.execute(
        select(Certificate.user_id, Certificate.course_id, Certificate.code)
        .where(Certificate.course_id.in_(course_ids), Certificate.user_id.in_(user_ids),
               Certificate.status != REPLACED)
    ).all()
    return {(r.user_id, r.course_id): r.code for r in rows}
