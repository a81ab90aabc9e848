"""A learner with a history worth exporting or erasing, built through the real routes."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from ecampus.auth.models import SignupRequest
from ecampus.catalog.models import Course, Module
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.institutions import imports
from ecampus.institutions import services as institutions
from ecampus.institutions.models import CohortInvitation, CohortMember, InstitutionMember
from ecampus.quizzes.models import Attempt
from ecampus.timeutil import utcnow
from tests.helpers import course_md, lesson, publish, write_course
from tests.quizzes.conftest import QUIZ, correct_form, wrong_form

#: A name and address found nowhere else, so a search for them finds only this person.
NAME = "Zoë Quillfeather-Ångström"
EMAIL = "zoe.quillfeather@example.org"


def take_quiz(app, client, module_id: int, *, correct: bool) -> int:
    """Start an attempt at the quiz and submit it, right or wrong; returns its id."""
    started = client.submit(f"/quizzes/{module_id}/start", {"language": "en"})
    assert started.status_code == 302, started.status_code
    attempt_id = int(re.search(r"/attempts/(\d+)", started.headers["Location"]).group(1))
    with app.app_context():
        questions = db.session.get(Attempt, attempt_id).questions
    form = correct_form(questions)
    if not correct:  # every question answered, the choice and typed ones wrongly
        form.update(wrong_form(questions))
    answered = client.submit(f"/quizzes/attempts/{attempt_id}", {**form, "action": "submit"})
    assert answered.status_code in (302, 303), answered.get_data(as_text=True)[:2000]
    return attempt_id


@pytest.fixture
def history(app, make_user, tmp_path, monkeypatch):
    """The learner (NAME, EMAIL, French) enrolled in a certified course with a lesson done,
    a failed and a passed quiz attempt and the certificate; a second learner who took the
    quiz too; both in a cohort of an institution."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    app.extensions.pop("ecampus.recorded_keys", None)
    write_course(tmp_path / "courses", "privacy-course", {
        "course.md": course_md("Privacy at work", "Handling personal data.",
                               certificate="true"),
        "01-reading.md": lesson("Reading", "Read this."),
        "02-check.md": QUIZ.format(settings=""),
    })
    publish(app, tmp_path / "courses")
    person = make_user("learner", email=EMAIL, name=NAME, language="fr")
    other = make_user("learner")
    manager = make_user("manager")
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "privacy-course"))
        module_id = db.session.scalar(select(Module.id).where(Module.course_id == course_id,
                                                             Module.kind == "quiz"))
    clients = {}
    attempts = {}
    for who, correct_runs in ((person, (False, True)), (other, (True,))):
        client = app.test_client()
        client.sign_in(who.email)
        client.submit("/learning/courses/privacy-course/enrol")
        client.submit("/learning/courses/privacy-course/reading/done")
        attempts[who.id] = [take_quiz(app, client, module_id, correct=c) for c in correct_runs]
        clients[who.id] = client
    with app.app_context():
        code = db.session.scalar(select(Certificate.code).where(
            Certificate.user_id == person.id))
        assert code, "the learner's certificate was not issued"
        institution = institutions.create_institution("Ministry of Privacy", "")
        institutions.make_manager(institution.id, manager.email)
        cohort = institutions.create_cohort(institution.id, "Autumn intake", "", manager.id)
        institutions.assign_course(cohort, course_id, None)
        for who in (person, other):
            db.session.add(CohortMember(cohort_id=cohort.id, user_id=who.id,
                                        external_id=f"STAFF-{who.id}"))
            db.session.add(InstitutionMember(institution_id=institution.id, user_id=who.id))
        db.session.commit()
        cohort_id, institution_id = cohort.id, institution.id
    yield SimpleNamespace(person=person, other=other, manager=manager, course_id=course_id,
                          module_id=module_id, cohort_id=cohort_id, certificate_code=code,
                          institution_id=institution_id, attempts=attempts,
                          client=clients[person.id], other_client=clients[other.id])
    app.extensions.pop("ecampus.recorded_keys", None)


@pytest.fixture
def traces(app, history, outbox):
    """Everything else that can name the learner: a CSV import preview and an invitation
    naming them, a sign-up request with their address, sent and queued mail to them and
    about them, a password-reset link, and a prepared archive of their data."""
    person = history.person
    with app.app_context():
        cohort = institutions.cohort_for(_manager(history), history.cohort_id)
        imports.preview_import(
            cohort, f"email,full_name,external_id\n{EMAIL.upper()},{NAME},STAFF-9\n".encode(),
            filename="people.csv", created_by=history.manager.id, default_language="en")
        other_cohort = institutions.create_cohort(history.institution_id, "Winter intake", "",
                                                  history.manager.id)
        db.session.add(CohortInvitation(
            cohort_id=other_cohort.id, user_id=person.id, full_name=NAME,
            token_hash=hashlib.sha256(b"invitation").hexdigest(),
            expires_at=utcnow() + timedelta(days=3)))
        db.session.add(SignupRequest(
            email=EMAIL, full_name=NAME, password_hash="x", token_hash="y" * 64,
            expires_at=utcnow() + timedelta(hours=1)))
        db.session.commit()
        _api_traces(history)
    history.client.submit("/account/data")
    anonymous = app.test_client()
    anonymous.submit("/account/reset", {"email": EMAIL})
    list(outbox.glob("*.eml"))  # the worker sends the mail and builds the archive
    from ecampus.mail import queue_mail
    with app.app_context():
        queue_mail(history.manager.email, f"{NAME} finished a course",
                   f"{NAME} <{EMAIL}> completed Privacy at work.")
        db.session.commit()
    return history


def _api_traces(history) -> None:
    """The person's own API token, and a manager's stored API answer that lists them."""
    tables = db.metadata.tables
    if "api_idempotent_requests" not in tables:
        return
    tokens = tables["api_tokens"]
    for owner, secret, name in ((history.person.id, "a", f"{NAME} laptop"),
                                (history.manager.id, "b", "HR system")):
        db.session.execute(tokens.insert().values(
            kind="personal", user_id=owner, name=name, prefix=secret,
            secret_hash=secret * 64, scopes="read"))
    token_id = db.session.scalar(select(tokens.c.id).where(
        tokens.c.user_id == history.manager.id))
    db.session.execute(tables["api_idempotent_requests"].insert().values(
        token_id=token_id, key="add-zoe", fingerprint="f" * 64, status=201,
        body={"members": [{"email": EMAIL, "full_name": NAME}]}, headers={}))
    db.session.commit()


def _manager(history):
    from ecampus.auth.models import User

    return db.session.get(User, history.manager.id)
