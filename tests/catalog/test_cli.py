"""`ecampus courses check` and `ecampus courses publish`, through the real CLI."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from ecampus.catalog.models import Course
from ecampus.extensions import db
from tests.helpers import course_md, lesson, simple_course, write_course

SAMPLES = Path(__file__).resolve().parents[2] / "courses"


def test_sample_courses_have_no_error_and_no_warning(runner):
    result = runner.invoke(args=["courses", "check", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 error(s), 0 warning(s).")
    assert ": warning:" not in result.output and ": error:" not in result.output


def test_check_reports_every_problem_of_every_course_and_exits_1(runner, tmp_path):
    write_course(tmp_path, "first-course", {"course.md": "---\ntitle: No summary\n---\n"})
    write_course(tmp_path, "second-course", {
        "course.md": course_md(pasmark="70"),
        "01-a.md": lesson("A", "![](media/missing.png)"),
    })
    result = runner.invoke(args=["courses", "check", str(tmp_path)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith("first-course/course.md:") and ": error: " in line
               for line in lines)
    assert any(line.startswith("second-course/course.md:") and "unknown key 'pasmark'" in line
               for line in lines)
    missing = "second-course/01-a.md:4: error: image 'media/missing.png' points to a missing file"
    assert missing in lines


def test_check_writes_nothing(app, runner, tmp_path):
    simple_course(tmp_path)
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = runner.invoke(args=["courses", "check", str(tmp_path)])
    assert result.exit_code == 0
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0


def test_check_exits_0_with_only_warnings(runner, tmp_path):
    write_course(tmp_path, "warned-course", {
        "course.md": course_md(),
        "01-a.md": lesson("A", "![](media/map.png)"),
        "media/map.png": b"\x89PNG\r\n\x1a\n",
    })
    result = runner.invoke(args=["courses", "check", str(tmp_path)])
    assert result.exit_code == 0
    assert ": warning:" in result.output


def test_publish_prints_what_changed(runner, tmp_path):
    simple_course(tmp_path, modules=2)
    first = runner.invoke(args=["courses", "publish", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert "added     migration-basics (modules: 2 added)" in first.output
    second = runner.invoke(args=["courses", "publish", str(tmp_path)])
    assert "unchanged migration-basics" in second.output
    assert "Courses: 0 added, 0 changed, 0 retired, 1 unchanged, 0 skipped." in second.output


def test_publish_exits_1_when_a_course_is_skipped(runner, tmp_path):
    simple_course(tmp_path, "good-course")
    write_course(tmp_path, "bad-course", {"course.md": "---\ntitle: T\n---\n"})
    result = runner.invoke(args=["courses", "publish", str(tmp_path)])
    assert result.exit_code == 1
    assert "skipped   bad-course" in result.output
    assert "added     good-course" in result.output


def test_missing_folder_is_a_clear_usage_error(runner, tmp_path):
    result = runner.invoke(args=["courses", "check", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "is not a folder of courses" in result.output


def test_sample_courses_publish_and_lesson_page_stays_light(app, client, runner):
    result = runner.invoke(args=["courses", "publish", str(SAMPLES)])
    assert result.exit_code == 0, result.output
    css = client.get("/static/ecampus.css").data
    heaviest = 0
    for url in ("/courses/migration-governance-101/who-governs-migration/",
                "/courses/migration-governance-101/the-global-compact/",
                "/courses/counter-trafficking-frontline/recognising-the-signs/"):
        page = client.get(url)
        assert page.status_code == 200
        heaviest = max(heaviest, len(page.data))
    assert heaviest + len(css) < 50_000, (heaviest, len(css))


def test_publish_warns_of_an_owner_without_an_account_and_still_publishes(runner, tmp_path,
                                                                          author):
    simple_course(tmp_path, authors=f"[{author.email}, later@example.org]")
    result = runner.invoke(args=["courses", "publish", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert ("migration-basics/course.md:4: warning: authors: no account has the email "
            "later@example.org yet") in result.output
    assert author.email not in result.output
