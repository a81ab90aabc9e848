"""Each enrolment keeps its quiz result (`quiz_score`), the value `course_results` gives for
it, in the transaction of every grade; a republish that retires or brings back a quiz and an
account merge set it again; the migration fills it for existing enrolments and `ecampus
doctor` repairs any drift. The cohort report reads it for its mean score and "started"."""

from __future__ import annotations

import importlib
import threading
import time
import urllib.parse

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.orm import Session

from ecampus.catalog.models import Course, Module
from ecampus.extensions import db
from ecampus.jobs.worker import run_pending_jobs
from ecampus.learning import services as learning
from ecampus.learning.models import Enrolment
from ecampus.quizzes import services as quizzes
from tests.helpers import course_md, lesson, publish, write_course
from tests.live import Browser, run_together
from tests.quizzes.conftest import QUIZ, correct_form, wrong_form
from tests.test_completion_concurrency import _QUIZ_FIELD as QUIZ_FIELD
from tests.test_completion_concurrency import QUIZ as SHORT_QUIZ

SLUG = "scored-course"
MIGRATION = importlib.import_module(
    "migrations.versions.20261207_1a0000000011_enrolment_quiz_score")


def scored_course(root, quiz_slugs=("first", "second")):
    files = {"course.md": course_md("Scored course"), "01-reading.md": lesson("Reading")}
    for n, slug in enumerate(quiz_slugs, start=2):
        files[f"{n:02d}-{slug}.md"] = QUIZ.format(settings="")
    write_course(root, SLUG, files)


def take(app, user_id: int, quiz: str, form_for) -> None:
    with app.app_context():
        module = db.session.scalar(select(Module).join(Course).where(
            Course.slug == SLUG, Module.slug == quiz))
        attempt = quizzes.start_attempt(user_id, module, "en")
        quizzes.submit_attempt(user_id, attempt.id, form_for(attempt.questions),
                               confirm_unanswered=True)
        db.session.remove()


def kept_and_computed(app, user_id: int) -> tuple[float | None, float | None]:
    """The enrolment's kept result, and the one `course_results` computes from attempts."""
    with app.app_context():
        course_id, kept = db.session.execute(
            select(Enrolment.course_id, Enrolment.quiz_score).join(Course)
            .where(Enrolment.user_id == user_id, Course.slug == SLUG)).one()
        computed = quizzes.course_results([course_id], [user_id]).get((user_id, course_id))
        db.session.remove()
    return kept, None if computed is None else computed[0]


@pytest.fixture
def enrolled_client(app, client, learner, tmp_path):
    scored_course(tmp_path)
    publish(app, tmp_path)
    client.sign_in(learner.email)
    assert client.submit(f"/learning/courses/{SLUG}/enrol").status_code == 302
    return client


def test_no_result_before_a_graded_attempt(app, enrolled_client, learner):
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "first"))
        quizzes.start_attempt(learner.id, module, "en")  # open, not graded
    assert kept_and_computed(app, learner.id) == (None, None)


def test_each_grade_keeps_the_mean_of_the_best_scores_of_the_live_quizzes(
        app, enrolled_client, learner):
    take(app, learner.id, "first", wrong_form)
    assert kept_and_computed(app, learner.id) == (0.0, 0.0)
    take(app, learner.id, "first", correct_form)
    assert kept_and_computed(app, learner.id) == (50.0, 50.0)  # the second quiz counts 0
    take(app, learner.id, "first", wrong_form)  # a worse retake: the best one counts
    assert kept_and_computed(app, learner.id) == (50.0, 50.0)
    take(app, learner.id, "second", correct_form)
    assert kept_and_computed(app, learner.id) == (100.0, 100.0)


def test_a_republish_retiring_a_quiz_sets_the_result_again_and_loses_nothing(
        app, enrolled_client, learner, tmp_path):
    take(app, learner.id, "first", correct_form)
    take(app, learner.id, "second", wrong_form)
    assert kept_and_computed(app, learner.id) == (50.0, 50.0)
    second = (tmp_path / SLUG / "03-second.md").read_text()
    (tmp_path / SLUG / "03-second.md").unlink()
    publish(app, tmp_path)
    with app.app_context():
        run_pending_jobs()
    assert kept_and_computed(app, learner.id) == (100.0, 100.0)
    (tmp_path / SLUG / "03-second.md").write_text(second)
    publish(app, tmp_path)
    with app.app_context():
        run_pending_jobs()
    assert kept_and_computed(app, learner.id) == (50.0, 50.0)


def test_doctor_finds_and_repairs_a_wrong_result(app, runner, enrolled_client, learner):
    take(app, learner.id, "first", correct_form)
    with app.app_context():
        db.session.execute(update(Enrolment).values(quiz_score=12.5))
        db.session.commit()
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "Enrolments whose quiz result is wrong" in result.output
    assert f"{learner.id} " in result.output and " 12.5 50.0" in result.output
    assert runner.invoke(args=["doctor", "--fix"]).exit_code == 0
    assert kept_and_computed(app, learner.id) == (50.0, 50.0)
    assert "quiz result is wrong" not in runner.invoke(args=["doctor"]).output


def test_the_migration_fills_the_result_from_attempts(app, make_user, enrolled_client, learner):
    other = make_user()
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        learning.enrol(other.id, course)
    take(app, learner.id, "first", correct_form)
    take(app, learner.id, "second", wrong_form)
    with app.app_context():
        db.session.execute(update(Enrolment).values(quiz_score=None))
        db.session.execute(text(MIGRATION.BACKFILL))
        db.session.commit()
        assert quizzes.score_drift() == []
    assert kept_and_computed(app, learner.id) == (50.0, 50.0)
    assert kept_and_computed(app, other.id) == (None, None)


def test_two_quizzes_graded_at_once_both_count(app, live_server, make_user, tmp_path):
    """Two tabs submit the course's two quizzes at the same moment, over HTTP: the kept result
    counts both grades, on SQLite and on PostgreSQL (whose read committed would let the
    second writer compute from a snapshot without the first grade, were the row not locked)."""
    files = {"course.md": course_md("Scored course"), "01-reading.md": lesson("Reading")}
    for n, slug in enumerate(("first", "second"), start=2):
        files[f"{n:02d}-{slug}.md"] = SHORT_QUIZ
    write_course(tmp_path, SLUG, files)
    publish(app, tmp_path)
    with app.app_context():
        quiz_ids = list(db.session.scalars(select(Module.id).where(Module.kind == "quiz")
                                           .join(Course).where(Course.slug == SLUG)))
    for _round in range(6):
        user = make_user()
        browser = Browser(live_server)
        browser.sign_in(user.email)
        assert browser.submit(f"/learning/courses/{SLUG}/enrol")[0] == 302
        submissions = []
        for quiz_id in quiz_ids:
            status, location, _page = browser.submit(f"/quizzes/{quiz_id}/start")
            assert status == 302
            path = urllib.parse.urlsplit(location).path
            field = QUIZ_FIELD.search(browser.get(path)[2]).group(1)
            submissions.append(lambda path=path, field=field, browser=browser: browser.submit(
                path, {"action": "submit", field: "non-refoulement"})[0])

        assert all(status in (302, 303) for status in run_together(*submissions))
        assert kept_and_computed(app, user.id) == (100.0, 100.0)


def test_a_rescore_that_waits_for_a_grade_counts_it(app, enrolled_client, learner):
    """A republish's rescore that starts while a grade holds the enrolment, and so waits for
    it, writes a result that includes that grade."""
    take(app, learner.id, "first", wrong_form)
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "second"))
        course_id = module.course_id
        attempt = quizzes.start_attempt(learner.id, module, "en")
        attempt_id, questions = attempt.id, attempt.questions
        # What a republish left to set again (the rescore finds this row to change).
        db.session.execute(update(Enrolment).values(quiz_score=12.5))
        db.session.commit()
        db.session.remove()
    rescored = []

    def rescore():
        with app.app_context():
            rescored.append(quizzes.rescore(course_id=course_id))
            db.session.commit()

    rescorer = threading.Thread(target=rescore)

    def before_commit(_session):
        if not rescorer.is_alive() and threading.current_thread() is not rescorer:
            rescorer.start()  # the grade holds the enrolment: the rescore waits for it
            time.sleep(0.5)

    event.listen(Session, "before_commit", before_commit)
    try:
        with app.app_context():
            quizzes.submit_attempt(learner.id, attempt_id, correct_form(questions),
                                   confirm_unanswered=True)
        rescorer.join(timeout=30)
    finally:
        event.remove(Session, "before_commit", before_commit)
    assert rescored == [0]  # the grade had already set the result; nothing left to change
    assert kept_and_computed(app, learner.id) == (50.0, 50.0)
