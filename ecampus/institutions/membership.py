"""Adding people to a cohort in bulk: accounts, memberships, enrolments and the mail owed.

Whatever the number of people, this runs a fixed handful of statements per thousand rows:
no query per person. The caller owns the transaction, so a CSV import is all or nothing.
Mail is queued in that transaction and sent after it, by `send_pending_notices`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import selectinload

from ..auth.models import Role, User
from ..auth.services import INVITE, issue_token
from ..catalog.models import Course
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..learning import services as learning
from ..mail import send_mail
from ..timeutil import utcnow
from ..urls import public_url
from .csvfile import Person
from .models import Cohort, CohortCourse, CohortMember, CohortNotice

log = logging.getLogger(__name__)

#: Values per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 1000
ENROLLED = "enrolled"


@dataclass
class Outcome:
    """What adding people did."""

    created: int = 0
    enrolled: int = 0
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {"created": self.created, "enrolled": self.enrolled, "unchanged": self.unchanged}


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    """Slices of `items`, so an IN (...) list never outgrows a driver's parameter limit."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def classify(cohort_id: int, emails: Iterable[str]) -> dict[str, tuple[int, bool]]:
    """{email: (user_id, already a member)} for the addresses that have an account."""
    found: dict[str, tuple[int, bool]] = {}
    for chunk in chunks(sorted(set(emails))):
        rows = db.session.execute(
            select(User.id, User.email, CohortMember.id)
            .outerjoin(CohortMember, and_(CohortMember.user_id == User.id,
                                          CohortMember.cohort_id == cohort_id))
            .where(User.email.in_(chunk))
        ).all()
        found.update({email: (user_id, member is not None) for user_id, email, member in rows})
    return found


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


def add_people(cohort_id: int, people: Sequence[Person], *, default_language: str) -> Outcome:
    """Create missing accounts, add everyone to the cohort, enrol the newcomers in its
    courses and queue their mail; in bulk, without committing. Existing accounts are never
    modified."""
    now = utcnow()
    known = classify(cohort_id, (p.email for p in people))
    user_ids = {email: user_id for email, (user_id, _member) in known.items()}
    new = [p for p in people if p.email not in known]
    created: set[int] = set()
    for user_id, email in insert_ignoring_duplicates(User.__table__, [
            {"email": p.email, "full_name": p.full_name, "password_hash": None,
             "language": p.language or default_language, "role": Role.LEARNER.value,
             "active": True, "created_at": now} for p in new],
            conflict=["email"], returning=[User.id, User.email]):
        user_ids[email] = user_id
        created.add(user_id)
    racing = [p.email for p in new if p.email not in user_ids]
    for chunk in chunks(racing):  # accounts another request created meanwhile
        user_ids.update({e: i for i, e in db.session.execute(
            select(User.id, User.email).where(User.email.in_(chunk))).all()})

    joining = [p for p in people if not known.get(p.email, (0, False))[1]]
    added = sorted(row[0] for row in insert_ignoring_duplicates(CohortMember.__table__, [
        {"cohort_id": cohort_id, "user_id": user_ids[p.email], "external_id": p.external_id,
         "added_at": now} for p in joining],
        conflict=["cohort_id", "user_id"], returning=[CohortMember.user_id]))
    # An account created a moment ago cannot have enrolled itself in anything before.
    enrol_members(added, live_course_dues(cohort_id),
                  enrolled_before=[user_id for user_id in added if user_id not in created])
    if added:
        db.session.execute(insert(CohortNotice), [
            {"cohort_id": cohort_id, "user_id": user_id, "created_at": now,
             "kind": INVITE if user_id in created else ENROLLED} for user_id in added])
    return Outcome(created=len(created), enrolled=len(added) - len(created),
                   unchanged=len(people) - len(added))


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


def send_pending_notices(*, cohort_id: int | None = None, user_id: int | None = None,
                         batch: int = 100) -> tuple[int, int]:
    """Mail queued invitations and enrolment notices; returns (sent, failed).

    Each batch is claimed with a conditional update before mailing, so two senders never
    mail the same person twice. A failed mail goes back in the queue for the next run.
    Invitation tokens are issued here, just before mailing: only their hashes are stored.
    """
    sent = failed = 0
    skip: list[int] = []
    lifetime = timedelta(days=current_app.config["INVITATION_DAYS"])
    site = current_app.config["SITE_NAME"]
    while True:
        pending = select(CohortNotice.id).where(CohortNotice.sent_at.is_(None),
                                                CohortNotice.id.not_in(skip))
        if cohort_id is not None:
            pending = pending.where(CohortNotice.cohort_id == cohort_id)
        if user_id is not None:
            pending = pending.where(CohortNotice.user_id == user_id)
        ids = db.session.scalars(pending.order_by(CohortNotice.id).limit(batch)).all()
        if not ids:
            return sent, failed
        claimed = db.session.execute(
            update(CohortNotice).where(CohortNotice.id.in_(ids), CohortNotice.sent_at.is_(None))
            .values(sent_at=utcnow())
            .returning(CohortNotice.id, CohortNotice.cohort_id, CohortNotice.user_id,
                       CohortNotice.kind)).all()
        users = {u.id: u for u in db.session.scalars(
            select(User).where(User.id.in_([c.user_id for c in claimed])))}
        tokens = {c.id: issue_token(users[c.user_id], INVITE, lifetime)
                  for c in claimed if c.kind == INVITE}
        mails = [(c.id, users[c.user_id].email, users[c.user_id].full_name,
                  users[c.user_id].language, c.cohort_id, tokens.get(c.id)) for c in claimed]
        letters = _letters({c.cohort_id for c in claimed})
        db.session.commit()
        for notice_id, email, name, language, notice_cohort, token in mails:
            letter = letters[notice_cohort]
            try:
                with force_locale(language):
                    _send(email, name, token, letter, language, site)
                sent += 1
            except Exception:
                log.exception("Could not mail %s about cohort %s", email, notice_cohort)
                failed += 1
                skip.append(notice_id)
                db.session.execute(update(CohortNotice).where(CohortNotice.id == notice_id)
                                   .values(sent_at=None))
                db.session.commit()


def _send(email: str, name: str, token: str | None, letter: _Letter, language: str,
          site: str) -> None:
    context = {"name": name, "cohort": letter.cohort, "institution": letter.institution,
               "courses": letter.courses.get(language, ""), "site": site,
               "days": current_app.config["INVITATION_DAYS"]}
    if token:
        link = public_url("auth.accept_invitation", token=token)
        send_mail(email, _("You are invited to %(site)s", site=site),
                  render_template("institutions/email/invitation.txt", link=link, **context))
    else:
        link = public_url("learning.dashboard")
        send_mail(email, _("New courses for you on %(site)s", site=site),
                  render_template("institutions/email/enrolled.txt", link=link, **context))


def send_after_response(response, cohort_id: int):
    """Mail a cohort's queued notices once the page has gone to the manager's browser.

    A large import then never keeps the manager waiting. If the worker stops half-way,
    what is left stays queued for `ecampus cohorts send-notices`.
    """
    app = current_app._get_current_object()
    base_url = request.url_root

    def send() -> None:
        with app.test_request_context("/", base_url=base_url):
            try:
                send_pending_notices(cohort_id=cohort_id)
            except Exception:
                log.exception("Sending the notices of cohort %s stopped", cohort_id)
            finally:
                db.session.remove()

    response.call_on_close(send)
    return response
