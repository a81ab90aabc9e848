"""Each enrolment keeps its count of completed live required modules, in the transaction of
every change to it: a lesson marked done, a quiz passed, a republish that retires or brings
back a module; the migration fills it for existing enrolments and `ecampus doctor` repairs
any drift. Concurrent completions are checked over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib

import pytest
from sqlalchemy import select, text, update

from ecampus.extensions import db
from ecampus.jobs.worker import run_pending_jobs
from ecampus.learning import services as learning
from ecampus.learning.models import Enrolment
from tests.helpers import course_md, lesson, publish, write_course
from tests.live import Browser, run_together

SLUG = "counted-course"
MIGRATION = importlib.import_module(
    "migrations.versions.20261207_1a000000000e_cohort_reports_in_sql")


def counted_course(root, lessons: int = 4, *, optional: int = 0, certificate: str = "false"):
    files = {"course.md": course_md("Counted course", certificate=certificate)}
    for n in range(1, lessons + 1):
        files[f"{n:02d}-lesson-{n}.md"] = lesson(f"Lesson {n}")
    for n in range(lessons + 1, lessons + optional + 1):
        files[f"{n:02d}-extra-{n}.md"] = lesson(f"Extra {n}", required="false")
    write_course(root, SLUG, files)


def modules_done(app, user_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(Enrolment.modules_done).where(
            Enrolment.user_id == user_id))
        db.session.remove()
    return count


@pytest.fixture
def enrolled_client(app, client, learner, tmp_path):
    counted_course(tmp_path, optional=1)
    publish(app, tmp_path)
    client.sign_in(learner.email)
    assert client.submit(f"/learning/courses/{SLUG}/enrol").status_code == 302
    return client


def test_a_lesson_marked_done_counts_once(app, enrolled_client, learner):
    for _ in range(2):
        enrolled_client.submit(f"/learning/courses/{SLUG}/lesson-1/done")
    assert modules_done(app, learner.id) == 1


def test_an_optional_module_is_not_counted(app, enrolled_client, learner):
    enrolled_client.submit(f"/learning/courses/{SLUG}/extra-5/done")
    enrolled_client.submit(f"/learning/courses/{SLUG}/lesson-2/done")
    assert modules_done(app, learner.id) == 1


def test_republish_recounts_without_losing_what_was_earned(app, enrolled_client, learner,
                                                           tmp_path):
    for n in (1, 2, 3):
        enrolled_client.submit(f"/learning/courses/{SLUG}/lesson-{n}/done")
    removed = (tmp_path / SLUG / "03-lesson-3.md").read_text()
    (tmp_path / SLUG / "03-lesson-3.md").unlink()
    publish(app, tmp_path)
    with app.app_context():
        run_pending_jobs()
    assert modules_done(app, learner.id) == 2
    (tmp_path / SLUG / "03-lesson-3.md").write_text(removed)
    publish(app, tmp_path)
    with app.app_context():
        run_pending_jobs()
    assert modules_done(app, learner.id) == 3


def test_a_passed_quiz_counts(app, client, learner, tmp_path):
    from tests.quizzes.conftest import correct_form, write_quiz_course

    write_quiz_course(tmp_path)
    publish(app, tmp_path)
    client.sign_in(learner.email)
    client.submit("/learning/courses/quiz-course/enrol")
    from tests.institutions.conftest import take_quiz

    take_quiz(app, client, correct_form)
    assert modules_done(app, learner.id) == 1


def test_doctor_finds_and_repairs_a_wrong_count(app, runner, enrolled_client, learner):
    enrolled_client.submit(f"/learning/courses/{SLUG}/lesson-1/done")
    with app.app_context():
        db.session.execute(update(Enrolment).values(modules_done=7))
        db.session.commit()
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "Enrolments whose count of completed modules is wrong" in result.output
    assert f"{learner.id} " in result.output and " 7 1" in result.output
    assert runner.invoke(args=["doctor", "--fix"]).exit_code == 0
    assert modules_done(app, learner.id) == 1
    assert "count of completed modules" not in runner.invoke(args=["doctor"]).output


def test_the_migration_fills_the_count_from_completion_rows(app, enrolled_client, learner):
    for n in (1, 2):
        enrolled_client.submit(f"/learning/courses/{SLUG}/lesson-{n}/done")
    enrolled_client.submit(f"/learning/courses/{SLUG}/extra-5/done")
    with app.app_context():
        db.session.execute(update(Enrolment).values(modules_done=0))
        db.session.execute(text(MIGRATION.BACKFILL))
        db.session.commit()
        assert learning.modules_done_drift() == []
    assert modules_done(app, learner.id) == 2


def test_concurrent_completions_of_one_enrolment_count_each_module(app, live_server,
                                                                    make_user, tmp_path):
    counted_course(tmp_path, lessons=6)
    publish(app, tmp_path)
    for _round in range(3):
        user = make_user()
        browser = Browser(live_server)
        browser.sign_in(user.email)
        assert browser.submit(f"/learning/courses/{SLUG}/enrol")[0] == 302

        statuses = run_together(*(
            lambda n=n, browser=browser: browser.submit(
                f"/learning/courses/{SLUG}/lesson-{n}/done")[0]
            for n in range(1, 7)))

        assert statuses == [302] * 6
        assert modules_done(app, user.id) == 6
        with app.app_context():
            assert learning.modules_done_drift() == []
