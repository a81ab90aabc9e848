"""Putting people in a cohort in bulk: memberships, enrolments and the mail owed.

Whatever the number of people, this runs a fixed handful of statements per thousand rows:
no query per person. The caller owns the transaction, so a CSV import is all or nothing.
The mail owed is recorded in that transaction with a job (`send_notices`) that writes it
once it commits; the mail worker then sends it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..auth.services import INVITE, issue_tokens
from ..catalog.models import Course
from ..database import insert_ignoring_duplicates, skip_locked_ids
from ..extensions import db
from ..jobs import enqueue
from ..learning import services as learning
from ..mail import Letter, queue_letters
from ..timeutil import utcnow
from ..urls import public_url
from .models import Cohort, CohortCourse, CohortMember, CohortNotice

log = logging.getLogger(__name__)

#: Values per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 1000
ENROLLED = "enrolled"
#: The job that writes a cohort's invitations and notices once the change owing them commits.
NOTICES_JOB = "institutions.notices"
#: Letters written per run of that job.
NOTICES_BATCH = 1000


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    """Slices of `items`, so an IN (...) list never outgrows a driver's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def live_course_dues(cohort_id: int) -> dict[int, date | None]:
    """{course_id: due_on} of the cohort's courses that can still be followed."""
    return dict(db.session.execute(
        select(CohortCourse.course_id, CohortCourse.due_on)
        .join(Course, Course.id == CohortCourse.course_id)
        .where(CohortCourse.cohort_id == cohort_id, Course.retired_at.is_(None),
               Course.status == "published")
    ).all())


def enrol_members(user_ids: Sequence[int], dues: dict[int, date | None], *,
                  enrolled_before: Sequence[int] | None = None) -> None:
    """Enrol learners in courses in bulk and give them the cohort's due dates (no commit).

    New enrolments get their due date as they are inserted; `enrolled_before` (by default
    everyone) are those who may have enrolled themselves earlier and need it set.
    """
    if not user_ids or not dues:
        return
    learning.add_enrolments([(u, c) for u in user_ids for c in dues], source="cohort",
                            due_on=dues)
    enrolled_before = user_ids if enrolled_before is None else enrolled_before
    for course_id, due_on in dues.items():
        if due_on is not None:
            for chunk in chunks(enrolled_before):
                learning.set_due_dates(course_id, chunk, due_on)


def join_cohort(cohort_id: int, members: Sequence[tuple[int, str | None]], *,
                created: Collection[int] = (), invite: Collection[int] = (),
                notify: bool = True) -> list[int]:
    """Put accounts in a cohort, enrol the newcomers in its courses and queue their mail; in
    bulk, without committing. `members` are (user_id, external_id) of people who belong to
    the cohort's institution; `created` those whose account was made a moment ago, `invite`
    older ones whose password was never chosen: both are mailed the invitation to choose it.
    Returns the ids of those who were not in the cohort yet."""
    now = utcnow()
    added = sorted(row[0] for row in insert_ignoring_duplicates(CohortMember.__table__, [
        {"cohort_id": cohort_id, "user_id": user_id, "external_id": external_id,
         "added_at": now} for user_id, external_id in members],
        conflict=["cohort_id", "user_id"], returning=[CohortMember.user_id]))
    created, invite = set(created), set(invite)
    # An account created a moment ago cannot have enrolled itself in anything before.
    enrol_members(added, live_course_dues(cohort_id),
                  enrolled_before=[user_id for user_id in added if user_id not in created])
    if not notify:
        return added
    if added:
        db.session.execute(insert(CohortNotice), [
            {"cohort_id": cohort_id, "user_id": user_id, "created_at": now,
             "kind": INVITE if user_id in created or user_id in invite else ENROLLED}
            for user_id in added])
        # The letters are written by the worker: rendering 10,000 of them would keep the
        # manager's request waiting for seconds. The notices and this job commit together.
        enqueue(NOTICES_JOB, {"cohort_id": cohort_id}, key=f"{NOTICES_JOB}:{cohort_id}")
    return added


@dataclass(frozen=True)
class _Letter:
    cohort: str
    institution: str
    courses: dict[str, str]  # language -> course titles


def _letters(cohort_ids: set[int]) -> dict[int, _Letter]:
    cohorts = db.session.scalars(select(Cohort).where(Cohort.id.in_(cohort_ids))
                                 .options(selectinload(Cohort.institution))).all()
    courses = db.session.execute(
        select(CohortCourse.cohort_id, Course).join(Course, Course.id == CohortCourse.course_id)
        .where(CohortCourse.cohort_id.in_(cohort_ids), Course.retired_at.is_(None))
        .options(selectinload(Course.texts)).order_by(Course.slug)).all()
    letters = {}
    for cohort in cohorts:
        mine = [course for cohort_id, course in courses if cohort_id == cohort.id]
        titles = {language: ", ".join(c.text(language).title for c in mine)
                  for language in current_app.config["LANGUAGES"]}
        letters[cohort.id] = _Letter(cohort.name, cohort.institution.name, titles)
    return letters


def send_notices(cohort_id: int) -> int:
    """The "institutions.notices" job: write the letters a cohort owes and queue them for the
    mail worker, a batch per run, in one transaction each; returns how many were queued."""
    queued = queue_notices(cohort_id=cohort_id, limit=NOTICES_BATCH)
    if queued == NOTICES_BATCH:  # more may be left: another run, which a second worker may take
        enqueue(NOTICES_JOB, {"cohort_id": cohort_id}, key=f"{NOTICES_JOB}:{cohort_id}")
    db.session.commit()
    return queued


def queue_notices(*, cohort_id: int | None = None, user_id: int | None = None,
                  limit: int | None = None) -> int:
    """Turn owed invitations and enrolment notices into queued mail in the caller's
    transaction (at most `limit`); returns how many were queued.

    Each notice is claimed with a conditional update (SKIP LOCKED on PostgreSQL), so two
    transactions never queue the same one twice, and each message carries the notice's
    key. Invitation tokens are issued here: only their hashes are stored with the account.
    """
    pending = select(CohortNotice.id).where(CohortNotice.sent_at.is_(None))
    if cohort_id is not None:
        pending = pending.where(CohortNotice.cohort_id == cohort_id)
    if user_id is not None:
        pending = pending.where(CohortNotice.user_id == user_id)
    claim = (update(CohortNotice)
             .where(CohortNotice.id.in_(skip_locked_ids(pending.order_by(CohortNotice.id)
                                                        .limit(limit))),
                    CohortNotice.sent_at.is_(None))
             .values(sent_at=utcnow())
             .returning(CohortNotice.id, CohortNotice.cohort_id, CohortNotice.user_id,
                        CohortNotice.kind))
    claimed = db.session.execute(claim.execution_options(synchronize_session=False)).all()
    if not claimed:
        return 0
    users: dict[int, User] = {}
    for chunk in chunks(sorted({c.user_id for c in claimed})):
        users.update({u.id: u for u in db.session.scalars(select(User).where(User.id.in_(chunk)))})
    letters = _letters({c.cohort_id for c in claimed})
    lifetime = timedelta(days=current_app.config["INVITATION_DAYS"])
    site = current_app.config["SITE_NAME"]
    dashboard = public_url("learning.dashboard")
    tokens = issue_tokens([c.user_id for c in claimed if c.kind == INVITE], INVITE, lifetime)
    mail: list[Letter] = []
    by_language = sorted(claimed, key=lambda c: users[c.user_id].language)
    for language, notices in groupby(by_language, key=lambda c: users[c.user_id].language):
        with force_locale(language):
            for notice in notices:
                token = tokens.get(notice.user_id) if notice.kind == INVITE else None
                mail.append(_letter(notice.id, users[notice.user_id], token,
                                    letters[notice.cohort_id], language, site, dashboard))
    queue_letters(mail)
    return len(mail)


def _letter(notice_id: int, user: User, token: str | None, letter: _Letter, language: str,
            site: str, dashboard: str) -> Letter:
    context = {"name": user.full_name, "cohort": letter.cohort,
               "institution": letter.institution, "courses": letter.courses.get(language, ""),
               "site": site, "days": current_app.config["INVITATION_DAYS"]}
    key = f"cohort-notice:{notice_id}"
    if token:
        link = public_url("auth.accept_invitation", token=token)
        return Letter(user.email, _("You are invited to %(site)s", site=site), render_template(
            "institutions/email/invitation.txt", link=link, **context), key)
    return Letter(user.email, _("New courses for you on %(site)s", site=site), render_template(
        "institutions/email/enrolled.txt", link=dashboard, **context), key)
