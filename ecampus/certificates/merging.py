"""What becomes of certificates when an administrator merges two accounts of one person.

Called by `ecampus.admin.merge` inside its transaction (nothing here commits). A certificate
is a signed statement someone may already hold: a merge never revokes, replaces or re-signs
one. Every certificate of the merged account moves to the kept account with its code,
status and signed credential unchanged, so each still verifies exactly as before. When both
accounts hold a certificate for the same course, both stay valid; the merged account's take
the next sequence numbers after the kept account's for that course (sequence 1 stays the
one automatic issue relies on, so no certificate is issued twice).
"""

from __future__ import annotations

from sqlalchemy import func, select

from ..database import hand_over_numbered_rows
from ..extensions import db
from .models import Certificate


def _kept_last_sequences(keep_id: int, merged_id: int) -> dict[int, int]:
    merged_courses = select(Certificate.course_id).where(Certificate.user_id == merged_id)
    return dict(db.session.execute(
        select(Certificate.course_id, func.max(Certificate.sequence))
        .where(Certificate.user_id == keep_id, Certificate.course_id.in_(merged_courses))
        .group_by(Certificate.course_id)).all())


def shared_certificate_courses(keep_id: int, merged_id: int) -> list[tuple[int, str]]:
    """(course id, title) of the courses both accounts hold a certificate for: both are
    kept, both stay valid."""
    shared = _kept_last_sequences(keep_id, merged_id)
    titles = dict(db.session.execute(
        select(Certificate.course_id, Certificate.course_title)
        .where(Certificate.user_id == keep_id, Certificate.course_id.in_(shared))
        .order_by(Certificate.sequence)).all())
    return sorted(titles.items())


def move_certificates(keep_id: int, merged_id: int) -> dict[str, int]:
    """Give every certificate of the merged account to the kept one (caller commits); how
    many were numbered after a certificate of the kept account for the same course."""
    return {"certificates.user_id": hand_over_numbered_rows(
        Certificate.user_id, Certificate.course_id, Certificate.sequence,
        keep_id=keep_id, merged_id=merged_id)}
