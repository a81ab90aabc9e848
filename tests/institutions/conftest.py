"""Institutions, managers, cohorts and courses built through the real services."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update
from werkzeug.security import generate_password_hash

from ecampus.auth.models import User
from ecampus.auth.services import INVITE, revoke_tokens
from ecampus.catalog.models import Course, Module
from ecampus.extensions import db
from ecampus.institutions import services
from ecampus.institutions.models import (
    CohortImport,
    CohortInvitation,
    CohortMember,
    InstitutionMember,
)
from ecampus.learning.models import Enrolment
from ecampus.quizzes.models import Attempt
from ecampus.timeutil import utcnow
from tests.helpers import course_md, lesson, publish, simple_course, write_course
from tests.quizzes.conftest import correct_form, write_quiz_course, wrong_form

HEADER = "email,full_name,language,external_id\n"


@pytest.fixture
def courses(app, tmp_path):
    """An open course of three lessons and an invitation-only course of one; {slug: id}."""
    simple_course(tmp_path, "migration-basics", modules=3, title="Migration basics")
    write_course(tmp_path, "invite-only", {
        "course.md": course_md("Cohort course", "For cohorts.", enrolment="invite"),
        "01-a.md": lesson("A"),
    })
    publish(app, tmp_path)
    with app.app_context():
        return dict(db.session.execute(select(Course.slug, Course.id)).all())


@pytest.fixture
def make_institution(app, make_user):
    """Factory: an institution with one manager; returns plain records of both."""
    def factory(name: str = "Ministry of the Interior"):
        manager = make_user("learner")
        with app.app_context():
            institution = services.create_institution(name, "Border and migration staff.")
            services.make_manager(institution.id, manager.email)
            return SimpleNamespace(id=institution.id, name=institution.name,
                                   manager=manager)

    return factory


@pytest.fixture
def institution(make_institution):
    """The Ministry of the Interior, with its manager."""
    return make_institution()


@pytest.fixture
def make_cohort(app):
    """Factory: a cohort in an institution, optionally with courses assigned; returns its id.

    `dues` maps course ids to due dates, for courses due on different days.
    """
    def factory(institution, name: str = "Spring intake", course_ids=(), due_on=None,
                dues: dict | None = None) -> int:
        with app.app_context():
            cohort = services.create_cohort(institution.id, name, "", institution.manager.id)
            for course_id, due in {**dict.fromkeys(course_ids, due_on), **(dues or {})}.items():
                services.assign_course(cohort, course_id, due)
            return cohort.id

    return factory


@pytest.fixture
def cohort(institution, make_cohort) -> int:
    """An empty cohort of the institution, no course assigned; its id."""
    return make_cohort(institution)


@pytest.fixture
def make_member(app, make_user, institution):
    """Factory: an account that belongs to an institution (the Ministry by default), as if it
    had accepted an invitation, so that institution's managers add it to cohorts directly."""
    def factory(*, of=None, name: str | None = None, email: str | None = None,
                language: str = "en"):
        user = make_user("learner", name=name, email=email, language=language)
        with app.app_context():
            db.session.add(InstitutionMember(institution_id=(of or institution).id,
                                             user_id=user.id))
            db.session.commit()
        return user

    return factory


@pytest.fixture
def manager_client(client, institution):
    """A test client signed in as the institution's manager."""
    client.sign_in(institution.manager.email)
    return client


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(row + "\n" for row in rows)).encode(encoding)


def upload(client, cohort_id: int, data: bytes, encoding: str = "auto",
           filename: str = "people.csv"):
    """POST a file to the import page the way a browser's form does."""
    return client.submit(f"/institutions/cohorts/{cohort_id}/import", {
        "file": (io.BytesIO(data), filename), "encoding": encoding,
    }, content_type="multipart/form-data")


def preview_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    location = response.headers["Location"]
    assert re.search(r"/imports/\d+$", location), location
    return location


def import_and_confirm(client, cohort_id: int, data: bytes):
    """Upload, check the preview has no error, confirm; returns the confirmation response."""
    url = preview_url(upload(client, cohort_id, data))
    page = client.get(url).get_data(as_text=True)
    assert "nothing can be applied" not in page, page
    return confirm(client, url)


def confirm(client, preview: str, data: dict | None = None, **kwargs):
    """POST the confirmation and close the response, as a server does once it is sent; the
    mail it queued is sent by the worker (the `outbox` fixture runs it)."""
    response = client.submit(preview + "/confirm", data, **kwargs)
    response.close()
    return response


def counts(app, cohort_id: int | None = None) -> SimpleNamespace:
    """How many accounts, members, enrolments and applied imports exist right now."""
    with app.app_context():
        members = select(func.count()).select_from(CohortMember)
        if cohort_id is not None:
            members = members.where(CohortMember.cohort_id == cohort_id)
        return SimpleNamespace(
            users=db.session.scalar(select(func.count()).select_from(User)),
            members=db.session.scalar(members),
            enrolments=db.session.scalar(select(func.count()).select_from(Enrolment)),
            applied=db.session.scalar(select(func.count()).select_from(CohortImport).where(
                CohortImport.applied_at.is_not(None))),
        )


def choose_passwords(app, cohort_id: int) -> None:
    """Every account the cohort still waits for chooses its password, in bulk, as following
    its invitation link does: from then on the manager sees them as learners."""
    with app.app_context():
        waiting = list(db.session.scalars(
            select(CohortInvitation.user_id).join(User, User.id == CohortInvitation.user_id)
            .join(CohortMember, (CohortMember.cohort_id == CohortInvitation.cohort_id)
                  & (CohortMember.user_id == CohortInvitation.user_id))
            .where(CohortInvitation.cohort_id == cohort_id, User.password_hash.is_(None))))
        db.session.execute(update(User).where(User.id.in_(waiting)).values(
            password_hash=generate_password_hash("a long password!", "pbkdf2:sha256:1000")))
        revoke_tokens(waiting, INVITE)
        db.session.commit()


def import_and_accept(client, app, cohort_id: int, data: bytes):
    """`import_and_confirm`, then the new accounts accept (`choose_passwords`)."""
    response = import_and_confirm(client, cohort_id, data)
    choose_passwords(app, cohort_id)
    return response


def learner_client(app, email: str):
    tab = app.test_client()
    tab.sign_in(email)
    return tab


def take_quiz(app, tab, form_for) -> None:
    with app.app_context():
        module_id = db.session.scalar(select(Module.id).where(Module.slug == "check"))
    response = tab.submit(f"/quizzes/{module_id}/start")
    attempt_id = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        questions = db.session.get(Attempt, attempt_id).questions
    tab.submit(f"/quizzes/attempts/{attempt_id}",
               {**form_for(questions), "action": "submit-anyway"})


@pytest.fixture
def reported(app, tmp_path, manager_client, institution, make_cohort, make_member):
    """A cohort of three: Ana finished both courses, Bruno started and failed the quiz,
    Carla has not started; Migration basics was due yesterday."""
    simple_course(tmp_path, "migration-basics", modules=3, title="Migration basics")
    write_quiz_course(tmp_path)
    publish(app, tmp_path)
    with app.app_context():
        ids = dict(db.session.execute(select(Course.slug, Course.id)).all())
    yesterday = utcnow().date() - timedelta(days=1)
    cohort = make_cohort(institution, dues={ids["migration-basics"]: yesterday,
                                            ids["quiz-course"]: yesterday + timedelta(days=400)})
    people = {name: make_member(name=name, email=f"{name.lower()}@example.org")
              for name in ("Ana", "Bruno", "Carla")}
    import_and_confirm(manager_client, cohort, csv_bytes(
        *[f"{p.email},{p.full_name},,EMP-{n}" for n, p in enumerate(people.values())]))
    ana = learner_client(app, people["Ana"].email)
    for n in (1, 2, 3):
        ana.submit(f"/learning/courses/migration-basics/lesson-{n}/done")
    ana.submit("/learning/courses/quiz-course/reading/done")
    take_quiz(app, ana, correct_form)
    bruno = learner_client(app, people["Bruno"].email)
    bruno.submit("/learning/courses/migration-basics/lesson-1/done")
    take_quiz(app, bruno, wrong_form)
    return cohort, ids, people
