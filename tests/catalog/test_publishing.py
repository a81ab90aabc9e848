"""Publishing: idempotent, versioned, retiring instead of deleting, one course at a time."""

from __future__ import annotations

from sqlalchemy import func, select

from ecampus.catalog.models import Course, Module, ModuleText, ModuleVersion
from ecampus.extensions import db
from tests.helpers import lesson, publish, simple_course, write_course


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _snapshot(app):
    """Every row of every catalog table, to prove a republish wrote nothing."""
    with app.app_context():
        tables = [t for t in db.metadata.sorted_tables if t.name in {
            "courses", "course_texts", "modules", "module_versions", "module_texts",
            "course_files", "media_blobs"}]
        return {t.name: sorted(map(tuple, db.session.execute(select(t)).all()), key=repr)
                for t in tables}


def test_first_publish_adds_course_and_modules(app, tmp_path):
    simple_course(tmp_path, modules=3)
    report = publish(app, tmp_path)
    assert report.count("added") == 1
    assert report.module_count("added") == 3
    assert _count(app, Module) == 3 and _count(app, ModuleVersion) == 3


def test_republishing_unchanged_files_changes_nothing(app, tmp_path):
    simple_course(tmp_path)
    publish(app, tmp_path)
    before = _snapshot(app)
    report = publish(app, tmp_path)
    assert report.count("unchanged") == 1
    assert _snapshot(app) == before


def test_changed_module_gets_a_new_version_and_keeps_the_old(app, tmp_path):
    folder = simple_course(tmp_path)
    publish(app, tmp_path)
    (folder / "02-lesson-2.md").write_text(lesson("Lesson 2", "Rewritten text."))
    report = publish(app, tmp_path)
    change = report.courses[0]
    assert change.outcome == "changed"
    assert change.modules == {"lesson-1": "unchanged", "lesson-2": "changed",
                              "lesson-3": "unchanged"}
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "lesson-2"))
        versions = db.session.scalars(select(ModuleVersion).where(
            ModuleVersion.module_id == module.id).order_by(ModuleVersion.number)).all()
        assert [v.number for v in versions] == [1, 2]
        assert module.current_version_id == versions[1].id
        old = db.session.get(ModuleText, (versions[0].id, "en"))
        assert "Text of lesson 2" in old.body_html


def test_removed_module_is_retired_not_deleted(app, tmp_path):
    folder = simple_course(tmp_path)
    publish(app, tmp_path)
    (folder / "03-lesson-3.md").unlink()
    report = publish(app, tmp_path)
    assert report.courses[0].modules["lesson-3"] == "retired"
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "lesson-3"))
        assert module.retired_at is not None


def test_vanished_course_is_retired(app, tmp_path):
    simple_course(tmp_path, "first-course")
    simple_course(tmp_path, "second-course")
    publish(app, tmp_path)
    import shutil

    shutil.rmtree(tmp_path / "second-course")
    report = publish(app, tmp_path)
    assert {c.slug: c.outcome for c in report.courses}["second-course"] == "retired"
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "second-course"))
        assert course.retired_at is not None


def test_course_with_errors_is_skipped_and_old_version_stays_live(app, tmp_path):
    folder = simple_course(tmp_path)
    publish(app, tmp_path)
    (folder / "02-lesson-2.md").write_text("---\ntitle: Broken\nkind: nonsense\n---\nx\n")
    report = publish(app, tmp_path)
    assert report.courses[0].outcome == "skipped"
    assert any(p.severity == "error" for p in report.courses[0].problems)
    with app.app_context():
        course = db.session.scalar(select(Course))
        assert course.retired_at is None
        module = db.session.scalar(select(Module).where(Module.slug == "lesson-2"))
        assert module.current_version.number == 1


def test_one_bad_course_does_not_stop_the_others(app, tmp_path):
    simple_course(tmp_path, "good-course")
    write_course(tmp_path, "bad-course", {"course.md": "---\ntitle: No summary\n---\n"})
    report = publish(app, tmp_path)
    assert {c.slug: c.outcome for c in report.courses} == {"bad-course": "skipped",
                                                            "good-course": "added"}


def test_media_are_stored_once_by_content(app, tmp_path):
    png = bytes.fromhex("89504e470d0a1a0a") + b"fake image body"
    for slug in ("course-one", "course-two"):
        write_course(tmp_path, slug, {
            "course.md": "---\ntitle: T\nsummary: S\n---\n",
            "01-a.md": "---\ntitle: A\n---\n![A map of routes](media/map.png)\n",
            "media/map.png": png,
        })
    publish(app, tmp_path)
    from ecampus.catalog.models import CourseFile, MediaBlob

    assert _count(app, MediaBlob) == 1
    assert _count(app, CourseFile) == 2


def test_reappearing_module_is_brought_back(app, tmp_path):
    folder = simple_course(tmp_path)
    publish(app, tmp_path)
    text = (folder / "03-lesson-3.md").read_text()
    (folder / "03-lesson-3.md").unlink()
    publish(app, tmp_path)
    (folder / "03-lesson-3.md").write_text(text)
    report = publish(app, tmp_path)
    assert report.courses[0].modules["lesson-3"] == "changed"
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "lesson-3"))
        assert module.retired_at is None
