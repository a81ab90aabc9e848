"""A learner who finishes a course is complete exactly once and gets exactly one certificate,
whatever the concurrency, a republish, or a failing certificate step.

Every test drives the real routes of a live server over HTTP from real threads (the test
client is not concurrent), started together by a barrier, on the file SQLite database (WAL)
or on PostgreSQL when DATABASE_URL names it.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

import pytest
from sqlalchemy import func, select

from ecampus.catalog.models import Course, Module
from ecampus.certificates import services as certificates
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.jobs.models import Job
from ecampus.jobs.worker import run_pending_jobs
from ecampus.learning.models import Enrolment
from tests.helpers import course_md, lesson, publish, write_course
from tests.live import Browser, run_together

SLUG = "finishing-course"
_QUIZ_FIELD = re.compile(r'<input[^>]*name="(q-[^"]+)"')
QUIZ = """\
---
title: Check
kind: quiz
---
Answer.

## Name the principle that forbids returning a refugee to persecution. {#principle}

= non-refoulement
"""


def certified_course(root, lessons: int = 2, *, quiz: bool = False) -> None:
    files = {"course.md": course_md("Finishing course", "Finish it.", certificate="true")}
    for n in range(1, lessons + 1):
        files[f"{n:02d}-lesson-{n}.md"] = lesson(f"Lesson {n}")
    if quiz:
        files[f"{lessons + 1:02d}-check.md"] = QUIZ
    write_course(root, SLUG, files)


def enrolled(live_server, make_user) -> tuple[Browser, object]:
    user = make_user()
    browser = Browser(live_server)
    browser.sign_in(user.email)
    status, _location, _page = browser.submit(f"/learning/courses/{SLUG}/enrol")
    assert status == 302
    return browser, user


def done(browser: Browser, module: str):
    """Mark a lesson done; returns the response status."""
    return lambda: browser.submit(f"/learning/courses/{SLUG}/{module}/done")[0]


def state(app, user_id: int) -> tuple[bool, int]:
    """(complete?, number of certificates) of a learner in the course."""
    with app.app_context():
        completed_at = db.session.scalar(
            select(Enrolment.completed_at).join(Course).where(Enrolment.user_id == user_id,
                                                              Course.slug == SLUG))
        count = db.session.scalar(select(func.count()).select_from(Certificate).where(
            Certificate.user_id == user_id))
        db.session.remove()
    return completed_at is not None, count


def queued_jobs(app, kind: str) -> list[dict]:
    with app.app_context():
        payloads = list(db.session.scalars(select(Job.payload).where(Job.kind == kind,
                                                                     Job.status == "queued")))
        db.session.remove()
    return payloads


@pytest.fixture
def handler_calls(app, monkeypatch):
    """Counts the course completion handler's runs, per learner, in the live server too."""
    calls: list[int] = []
    wiring = app.extensions["ecampus.features"]

    def counting(*, user_id, course_id):
        calls.append(user_id)
        certificates.issue_on_completion(user_id=user_id, course_id=course_id)

    monkeypatch.setitem(app.extensions, "ecampus.features", dataclasses.replace(
        wiring, course_completion_handlers=[counting]))
    return calls


@pytest.mark.parametrize("learners", [32])
def test_simultaneous_finishers_each_get_one_certificate(app, live_server, make_user,
                                                         tmp_path, learners):
    certified_course(tmp_path)
    publish(app, tmp_path)
    browsers = []
    for _ in range(learners):
        browser, user = enrolled(live_server, make_user)
        assert browser.submit(f"/learning/courses/{SLUG}/lesson-1/done")[0] == 302
        browsers.append((browser, user))

    statuses = run_together(*(done(browser, "lesson-2") for browser, _user in browsers))

    assert statuses == [302] * learners
    with app.app_context():
        rows = db.session.execute(select(Certificate.user_id, Certificate.status_index,
                                         Certificate.code)).all()
    assert sorted(r.user_id for r in rows) == sorted(user.id for _b, user in browsers)
    assert len({r.status_index for r in rows}) == learners
    assert len({r.code for r in rows}) == learners
    assert all(state(app, user.id) == (True, 1) for _b, user in browsers)


def test_last_two_lessons_at_once_complete_the_course_once(app, live_server, make_user,
                                                           tmp_path, handler_calls):
    certified_course(tmp_path, lessons=3)
    publish(app, tmp_path)
    for _round in range(10):
        browser, user = enrolled(live_server, make_user)
        assert browser.submit(f"/learning/courses/{SLUG}/lesson-1/done")[0] == 302

        statuses = run_together(done(browser, "lesson-2"), done(browser, "lesson-3"))

        assert statuses == [302, 302]
        assert state(app, user.id) == (True, 1)
        assert handler_calls.count(user.id) == 1


def test_quiz_pass_and_last_lesson_at_once_complete_the_course_once(
        app, live_server, make_user, tmp_path, handler_calls):
    certified_course(tmp_path, lessons=2, quiz=True)
    publish(app, tmp_path)
    with app.app_context():
        quiz_id = db.session.scalar(select(Module.id).where(Module.kind == "quiz"))
    for _round in range(10):
        browser, user = enrolled(live_server, make_user)
        assert browser.submit(f"/learning/courses/{SLUG}/lesson-1/done")[0] == 302
        status, location, _page = browser.submit(f"/quizzes/{quiz_id}/start")
        assert status == 302
        attempt_path = urllib.parse.urlsplit(location).path
        field = _QUIZ_FIELD.search(browser.get(attempt_path)[2]).group(1)

        def pass_quiz(browser=browser, attempt_path=attempt_path, field=field):
            return browser.submit(attempt_path, {"action": "submit", field: "non-refoulement"})[0]

        quiz_status, lesson_status = run_together(pass_quiz, done(browser, "lesson-2"))

        assert quiz_status in (302, 303) and lesson_status == 302
        assert state(app, user.id) == (True, 1)
        assert handler_calls.count(user.id) == 1


def test_republish_removing_the_last_missing_module_completes_with_a_certificate(
        app, live_server, make_user, tmp_path):
    certified_course(tmp_path, lessons=3)
    publish(app, tmp_path)
    browser, user = enrolled(live_server, make_user)
    for module in ("lesson-1", "lesson-2"):
        assert browser.submit(f"/learning/courses/{SLUG}/{module}/done")[0] == 302
    other, beginner = enrolled(live_server, make_user)
    assert state(app, user.id) == (False, 0)

    (tmp_path / SLUG / "03-lesson-3.md").unlink()
    publish(app, tmp_path)
    assert len(queued_jobs(app, "learning.recompute")) == 1
    with app.app_context():
        run_pending_jobs()

    assert state(app, user.id) == (True, 1)
    assert state(app, beginner.id) == (False, 0)  # enrolled, nothing done: not complete
    assert "Completed on" in browser.get("/learning/")[2]


def test_failing_certificate_keeps_the_completion_and_is_issued_later(
        app, live_server, make_user, tmp_path, monkeypatch):
    certified_course(tmp_path)
    publish(app, tmp_path)
    browser, user = enrolled(live_server, make_user)
    assert browser.submit(f"/learning/courses/{SLUG}/lesson-1/done")[0] == 302

    def broken_signer(*_args, **_kwargs):
        raise RuntimeError("the signing service is down")

    with monkeypatch.context() as patch:
        patch.setattr(certificates.vc, "sign_credential", broken_signer)
        status, location, _page = browser.submit(f"/learning/courses/{SLUG}/lesson-2/done")
        assert status == 302
        status, _location, page = browser.get(urllib.parse.urlsplit(location).path)
        assert status == 200 and "you have completed this course" in page
        assert state(app, user.id) == (True, 0)
        assert queued_jobs(app, "certificates.issue") == [
            {"user_id": user.id, "course_id": queued_course_id(app)}]
        status, _location, page = browser.get("/learning/")
        assert status == 200 and "Your certificate is being prepared" in page
        with app.app_context():  # the job retries while signing still fails
            run_pending_jobs()
        assert state(app, user.id) == (True, 0)

    with app.app_context():
        assert certificates.issue_missing_certificates() == 1
        assert certificates.issue_missing_certificates() == 0
    assert state(app, user.id) == (True, 1)
    assert "Download the PDF" in browser.get("/learning/")[2]


def queued_course_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Course.id).where(Course.slug == SLUG))


def test_queued_certificate_job_issues_it_once(app, live_server, make_user, tmp_path,
                                               monkeypatch):
    certified_course(tmp_path)
    publish(app, tmp_path)
    browser, user = enrolled(live_server, make_user)
    browser.submit(f"/learning/courses/{SLUG}/lesson-1/done")
    with monkeypatch.context() as patch:
        patch.setattr(certificates.vc, "sign_credential", _raise)
        assert browser.submit(f"/learning/courses/{SLUG}/lesson-2/done")[0] == 302
    assert state(app, user.id) == (True, 0)

    with app.app_context():
        assert run_pending_jobs() == 1
        assert certificates.issue_pending(user_id=user.id, course_id=queued_course_id(app))
        assert certificates.issue_missing_certificates() == 0
    assert state(app, user.id) == (True, 1)


def _raise(*_args, **_kwargs):
    raise RuntimeError("signing failed")
