"""The publish history page: the course's own authors and admins see every attempt."""

from __future__ import annotations

from sqlalchemy import select

from ecampus.extensions import db
from ecampus.learning.models import Enrolment, ModuleCompletion
from tests.helpers import course_md, lesson, publish, simple_course, write_course


def _signed_in(app, user):
    client = app.test_client()
    client.sign_in(user.email)
    return client


def test_course_author_sees_every_attempt_with_what_changed(app, tmp_path, author):
    folder = simple_course(tmp_path, modules=2, authors=f"[{author.email}]")
    publish(app, tmp_path)
    (folder / "02-lesson-2.md").write_text(lesson("Lesson 2", "New."), encoding="utf-8")
    write_course(tmp_path, "migration-basics", {"03-extra.md": lesson("Extra")})
    publish(app, tmp_path)
    page = _signed_in(app, author).get("/courses/migration-basics/history").get_data(
        as_text=True)
    assert "2 publish attempts, newest first." in page
    assert "Modules added" in page and "extra" in page
    assert "Modules changed" in page and "lesson-2" in page
    assert "Command line" in page


def test_a_refused_attempt_shows_the_checkers_report(app, tmp_path, author):
    folder = simple_course(tmp_path, authors=f"[{author.email}]")
    publish(app, tmp_path)
    (folder / "01-lesson-1.md").write_text("---\ntitle: One\nduration: soon\n---\nText\n",
                                           encoding="utf-8")
    publish(app, tmp_path)
    page = _signed_in(app, author).get("/courses/migration-basics/history").get_data(
        as_text=True)
    assert "Refused: the checker found errors" in page
    assert "migration-basics/01-lesson-1.md:3: error: duration:" in page


def test_the_course_page_links_its_history_for_its_authors_only(app, tmp_path, make_user):
    owner, other = make_user("author"), make_user("author")
    simple_course(tmp_path, authors=f"[{owner.email}]")
    publish(app, tmp_path)
    link = "/courses/migration-basics/history"
    assert link in _signed_in(app, owner).get("/courses/migration-basics/").get_data(
        as_text=True)
    assert link not in _signed_in(app, other).get("/courses/migration-basics/").get_data(
        as_text=True)


def test_another_courses_author_gets_404_and_a_learner_403(app, tmp_path, make_user):
    owner = make_user("author")
    simple_course(tmp_path, authors=f"[{owner.email}]")
    publish(app, tmp_path)
    url = "/courses/migration-basics/history"
    assert _signed_in(app, make_user("author")).get(url).status_code == 404
    assert _signed_in(app, make_user("learner")).get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302


def test_admin_sees_the_history_of_a_refused_new_course(app, tmp_path, admin, author):
    write_course(tmp_path, "never-live", {
        "course.md": f"---\ntitle: Never\nauthors: [{author.email}]\n---\nNo summary.\n",
        "01-a.md": lesson("A")})
    publish(app, tmp_path)
    page = _signed_in(app, admin).get("/courses/never-live/history").get_data(as_text=True)
    assert "never-live/course.md:1: error: required key " in page
    # No course row names its owners yet: only admins may read it.
    assert _signed_in(app, author).get("/courses/never-live/history").status_code == 404


def test_unknown_course_history_is_404_even_for_admins(app, admin):
    assert _signed_in(app, admin).get("/courses/nothing-here/history").status_code == 404


def test_republishing_and_refusals_leave_learners_progress_untouched(app, tmp_path, learner):
    folder = simple_course(tmp_path, modules=3)
    publish(app, tmp_path)
    client = _signed_in(app, learner)
    client.submit("/learning/courses/migration-basics/enrol")
    client.submit("/learning/courses/migration-basics/lesson-1/done")
    client.submit("/learning/courses/migration-basics/lesson-2/done")

    def progress():
        with app.app_context():
            return [sorted(map(tuple, db.session.execute(select(model.__table__)).all()))
                    for model in (ModuleCompletion, Enrolment)]

    before = progress()
    (folder / "01-lesson-1.md").write_text(lesson("Lesson 1", "Changed."), encoding="utf-8")
    publish(app, tmp_path)
    (folder / "course.md").write_text(course_md(duration="never"), encoding="utf-8")
    publish(app, tmp_path)
    assert progress() == before
    page = client.get("/courses/migration-basics/").get_data(as_text=True)
    assert "(2 of 3 modules)" in page
