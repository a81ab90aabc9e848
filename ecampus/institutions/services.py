"""Institutions, managers, cohorts, their courses and members. Each public function owns its
transaction and raises `CohortError` with a message for the person acting.

A manager acts only within their own institution: every lookup of a cohort goes through
`cohort_for`, which answers "not found" for anyone else's, so ids reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..audit import record
from ..auth.models import Role, User, normalise_email
from ..catalog import services as catalog
from ..catalog.models import Course
from ..extensions import db
from ..learning import services as learning
from ..textsearch import matches_all, query_words
from ..timeutil import utcnow
from . import invitations, membership
from .csvfile import check_person
from .models import (
    Cohort,
    CohortCourse,
    CohortInvitation,
    CohortMember,
    Institution,
    InstitutionManager,
    InstitutionMember,
)

MEMBERS_PAGE_SIZE = 100


class CohortError(Exception):
    """An institution or cohort change that cannot be made; the message is for the user."""


class NotFound(CohortError):
    """No such thing, or not one the person asking may see: the two look the same."""


@dataclass(frozen=True)
class CohortSummary:
    cohort: Cohort
    institution_name: str
    members: int
    courses: int


@dataclass(frozen=True)
class MemberEntry:
    user_id: int
    email: str
    full_name: str
    external_id: str | None


# --- Who may see what ----------------------------------------------------------------------

def managed_institution_id(user) -> int | None:
    """The institution a manager acts for, or None (admins act for all)."""
    return db.session.scalar(select(InstitutionManager.institution_id)
                             .where(InstitutionManager.user_id == user.id))


def cohort_for(user, cohort_id: int) -> Cohort:
    """The cohort, if `user` may act on it: an admin, or a manager of its institution."""
    statement = select(Cohort).where(Cohort.id == cohort_id)
    if not user.has_role(Role.ADMIN):
        statement = statement.where(Cohort.institution_id == select(
            InstitutionManager.institution_id).where(
            InstitutionManager.user_id == user.id).scalar_subquery())
    cohort = db.session.scalar(statement)
    if cohort is None:
        raise NotFound(_("There is no such cohort."))
    return cohort


def cohorts_of(user, institution_id: int | None = None) -> list[CohortSummary]:
    """The cohorts a user may manage (one institution's, or all for admins), with sizes."""
    members = (select(CohortMember.cohort_id, func.count().label("n"))
               .join(User, User.id == CohortMember.user_id).where(invitations.is_learner())
               .group_by(CohortMember.cohort_id).subquery())
    courses = (select(CohortCourse.cohort_id, func.count().label("n"))
               .group_by(CohortCourse.cohort_id).subquery())
    statement = (
        select(Cohort, Institution.name, func.coalesce(members.c.n, 0),
               func.coalesce(courses.c.n, 0))
        .join(Institution, Institution.id == Cohort.institution_id)
        .outerjoin(members, members.c.cohort_id == Cohort.id)
        .outerjoin(courses, courses.c.cohort_id == Cohort.id)
        .order_by(Institution.name, Cohort.name, Cohort.id)
    )
    if not user.has_role(Role.ADMIN):
        institution_id = managed_institution_id(user)
        if institution_id is None:
            return []
    if institution_id is not None:
        statement = statement.where(Cohort.institution_id == institution_id)
    return [CohortSummary(*row) for row in db.session.execute(statement).all()]


# --- Institutions and their managers (admins) ---------------------------------------------

def list_institutions() -> list[tuple[Institution, int]]:
    """Every institution with its number of managers, for the admin page."""
    managers = (select(InstitutionManager.institution_id, func.count().label("n"))
                .group_by(InstitutionManager.institution_id).subquery())
    return [tuple(row) for row in db.session.execute(
        select(Institution, func.coalesce(managers.c.n, 0))
        .outerjoin(managers, managers.c.institution_id == Institution.id)
        .order_by(Institution.name)).all()]


def get_institution(institution_id: int) -> Institution:
    """The institution with this id, or NotFound."""
    institution = db.session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(_("There is no such institution."))
    return institution


def create_institution(name: str, description: str = "") -> Institution:
    """Register a ministry, university or school; names are unique to avoid mix-ups."""
    institution = Institution(name=" ".join(name.split()), description=description.strip())
    db.session.add(institution)
    try:
        db.session.flush()
        record("institution.created", target=("institution", institution.id),
               institution_id=institution.id, after={"name": institution.name})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CohortError(_("An institution with this name already exists.")) from None
    return institution


def managers_of(institution_id: int) -> list[User]:
    """Who manages an institution, for its admin page."""
    return list(db.session.scalars(
        select(User).join(InstitutionManager, InstitutionManager.user_id == User.id)
        .where(InstitutionManager.institution_id == institution_id).order_by(User.email)))


def make_manager(institution_id: int, email: str) -> User:
    """Let an existing account manage one institution (moving it from another if needed)."""
    get_institution(institution_id)
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise CohortError(_("There is no account with this email address. Ask the person to "
                            "create one first."))
    link = db.session.get(InstitutionManager, user.id)
    before = {"role": user.role, "institution_id": link.institution_id if link else None}
    if link is None:
        db.session.add(InstitutionManager(user_id=user.id, institution_id=institution_id))
    else:
        link.institution_id = institution_id
    if user.role != Role.ADMIN:  # an admin keeps every right they had
        user.role = Role.MANAGER.value
    after = {"role": user.role, "institution_id": institution_id}
    if after != before:
        record("institution.manager_added", target=("user", user.id),
               institution_id=institution_id, before=before, after=after)
        if before["institution_id"] not in (None, institution_id):
            record("institution.manager_removed", target=("user", user.id),
                   institution_id=before["institution_id"], before=before, after=after)
    db.session.commit()
    return user


def remove_manager(institution_id: int, user_id: int) -> None:
    """Stop someone managing an institution; a manager becomes a learner again."""
    link = db.session.get(InstitutionManager, user_id)
    if link is None or link.institution_id != institution_id:
        raise NotFound(_("This person does not manage this institution."))
    db.session.delete(link)
    role = db.session.scalar(select(User.role).where(User.id == user_id))
    db.session.execute(update(User).where(User.id == user_id, User.role == Role.MANAGER.value)
                       .values(role=Role.LEARNER.value))
    record("institution.manager_removed", target=("user", user_id),
           institution_id=institution_id, before={"role": role, "institution_id": institution_id},
           after={"role": Role.LEARNER.value if role == Role.MANAGER else role,
                  "institution_id": None})
    db.session.commit()


# --- Cohorts, courses and members ----------------------------------------------------------

def create_cohort(institution_id: int, name: str, description: str, created_by: int) -> Cohort:
    """Start a new group of learners in an institution."""
    cohort = Cohort(institution_id=institution_id, name=" ".join(name.split()),
                    description=description.strip(), created_by=created_by)
    db.session.add(cohort)
    db.session.flush()
    record("cohort.created", target=("cohort", cohort.id), institution_id=institution_id,
           after={"name": cohort.name})
    db.session.commit()
    return cohort


def update_cohort(cohort: Cohort, *, name: str | None = None,
                  description: str | None = None) -> Cohort:
    """Rename a cohort or change its description."""
    before = {"name": cohort.name, "description": cohort.description}
    if name is not None:
        name = " ".join(name.split())
        if not name:
            raise CohortError(_("Give the cohort a name."))
        cohort.name = name[:200]
    if description is not None:
        cohort.description = description.strip()
    after = {"name": cohort.name, "description": cohort.description}
    changed = [key for key in before if before[key] != after[key]]
    if changed:
        record("cohort.updated", target=("cohort", cohort.id),
               institution_id=cohort.institution_id,
               before={key: before[key] for key in changed},
               after={key: after[key] for key in changed})
    db.session.commit()
    return cohort


def archive_cohort(cohort: Cohort) -> Cohort:
    """Archive a cohort: its members, courses and reports stay, listed apart. Once only."""
    archived = db.session.execute(update(Cohort).where(
        Cohort.id == cohort.id, Cohort.archived_at.is_(None))
        .values(archived_at=utcnow())).rowcount
    if archived != 1:
        db.session.rollback()
        raise CohortError(_("This cohort is already archived."))
    record("cohort.archived", target=("cohort", cohort.id),
           institution_id=cohort.institution_id, before={"archived": False},
           after={"archived": True})
    db.session.commit()
    db.session.refresh(cohort)
    return cohort


def assignable_courses() -> list[Course]:
    """Live, published courses, invitation-only ones included: cohorts are how those fill."""
    return catalog.list_courses()


def cohort_courses(cohort_id: int) -> list[tuple[Course, date | None]]:
    """The courses assigned to a cohort, with their due dates."""
    rows = db.session.execute(
        select(Course, CohortCourse.due_on)
        .join(CohortCourse, CohortCourse.course_id == Course.id)
        .where(CohortCourse.cohort_id == cohort_id)
        .options(selectinload(Course.texts)).order_by(Course.slug)).all()
    return [(course, due_on) for course, due_on in rows]


def assign_course(cohort: Cohort, course_id: int, due_on: date | None) -> tuple[Course, bool]:
    """Assign a course (or change its due date): every member is enrolled in bulk and given
    the due date. Returns the course and whether it was newly assigned."""
    course = db.session.get(Course, course_id)
    if course is None or course.is_retired or course.is_draft:
        raise CohortError(_("This course cannot be assigned: it is not published."))
    link = db.session.get(CohortCourse, (cohort.id, course_id))
    new = link is None
    if new:
        db.session.add(CohortCourse(cohort_id=cohort.id, course_id=course_id, due_on=due_on))
        record("cohort.course_assigned", target=("cohort", cohort.id),
               institution_id=cohort.institution_id,
               after={"course": course.slug, "due_on": _day(due_on)})
    else:
        if link.due_on != due_on:
            record("cohort.due_date_changed", target=("cohort", cohort.id),
                   institution_id=cohort.institution_id,
                   before={"course": course.slug, "due_on": _day(link.due_on)},
                   after={"course": course.slug, "due_on": _day(due_on)})
        link.due_on = due_on
    members = [row[0] for row in db.session.execute(
        select(CohortMember.user_id).where(CohortMember.cohort_id == cohort.id)).all()]
    if new:
        membership.enrol_members(members, {course_id: due_on})
    else:
        for chunk in membership.chunks(members):
            learning.set_due_dates(course_id, chunk, due_on)
    db.session.commit()
    return course, new


def unassign_course(cohort: Cohort, course_id: int) -> None:
    """Stop assigning a course; learners stay enrolled and keep their progress."""
    removed = db.session.execute(delete(CohortCourse).where(
        CohortCourse.cohort_id == cohort.id, CohortCourse.course_id == course_id)
        .returning(CohortCourse.due_on)).all()
    if not removed:
        db.session.rollback()
        raise NotFound(_("This course is not assigned to the cohort."))
    slug = db.session.scalar(select(Course.slug).where(Course.id == course_id))
    record("cohort.course_unassigned", target=("cohort", cohort.id),
           institution_id=cohort.institution_id,
           before={"course": slug, "due_on": _day(removed[0].due_on)})
    db.session.commit()


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def members_page(cohort_id: int, query: str = "", page: int = 1
                 ) -> tuple[list[MemberEntry], int]:
    """One page of a cohort's learners matching `query`, and how many match (those it still
    waits for are on the invited list instead)."""
    condition = (CohortMember.cohort_id == cohort_id) & invitations.is_learner()
    condition = condition & matches_all(User.search_key, query_words(query))
    base = select(User.id, User.email, User.full_name, CohortMember.external_id).join(
        CohortMember, CohortMember.user_id == User.id).where(condition)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = db.session.execute(base.order_by(User.email).limit(MEMBERS_PAGE_SIZE)
                              .offset((max(page, 1) - 1) * MEMBERS_PAGE_SIZE)).all()
    return [MemberEntry(*row) for row in rows], total


def add_member(cohort: Cohort, *, email: str, full_name: str = "", language: str = "",
               external_id: str = "", default_language: str = "en") -> str:
    """Add one person by the institution's rules (`invitations.add_people`). Returns
    'invite' alike for a new address and an account outside the institution, so the answer
    never tells whether an address has an account; else 'enrol' (a member of the
    institution), 'reminded' or 'invited' (invited before) or 'member' (nothing to do)."""
    own_name = invitations.member_name(cohort.institution_id, normalise_email(email))
    person, problems = check_person(None, email, full_name or own_name or "", language,
                                    external_id, current_app.config["LANGUAGES"])
    if problems:
        if problems[0].code == "missing_name":
            raise CohortError(_("Enter the person's full name: they are invited with this "
                                "name."))
        raise CohortError(problems[0].message)
    outcome = invitations.add_people(cohort, [person], default_language=default_language)
    _record_addition(cohort, person.email, outcome)
    db.session.commit()
    if outcome.invited:
        return "invite"
    if outcome.already_invited:
        return "reminded" if outcome.reminded else "invited"
    return "enrol" if outcome.enrolled else "member"


def _record_addition(cohort: Cohort, email: str, outcome: invitations.Outcome) -> None:
    """An enrolment names the member; an invitation only itself, as the manager sees it, so
    the log never tells a manager whether an invited address had an account elsewhere."""
    if not (outcome.invited or outcome.enrolled):
        return
    user_id = db.session.scalar(select(User.id).where(User.email == email))
    if outcome.enrolled:
        after = {"user_id": user_id, "outcome": "enrolled"}
    else:
        after = {"invitation_id": db.session.scalar(select(CohortInvitation.id).where(
            CohortInvitation.cohort_id == cohort.id, CohortInvitation.user_id == user_id)),
            "outcome": "invited"}
    record("cohort.member_added", target=("cohort", cohort.id),
           institution_id=cohort.institution_id, after=after)


def remove_member(cohort: Cohort, user_id: int) -> None:
    """Take a learner out of the cohort; their enrolments and progress are left untouched."""
    removed = db.session.execute(delete(CohortMember).where(
        CohortMember.cohort_id == cohort.id, CohortMember.user_id == user_id)).rowcount
    if not removed:
        db.session.rollback()
        raise NotFound(_("This person is not in the cohort."))
    record("cohort.member_removed", target=("cohort", cohort.id),
           institution_id=cohort.institution_id, before={"user_id": user_id})
    # The record of how an account the institution created was invited, answered long ago:
    # left behind, it would list the person as invited again.
    db.session.execute(delete(CohortInvitation).where(
        CohortInvitation.cohort_id == cohort.id, CohortInvitation.user_id == user_id))
    db.session.commit()


@dataclass(frozen=True)
class Memberships:
    """Where an account belongs (the administrators' account page)."""

    #: Institution names, with whether the account manages it.
    institutions: list[tuple[str, bool]]
    #: (cohort name, institution name).
    cohorts: list[tuple[str, str]]


def memberships_of(user_id: int) -> Memberships:
    """The institutions an account belongs to or manages, and its cohorts."""
    managed = set(db.session.scalars(select(InstitutionManager.institution_id)
                                     .where(InstitutionManager.user_id == user_id)))
    member = set(db.session.scalars(select(InstitutionMember.institution_id)
                                    .where(InstitutionMember.user_id == user_id)))
    names = dict(db.session.execute(select(Institution.id, Institution.name)
                                    .where(Institution.id.in_(managed | member))).all())
    cohorts = db.session.execute(
        select(Cohort.name, Institution.name)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .join(Institution, Institution.id == Cohort.institution_id)
        .where(CohortMember.user_id == user_id).order_by(Institution.name, Cohort.name)).all()
    return Memberships(
        institutions=sorted((names[i], i in managed) for i in names),
        cohorts=[tuple(row) for row in cohorts])
