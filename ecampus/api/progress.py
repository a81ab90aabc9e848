"""Progress and results for the API: one row per learner and course, keyset-paged on
(enrolment.updated_at, enrolment.id), which the enrolments index serves, so an incremental
synchronisation (`updated_since`) reads only what changed.

Each page is one range query for its enrolments, then the shared aggregate services
(learning, quizzes, certificates) for that page's learners only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, literal, select, tuple_

from ..auth.models import User
from ..catalog.models import Course
from ..certificates import services as certificates
from ..extensions import db
from ..institutions import invitations
from ..institutions.models import CohortCourse, CohortMember
from ..learning import services as learning
from ..learning.models import Enrolment
from ..quizzes import services as quizzes
from . import paging
from .schemas import rfc3339


def _columns(external_id):
    return (Enrolment.id, Enrolment.user_id, User.email, external_id, Enrolment.course_id,
            Course.slug, Enrolment.active, Enrolment.enrolled_at, Enrolment.completed_at,
            Enrolment.due_on, Enrolment.updated_at)


def cohort_progress(cohort_id: int, *, user_id: int | None = None,
                    updated_since: datetime | None = None, cursor: str | None = None,
                    limit: int = 100) -> tuple[list[dict], str | None]:
    """A page of a cohort's learners' progress in its courses (one learner's, with
    `user_id`); people the cohort still waits for show nothing, as in the reports. Items are
    JSON-ready (times as RFC 3339 strings): a page of 500 is answered without a schema."""
    statement = (
        select(*_columns(CohortMember.external_id))
        .join(CohortMember, and_(CohortMember.user_id == Enrolment.user_id,
                                 CohortMember.cohort_id == cohort_id))
        .join(CohortCourse, and_(CohortCourse.course_id == Enrolment.course_id,
                                 CohortCourse.cohort_id == cohort_id))
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(invitations.is_learner())
    )
    if user_id is not None:
        statement = statement.where(Enrolment.user_id == user_id)
    return _page(statement, updated_since, cursor, limit)


def own_progress(user_id: int, *, updated_since: datetime | None = None,
                 cursor: str | None = None, limit: int = 100) -> tuple[list[dict], str | None]:
    """A page of a learner's own enrolments with their progress and results."""
    statement = (
        select(*_columns(literal(None).label("external_id")))
        .join(User, User.id == Enrolment.user_id)
        .join(Course, Course.id == Enrolment.course_id)
        .where(Enrolment.user_id == user_id)
    )
    return _page(statement, updated_since, cursor, limit)


def _page(statement, updated_since, cursor, limit) -> tuple[list[dict], str | None]:
    after = paging.decode(cursor, datetime, int)
    if updated_since is not None:
        statement = statement.where(Enrolment.updated_at >= updated_since)
    if after is not None:
        statement = statement.where(tuple_(Enrolment.updated_at, Enrolment.id) > after)
    rows = db.session.execute(statement.order_by(Enrolment.updated_at, Enrolment.id)
                              .limit(limit + 1)).all()
    rows, next_cursor = paging.page(rows, limit, lambda r: (r.updated_at, r.id))
    if not rows:
        return [], next_cursor
    user_ids = sorted({r.user_id for r in rows})
    course_ids = sorted({r.course_id for r in rows})
    counts = learning.report_rows(course_ids, user_ids)
    results = quizzes.course_results(course_ids, user_ids)
    codes = certificates.codes_for(course_ids, user_ids)
    items = []
    for r in rows:
        pair = (r.user_id, r.course_id)
        counted = counts.get(pair)
        percent = 100 if r.completed_at else (
            learning.Progress(counted.done, counted.total).percent if counted else 0)
        score, passed = results.get(pair, (None, None))
        items.append({
            "user_id": r.user_id, "email": r.email, "external_id": r.external_id,
            "course_id": r.course_id, "course_slug": r.slug, "active": r.active,
            "enrolled_at": rfc3339(r.enrolled_at), "progress_percent": percent,
            "completed_at": rfc3339(r.completed_at),
            "due_on": r.due_on.isoformat() if r.due_on else None,
            "quiz_score": None if score is None else round(float(score), 1),
            "quiz_passed": passed, "certificate_code": codes.get(pair),
            "updated_at": rfc3339(r.updated_at),
        })
    return items, next_cursor
