"""Publish history: one record per course per attempt, what changed, and the refused ones."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from ecampus.catalog.history import PublishOrigin
from ecampus.catalog.models import Course, PublishRecord
from ecampus.catalog.publishing import publish_courses
from ecampus.extensions import db
from tests.helpers import course_md, lesson, publish, simple_course, write_course
from tests.quizzes.conftest import QUIZ


def _records(app, slug: str) -> list[PublishRecord]:
    with app.app_context():
        rows = db.session.scalars(select(PublishRecord).where(PublishRecord.slug == slug)
                                  .order_by(PublishRecord.id)).all()
        db.session.expunge_all()
        return list(rows)


def test_first_publish_records_the_modules_added(app, tmp_path):
    simple_course(tmp_path, modules=2)
    publish(app, tmp_path)
    [record] = _records(app, "migration-basics")
    assert record.outcome == "published" and record.source == "cli"
    assert record.course_id is not None
    assert record.changes["modules"] == {"added": ["lesson-1", "lesson-2"], "changed": [],
                                         "retired": []}
    assert record.changes["course_version"] == 1
    assert record.started_at <= record.finished_at


def test_every_attempt_is_recorded_even_when_nothing_changed(app, tmp_path):
    simple_course(tmp_path)
    publish(app, tmp_path)
    publish(app, tmp_path)
    assert [r.outcome for r in _records(app, "migration-basics")] == ["published", "unchanged"]


def test_a_changed_and_a_removed_module_are_recorded(app, tmp_path):
    folder = simple_course(tmp_path, modules=3)
    publish(app, tmp_path)
    (folder / "01-lesson-1.md").write_text(lesson("Lesson 1", "New text."), encoding="utf-8")
    (folder / "03-lesson-3.md").unlink()
    publish(app, tmp_path)
    record = _records(app, "migration-basics")[-1]
    assert record.changes["modules"] == {"added": [], "changed": ["lesson-1"],
                                         "retired": ["lesson-3"]}
    assert record.changes["course_version"] == 2


def test_a_new_quiz_version_is_recorded(app, tmp_path):
    files = {"course.md": course_md("Quiz course", "With a quiz."),
             "01-check.md": QUIZ.format(settings="")}
    write_course(tmp_path, "quiz-course", files)
    publish(app, tmp_path)
    write_course(tmp_path, "quiz-course", {"01-check.md": QUIZ.format(settings="pass_mark: 50\n")})
    publish(app, tmp_path)
    first, second = _records(app, "quiz-course")
    assert first.changes["quiz_versions"] == {"check": 1}
    assert second.changes["quiz_versions"] == {"check": 2}


def test_a_refused_new_course_is_recorded_with_the_report_at_path_and_line(app, tmp_path):
    write_course(tmp_path, "broken", {"course.md": "---\ntitle: Broken\n---\nNo summary.\n",
                                      "01-a.md": lesson("A")})
    publish(app, tmp_path)
    [record] = _records(app, "broken")
    assert record.outcome == "refused" and record.course_id is None
    assert "broken/course.md:1: error: required key 'summary' is missing" in record.report


def test_a_refused_republish_keeps_the_live_version_and_records_why(app, tmp_path):
    folder = simple_course(tmp_path)
    publish(app, tmp_path)
    (folder / "02-lesson-2.md").write_text("---\ntitle: Two\nkind: video\n---\nText\n",
                                           encoding="utf-8")
    publish(app, tmp_path)
    record = _records(app, "migration-basics")[-1]
    assert record.outcome == "refused" and record.course_id is not None
    assert "migration-basics/02-lesson-2.md:3: error: kind:" in record.report
    with app.app_context():
        assert db.session.scalar(select(Course.version)) == 1


def test_a_retired_course_is_recorded(app, tmp_path):
    simple_course(tmp_path, modules=1)
    publish(app, tmp_path)
    shutil.rmtree(tmp_path / "migration-basics")
    publish(app, tmp_path)
    record = _records(app, "migration-basics")[-1]
    assert record.outcome == "retired" and record.changes["modules"]["retired"] == ["lesson-1"]


def test_the_origin_of_a_publish_is_recorded(app, tmp_path, author):
    simple_course(tmp_path)
    origin = PublishOrigin(source="git", actor_user_id=author.id, actor_email=author.email,
                           commit_id="a" * 40, commit_author="Ana <ana@example.org>",
                           commit_message="Fix the dates\n\nLonger text.")
    with app.app_context():
        publish_courses(tmp_path, origin=origin)
    [record] = _records(app, "migration-basics")
    assert (record.source, record.actor_user_id, record.commit_id, record.commit_author) == (
        "git", author.id, "a" * 40, "Ana <ana@example.org>")


def test_a_publish_that_fails_is_recorded_and_writes_nothing_else(app, tmp_path, monkeypatch):
    from ecampus.catalog import publishing

    simple_course(tmp_path)

    def broken(parsed):
        raise RuntimeError("disk full")

    monkeypatch.setattr(publishing, "_publish", broken)
    with app.app_context():
        with pytest.raises(RuntimeError):
            publish_courses(tmp_path)
        assert db.session.scalar(select(Course.id)) is None
    [record] = _records(app, "migration-basics")
    assert record.outcome == "failed" and "publishing failed: disk full" in record.report


def test_an_owner_without_an_account_is_a_warning_in_the_record(app, tmp_path, author):
    simple_course(tmp_path, authors=f"[{author.email}, nobody.yet@example.org]")
    publish(app, tmp_path)
    [record] = _records(app, "migration-basics")
    assert record.outcome == "published"
    assert ("migration-basics/course.md:4: warning: authors: no account has the email "
            "nobody.yet@example.org yet") in record.report
    assert author.email not in record.report
