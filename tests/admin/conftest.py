"""Two accounts of one person with learning, results, certificates and memberships, built
through the real services, for the account page and merge tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from ecampus.catalog.models import Course, Module
from ecampus.certificates import services as certificates
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.institutions import services as institutions
from ecampus.institutions.models import CohortMember, InstitutionMember
from ecampus.learning import services as learning
from ecampus.quizzes import services as quizzes
from tests.helpers import course_md, lesson, publish, write_course
from tests.quizzes.conftest import QUIZ


@pytest.fixture
def courses(app, tmp_path):
    """Three certified courses (one finished only by two accounts together) and a quiz."""
    for slug, title in (("certified", "Certified course"), ("halves", "Course in halves")):
        write_course(tmp_path, slug, {
            "course.md": course_md(title, "Earns a certificate.", certificate="true"),
            "01-one.md": lesson("One"), "02-two.md": lesson("Two")})
    write_course(tmp_path, "quizzed", {"course.md": course_md("Quizzed course"),
                                       "01-check.md": QUIZ.format(settings="")})
    write_course(tmp_path, "other", {"course.md": course_md("Other course"),
                                     "01-only.md": lesson("Only")})
    publish(app, tmp_path)
    with app.app_context():
        return dict(db.session.execute(select(Course.slug, Course.id)).all())


def module(slug: str, module_slug: str) -> Module:
    return db.session.scalar(select(Module).join(Course).where(
        Course.slug == slug, Module.slug == module_slug))


def complete(user_id: int, slug: str, *module_slugs: str) -> None:
    """Complete modules as the learner would; the certificate follows the course."""
    for module_slug in module_slugs:
        learning.complete_module(user_id, module(slug, module_slug))


def certificate_of(user_id: int, course_id: int) -> Certificate:
    found = db.session.scalar(select(Certificate).where(
        Certificate.user_id == user_id, Certificate.course_id == course_id))
    return found or certificates.issue_certificate(user_id, course_id)


def rows_of(table, column: str, user_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(table)
                             .where(table.c[column] == user_id))


@pytest.fixture
def pair(app, make_user, courses):
    """Ana's two accounts: both finished "certified" (a certificate each), each did half of
    "halves", both attempted the quiz, both are in the same cohort; only the old account is
    enrolled in "other" and in a second cohort, and it created that cohort."""
    keep = make_user("learner", email="ana@example.org", name="Ana Pérez")
    merged = make_user("author", email="ana.old@example.org", name="Ana Perez")
    manager = make_user("manager")
    with app.app_context():
        course = {slug: db.session.get(Course, id_) for slug, id_ in courses.items()}
        for user in (keep, merged):
            for slug in ("certified", "halves", "quizzed"):
                learning.enrol(user.id, course[slug])
            complete(user.id, "certified", "one", "two")
            certificate_of(user.id, courses["certified"])
            quizzes.start_attempt(user.id, module("quizzed", "check"), "en")
        learning.enrol(merged.id, course["other"])
        complete(keep.id, "halves", "one")
        complete(merged.id, "halves", "two")
        institution = institutions.create_institution("Ministry of Labour", "")
        institutions.make_manager(institution.id, manager.email)
        shared = institutions.create_cohort(institution.id, "Autumn", "", manager.id)
        own = institutions.create_cohort(institution.id, "Winter", "", merged.id)
        for user, cohorts in ((keep, [shared]), (merged, [shared, own])):
            db.session.add(InstitutionMember(institution_id=institution.id, user_id=user.id))
            for cohort in cohorts:
                db.session.add(CohortMember(cohort_id=cohort.id, user_id=user.id))
        db.session.commit()
        return SimpleNamespace(keep=keep, merged=merged, manager=manager, courses=courses,
                               institution_id=institution.id,
                               cohorts={"shared": shared.id, "own": own.id})
