"""Enrolment, progress, resume, dashboard, and who may see whose progress."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from ecampus.catalog.models import Course, Module
from ecampus.catalog.services import clear_caches
from ecampus.extensions import db
from ecampus.learning import services
from ecampus.learning.models import Enrolment, ModuleCompletion
from tests.helpers import (
    count_page_queries,
    course_md,
    lesson,
    publish,
    simple_course,
    write_course,
)


@pytest.fixture
def course(app, tmp_path):
    simple_course(tmp_path, "migration-basics", modules=3, title="Migration basics")
    write_course(tmp_path, "invite-only", {
        "course.md": course_md("Cohort course", "For cohorts.", enrolment="invite"),
        "01-a.md": lesson("A"),
    })
    publish(app, tmp_path)
    return tmp_path


def _enrolment(app, email_user, slug="migration-basics"):
    with app.app_context():
        return db.session.scalar(select(Enrolment).join(Course).where(
            Enrolment.user_id == email_user.id, Course.slug == slug))


def test_enrol_with_one_button(app, client, course, learner):
    client.sign_in(learner.email)
    page = client.get("/courses/migration-basics/").get_data(as_text=True)
    assert "Enrol in this course" in page
    response = client.submit("/learning/courses/migration-basics/enrol")
    assert response.status_code == 302
    assert _enrolment(app, learner).active


def test_enrolling_twice_is_harmless(app, client, course, learner):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    client.submit("/learning/courses/migration-basics/enrol")
    with app.app_context():
        assert len(db.session.scalars(select(Enrolment)).all()) == 1


def test_enrol_requires_csrf_token(app, client, course, learner):
    client.sign_in(learner.email)
    assert client.post("/learning/courses/migration-basics/enrol").status_code == 400
    assert _enrolment(app, learner) is None


def test_enrol_requires_sign_in(client, course):
    response = client.submit("/learning/courses/migration-basics/enrol")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_invite_course_explains_institution_enrolment(app, client, course, learner):
    client.sign_in(learner.email)
    page = client.get("/courses/invite-only/").get_data(as_text=True)
    assert "your ministry, university or training school enrols you" in page
    assert "Enrol in this course" not in page
    client.submit("/learning/courses/invite-only/enrol")
    assert _enrolment(app, learner, "invite-only") is None


def test_leave_keeps_history_and_reenrol_restores_it(app, client, course, learner):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    client.submit("/learning/courses/migration-basics/lesson-1/done")
    client.submit("/learning/courses/migration-basics/leave")
    assert not _enrolment(app, learner).active
    assert "You left this course" in client.get("/courses/migration-basics/").get_data(
        as_text=True)
    client.submit("/learning/courses/migration-basics/enrol")
    page = client.get("/courses/migration-basics/").get_data(as_text=True)
    assert "33% (1 of 3 modules)" in page


def test_mark_done_records_progress(app, client, course, learner):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    response = client.submit("/learning/courses/migration-basics/lesson-1/done")
    assert response.headers["Location"] == "/courses/migration-basics/lesson-2/"
    client.submit("/learning/courses/migration-basics/lesson-1/done")  # double submit
    with app.app_context():
        assert len(db.session.scalars(select(ModuleCompletion)).all()) == 1


def test_mark_done_needs_enrolment(app, client, course, learner):
    client.sign_in(learner.email)
    response = client.submit("/learning/courses/migration-basics/lesson-1/done",
                             follow_redirects=True)
    assert "Enrol in the course to record your progress." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(ModuleCompletion)).all() == []


def test_completing_every_required_module_completes_the_course(app, client, course, learner):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    for n in (1, 2, 3):
        response = client.submit(f"/learning/courses/migration-basics/lesson-{n}/done",
                                 follow_redirects=True)
    assert "you have completed this course" in response.get_data(as_text=True)
    assert _enrolment(app, learner).completed_at is not None


def test_completion_handlers_run_once_inside_the_completion(app, course, learner,
                                                             monkeypatch):
    calls = []

    def handler(*, user_id, course_id):
        # Runs before the commit: the completion is already visible to its own transaction.
        enrolment = services.get_enrolment(user_id, course_id)
        calls.append((user_id, course_id, enrolment.completed_at is not None))

    wiring = app.extensions["ecampus.features"]
    monkeypatch.setitem(app.extensions, "ecampus.features",
                        dataclasses.replace(wiring, course_completion_handlers=[handler]))
    with app.app_context():
        course_row = db.session.scalar(select(Course).where(Course.slug == "migration-basics"))
        course_id = course_row.id
        services.enrol(learner.id, course_row)
        modules = db.session.scalars(select(Module).where(
            Module.course_id == course_id).order_by(Module.position)).all()
        for module in modules:
            services.mark_done(learner.id, module)
            services.mark_done(learner.id, module)
    assert calls == [(learner.id, course_id, True)]


def test_optional_modules_do_not_count(app, client, tmp_path, learner):
    write_course(tmp_path, "optional-course", {
        "course.md": course_md(),
        "01-a.md": lesson("A"),
        "02-b.md": lesson("B", required="false"),
    })
    publish(app, tmp_path)
    client.sign_in(learner.email)
    client.submit("/learning/courses/optional-course/enrol")
    client.submit("/learning/courses/optional-course/a/done")
    assert _enrolment(app, learner, "optional-course").completed_at is not None


def test_changed_module_stays_completed_and_retired_ones_stop_counting(
        app, client, course, learner):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    client.submit("/learning/courses/migration-basics/lesson-1/done")
    client.submit("/learning/courses/migration-basics/lesson-3/done")
    folder = course / "migration-basics"
    (folder / "01-lesson-1.md").write_text(lesson("Lesson 1", "A changed text."))
    (folder / "03-lesson-3.md").unlink()
    publish(app, course)
    page = client.get("/courses/migration-basics/").get_data(as_text=True)
    assert "50% (1 of 2 modules)" in page


def test_continue_goes_to_last_visited_unfinished_module(client, course, learner):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    client.get("/courses/migration-basics/lesson-3/")
    response = client.get("/learning/courses/migration-basics/continue")
    assert response.headers["Location"] == "/courses/migration-basics/lesson-3/"


def test_continue_goes_to_first_incomplete_module(client, course, learner):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    client.submit("/learning/courses/migration-basics/lesson-1/done")
    response = client.get("/learning/courses/migration-basics/continue")
    assert response.headers["Location"] == "/courses/migration-basics/lesson-2/"
    page = client.get("/courses/migration-basics/").get_data(as_text=True)
    assert 'href="/courses/migration-basics/lesson-2/">Continue' in page


def test_dashboard_lists_courses_in_progress_and_completed(app, client, tmp_path, learner):
    simple_course(tmp_path, "short-course", modules=1, title="Short course")
    simple_course(tmp_path, "long-course", modules=4, title="Long course")
    publish(app, tmp_path)
    client.sign_in(learner.email)
    for slug in ("short-course", "long-course"):
        client.submit(f"/learning/courses/{slug}/enrol")
    client.submit("/learning/courses/short-course/lesson-1/done")
    client.submit("/learning/courses/long-course/lesson-1/done")
    page = client.get("/learning/").get_data(as_text=True)
    in_progress, completed = page.split("<h2>Completed</h2>")
    assert "Long course" in in_progress and "25% (1 of 4 modules)" in in_progress
    assert 'value="25"' in in_progress
    assert "Short course" in completed and "Completed on" in completed
    assert client.get("/").get_data(as_text=True).count("Long course") >= 1


def test_dashboard_with_every_course_completed_says_so(app, client, tmp_path, learner):
    simple_course(tmp_path, "short-course", modules=1, title="Short course")
    publish(app, tmp_path)
    client.sign_in(learner.email)
    client.submit("/learning/courses/short-course/enrol")
    client.submit("/learning/courses/short-course/lesson-1/done")
    page = client.get("/learning/").get_data(as_text=True)
    assert "You have completed every course you follow." in page
    assert "You are not following any course yet." not in page


def test_dashboard_with_nothing_yet_says_so(client, learner):
    client.sign_in(learner.email)
    page = client.get("/learning/").get_data(as_text=True)
    assert "You are not following any course yet." in page
    assert "You have completed every course" not in page


def test_dashboard_shows_due_date_and_overdue(app, client, course, learner):
    from datetime import date

    with app.app_context():
        course_row = db.session.scalar(select(Course).where(Course.slug == "migration-basics"))
        services.enrol(learner.id, course_row, due_on=date(2020, 1, 31))
    client.sign_in(learner.email)
    page = client.get("/learning/").get_data(as_text=True)
    assert "Due by" in page and "overdue" in page


def test_dashboard_requires_sign_in(client):
    assert client.get("/learning/").status_code == 302


def test_learner_never_sees_another_learners_progress(app, course, make_user):
    alice, bob = make_user(), make_user()
    a = app.test_client()
    a.sign_in(alice.email)
    a.submit("/learning/courses/migration-basics/enrol")
    a.submit("/learning/courses/migration-basics/lesson-1/done")
    b = app.test_client()
    b.sign_in(bob.email)
    assert "Migration basics" not in b.get("/learning/").get_data(as_text=True)
    page = b.get("/courses/migration-basics/").get_data(as_text=True)
    assert "Enrol in this course" in page and "33%" not in page
    assert "done</span>" not in b.get("/courses/migration-basics/lesson-2/").get_data(
        as_text=True)


def _course_of(app, tmp_path, slug, modules, learner_client):
    simple_course(tmp_path / slug, slug, modules=modules)
    publish(app, tmp_path / slug)
    learner_client.submit(f"/learning/courses/{slug}/enrol")
    for n in range(1, modules, 2):
        learner_client.submit(f"/learning/courses/{slug}/lesson-{n}/done")
    learner_client.get(f"/courses/{slug}/lesson-2/")  # remember the visit


def _cold_and_warm(app, client, url: str) -> tuple[int, int]:
    """Queries for `url` with no course drawn yet in this worker, then once drawn."""
    with app.app_context():
        clear_caches()
    return count_page_queries(app, client, url), count_page_queries(app, client, url)


def test_lesson_page_and_dashboard_run_a_fixed_number_of_queries(app, client, tmp_path,
                                                                   learner):
    client.sign_in(learner.email)
    _course_of(app, tmp_path, "small-course", 5, client)
    small_lesson = _cold_and_warm(app, client, "/courses/small-course/lesson-2/")
    small_dashboard = _cold_and_warm(app, client, "/learning/")
    _course_of(app, tmp_path, "large-course", 50, client)
    large_lesson = _cold_and_warm(app, client, "/courses/large-course/lesson-2/")
    for n in range(3):
        simple_course(tmp_path / f"extra-{n}", f"extra-course-{n}", modules=7)
        publish(app, tmp_path / f"extra-{n}")
        client.submit(f"/learning/courses/extra-course-{n}/enrol")
    large_dashboard = _cold_and_warm(app, client, "/learning/")
    assert small_lesson == large_lesson
    assert small_dashboard == large_dashboard
    assert large_lesson[1] <= 3 and large_dashboard[1] <= 4  # user, course, reader state...


def test_recompute_completes_what_a_republish_completed_once(app, client, course, learner,
                                                             make_user):
    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    client.submit("/learning/courses/migration-basics/lesson-1/done")
    client.submit("/learning/courses/migration-basics/lesson-2/done")
    beginner = make_user()
    other = app.test_client()
    other.sign_in(beginner.email)
    other.submit("/learning/courses/migration-basics/enrol")
    (course / "migration-basics" / "03-lesson-3.md").unlink()
    publish(app, course)
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "migration-basics"))
        assert services.completions_owed() == [(learner.id, course_id)]
        assert services.recompute_completions(course_id) == 1
        assert services.recompute_completions() == 0
        assert services.completions_owed() == []
    assert _enrolment(app, learner).completed_at is not None
    assert _enrolment(app, beginner).completed_at is None


def test_a_retired_course_completes_nobody(app, client, course, learner):
    import shutil

    client.sign_in(learner.email)
    client.submit("/learning/courses/migration-basics/enrol")
    client.submit("/learning/courses/migration-basics/lesson-1/done")
    shutil.rmtree(course / "migration-basics")
    publish(app, course)
    with app.app_context():
        assert services.completions_owed() == []
        assert services.recompute_completions() == 0
    assert _enrolment(app, learner).completed_at is None


def test_completing_a_module_after_leaving_changes_nothing(app, course, learner):
    with app.app_context():
        course_row = db.session.scalar(select(Course).where(Course.slug == "migration-basics"))
        services.enrol(learner.id, course_row)
        services.leave(learner.id, course_row)
        module = db.session.scalar(select(Module).where(Module.course_id == course_row.id))
        with pytest.raises(services.NotEnrolled):
            services.complete_module(learner.id, module)
        assert db.session.scalars(select(ModuleCompletion)).all() == []
