"""Reading course folders: discovery, names, front matter, settings and content hashes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ecampus.catalog.courseformat import (
    CertificateSettings,
    Problem,
    has_errors,
    read_course,
    read_courses,
)
from tests.catalog.fixtures import (
    EXAMPLE_COURSE,
    EXAMPLE_COURSES,
    messages,
    module,
    quiz,
    read,
    write_course,
)


def test_example_course_reads_without_problems():
    [result] = read_courses(EXAMPLE_COURSES)
    assert result.problems == []
    course = result.course
    assert course is not None
    assert course.slug == "migration-governance-101"
    assert course.languages == ["en", "es"]
    assert [m.slug for m in course.modules] == [
        "welcome", "the-global-compact", "check-your-knowledge"]
    assert [m.number for m in course.modules] == [1, 2, 3]
    assert course.duration_minutes == 180
    assert course.level == "introductory"
    assert course.tags == ("governance", "policy")
    assert course.authors == ("Migration Policy Unit",)
    assert course.enrolment == "open"
    assert course.status == "published"
    assert course.certificate == CertificateSettings("Certificate of Completion", 3.0, 24)
    assert set(course.media) == {"media/routes-map.png", "media/gcm-summary.pdf"}
    assert course.texts["es"].title == "Introducción a la gobernanza de la migración"


def test_example_quiz_questions_are_json_serialisable():
    course = read_course(EXAMPLE_COURSE).course
    assert course is not None
    quiz_module = course.module("check-your-knowledge")
    assert quiz_module is not None and quiz_module.quiz is not None
    assert quiz_module.quiz.max_attempts == 3
    assert quiz_module.quiz.time_limit_seconds == 1200
    for text in quiz_module.texts.values():
        assert json.loads(json.dumps(text.questions)) == list(text.questions)
    types = [q["type"] for q in quiz_module.texts["en"].questions]
    assert types == ["single", "multiple", "numeric", "numeric", "short", "ordering", "matching"]


def test_untranslated_module_has_no_entry_for_that_language():
    course = read_course(EXAMPLE_COURSE).course
    assert course is not None
    assert sorted(course.module("the-global-compact").texts) == ["en"]


def test_problem_prints_as_path_line_severity_message():
    problem = Problem("demo-course/01-a.md", 3, "error", "boom")
    assert str(problem) == "demo-course/01-a.md:3: error: boom"


def test_read_courses_finds_course_folders_sorted_and_skips_others(tmp_path):
    write_course(tmp_path, {}, slug="zeta-course")
    write_course(tmp_path, {}, slug="alpha-course")
    write_course(tmp_path, {"course.md": None, "01-intro.md": module()}, slug="no-course-md")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "logo.png").write_bytes(b"x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "course.md").write_text("x")
    results = read_courses(tmp_path)
    assert [r.slug for r in results] == ["alpha-course", "no-course-md", "zeta-course"]
    assert "no-course-md/course.md:1: error: missing course.md" in messages(results[1])[0]
    assert has_errors(results)
    assert not has_errors([results[0], results[2]])


def test_read_courses_of_a_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_courses(tmp_path / "nope")


def test_read_course_paths_are_relative_to_the_folder_parent(tmp_path):
    result = read(tmp_path, {"01-a.md": module(body="[x](missing.md)\n")})
    assert messages(result) == [
        "demo-course/01-a.md:4: error: link 'missing.md' points to a missing file"]
    assert result.course is None


@pytest.mark.parametrize("slug", ["Migration_101", "ab", "a--b", "-abc", "x" * 65, "café-101"])
def test_bad_course_folder_names_are_errors(tmp_path, slug):
    result = read(tmp_path, {}, slug=slug)
    assert result.problems[0].path == slug
    assert "is not a valid slug" in result.problems[0].message
    assert result.course is None


def test_valid_course_slug_lengths(tmp_path):
    assert read(tmp_path, {}, slug="abc").course is not None
    assert read(tmp_path, {}, slug="a" * 64).course is not None


def test_course_without_modules_is_valid(tmp_path):
    result = read(tmp_path, {})
    assert result.problems == []
    assert result.course.modules == ()


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("1-intro.md", "did you mean '01-intro.md'?"),
        ("01_intro.md", "did you mean '01-intro.md'?"),
        ("01-Intro.md", "did you mean '01-intro.md'?"),
        ("02-intro.markdown", "did you mean '02-intro.md'?"),
        ("01-welcome.ES.md", "did you mean '01-welcome.es.md'?"),
        ("course.ES.md", "did you mean 'course.es.md'?"),
        ("Course.md", "did you mean 'course.md'?"),
    ],
)
def test_mistyped_module_names_are_ignored_with_a_warning(tmp_path, name, hint):
    result = read(tmp_path, {name: module()})
    [problem] = result.problems
    assert problem.path == f"demo-course/{name}"
    assert (problem.line, problem.severity) == (1, "warning")
    assert problem.message.startswith(f"ignored: '{name}' looks like")
    assert problem.message.endswith(hint)
    assert result.course is not None and result.course.modules == ()


def test_other_files_are_ignored_silently(tmp_path):
    result = read(tmp_path, {"README.md": "notes", "notes.txt": "x", "drafts/01-x.md": "y"})
    assert result.problems == []


def test_module_slug_comes_from_the_file_name(tmp_path):
    result = read(tmp_path, {"010-the-end.md": module(), "02-start.md": module()})
    assert [(m.number, m.slug, m.filename) for m in result.course.modules] == [
        (2, "start", "02-start.md"), (10, "the-end", "010-the-end.md")]


def test_duplicate_module_numbers_are_errors(tmp_path):
    result = read(tmp_path, {"01-a.md": module(), "001-b.md": module()})
    assert messages(result) == [
        "demo-course/01-a.md:1: error: module number 1 is also used by '001-b.md'"]


def test_duplicate_module_slugs_are_errors(tmp_path):
    result = read(tmp_path, {"01-intro.md": module(), "02-intro.md": module()})
    assert messages(result) == [
        "demo-course/02-intro.md:1: error: module slug 'intro' is also used by '01-intro.md'"]


def test_module_slug_files_is_reserved(tmp_path):
    result = read(tmp_path, {"01-files.md": module()})
    assert "module slug 'files' is reserved" in messages(result)[0]


def test_non_utf8_file_is_an_error_at_the_bad_line(tmp_path):
    result = read(tmp_path, {"01-a.md": "---\ntitle: A\n---\ncaf\xe9\n".encode("latin-1")})
    [problem] = result.problems
    assert (problem.path, problem.line, problem.severity) == ("demo-course/01-a.md", 4, "error")
    assert "not valid UTF-8" in problem.message


def test_byte_order_mark_and_crlf_are_accepted(tmp_path):
    source = "\ufeff---\r\ntitle: A\r\n---\r\nText.\r\n".encode()
    result = read(tmp_path, {"01-a.md": source})
    assert result.problems == []
    assert result.course.modules[0].texts["en"].title == "A"


def test_missing_required_course_keys(tmp_path):
    result = read(tmp_path, {"course.md": "---\nlevel: easy\n---\n"})
    assert messages(result) == [
        "demo-course/course.md:1: error: required key 'title' is missing",
        "demo-course/course.md:1: error: required key 'summary' is missing",
    ]


def test_course_md_without_front_matter_misses_title_and_summary(tmp_path):
    result = read(tmp_path, {"course.md": "Just text.\n"})
    assert [p.message for p in result.errors] == [
        "required key 'title' is missing", "required key 'summary' is missing"]


def test_empty_required_key_is_reported_at_its_line(tmp_path):
    result = read(tmp_path, {"course.md": "---\ntitle: T\nsummary:\n---\n"})
    assert messages(result) == ["demo-course/course.md:3: error: required key 'summary' is empty"]


def test_unknown_key_names_the_closest_known_key(tmp_path):
    result = read(tmp_path, {"01-q.md": quiz("## Q {#q}\n\n= 1\n", pasmark=50)})
    assert messages(result) == [
        "demo-course/01-q.md:4: error: unknown key 'pasmark'; did you mean 'pass_mark'?"]


def test_unknown_key_without_a_close_match(tmp_path):
    result = read(tmp_path, {"course.md": "---\ntitle: T\nsummary: S\nzebra: 1\n---\n"})
    assert messages(result) == ["demo-course/course.md:4: error: unknown key 'zebra'"]


def test_unknown_certificate_key_is_reported_at_its_nested_line(tmp_path):
    course = "---\ntitle: T\nsummary: S\ncertificate:\n  titel: X\n---\n"
    result = read(tmp_path, {"course.md": course})
    assert messages(result) == [
        "demo-course/course.md:5: error: unknown key 'titel'; did you mean 'title'?"]


def test_module_key_in_course_md_is_explained(tmp_path):
    result = read(tmp_path, {"course.md": "---\ntitle: T\nsummary: S\npass_mark: 50\n---\n"})
    assert "'pass_mark' is a module setting" in messages(result)[0]


def test_quiz_setting_on_a_lesson_is_an_error(tmp_path):
    result = read(tmp_path, {"01-a.md": module(shuffle="true")})
    assert messages(result) == ["demo-course/01-a.md:3: error: shuffle: is a quiz setting, "
                                "but this module is a lesson (add 'kind: quiz')"]


def test_invalid_yaml_is_reported_at_its_line(tmp_path):
    result = read(tmp_path, {"01-a.md": "---\ntitle: A\nduration: [1, 2\n---\nText\n"})
    [problem] = result.problems
    assert problem.line >= 3
    assert "front matter is not valid YAML" in problem.message


def test_unclosed_front_matter_is_an_error(tmp_path):
    result = read(tmp_path, {"01-a.md": "---\ntitle: A\nText\n"})
    assert messages(result) == ["demo-course/01-a.md:1: error: front matter starts with '---' "
                                "but has no closing '---' line"]


def test_front_matter_that_is_not_a_mapping_is_an_error(tmp_path):
    result = read(tmp_path, {"01-a.md": "---\n- a\n- b\n---\n"})
    assert messages(result) == ["demo-course/01-a.md:2: error: front matter must be "
                                "'key: value' lines"]


def test_duplicate_front_matter_key_is_an_error(tmp_path):
    result = read(tmp_path, {"01-a.md": "---\ntitle: A\ntitle: B\n---\n"})
    assert messages(result) == ["demo-course/01-a.md:3: error: duplicate key 'title' "
                                "(first on line 2)"]


def test_module_title_is_required(tmp_path):
    result = read(tmp_path, {"01-a.md": "Text only.\n"})
    assert messages(result) == ["demo-course/01-a.md:1: error: required key 'title' is missing"]


def test_yaml_words_are_not_booleans_or_sexagesimal(tmp_path):
    course = "---\ntitle: no\nsummary: 1:30\nlanguage: no\n---\n"
    result = read(tmp_path, {"course.md": course})
    assert result.problems == []
    assert result.course.base_language == "no"
    assert result.course.texts["no"].title == "no"
    assert result.course.texts["no"].summary == "1:30"


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ("", CertificateSettings("Certificate of Completion", None, None)),
        ("certificate: true\nduration: 90m", CertificateSettings("Certificate of Completion",
                                                                 1.5, None)),
        ("duration: 100", CertificateSettings("Certificate of Completion", 1.5, None)),
        ("duration: 20m", CertificateSettings("Certificate of Completion", 0.5, None)),
        ("certificate:\n  expires_after: 18m", CertificateSettings(
            "Certificate of Completion", None, 18)),
        ("certificate:\n  title: Award\n  hours: 2.5\n  expires_after: 2y",
         CertificateSettings("Award", 2.5, 24)),
        ("certificate:\n  title: Award\n  titles:\n    es: Premio\n    fr: Prix",
         CertificateSettings("Award", None, None, {"es": "Premio", "fr": "Prix"})),
        ("certificate: false", None),
    ],
)
def test_certificate_settings(tmp_path, lines, expected):
    result = read(tmp_path, {"course.md": f"---\ntitle: T\nsummary: S\n{lines}\n---\n"})
    assert result.problems == []
    assert result.course.certificate == expected


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ("certificate: maybe", "certificate: must be true, false or a mapping"),
        ("certificate:\n  hours: -1", "certificate.hours: must be a positive number"),
        ("certificate:\n  expires_after: 2 weeks", "certificate.expires_after: '2 weeks' is "
                                                   "not a period"),
        ("certificate:\n  expires_after: 12", "certificate.expires_after: '12' is not a period"),
        ("certificate:\n  titles: Premio", "certificate.titles: must map two-letter language"),
        ("certificate:\n  titles: {Spanish: Premio}",
         "certificate.titles: must map two-letter language"),
        ("enrolment: closed", "enrolment: 'closed' is not allowed; use 'open' or 'invite'"),
        ("status: hidden", "status: 'hidden' is not allowed; use 'published' or 'draft'"),
        ("language: English", "language: 'English' is not a two-letter lowercase code"),
        ("duration: 2 hours", "duration: '2 hours' is not a duration"),
        ("tags: {a: 1}", "tags: must be a list"),
    ],
)
def test_bad_course_settings(tmp_path, lines, fragment):
    result = read(tmp_path, {"course.md": f"---\ntitle: T\nsummary: S\n{lines}\n---\n"})
    [problem] = result.problems
    assert problem.line == 4 + lines.count("\n")
    assert fragment in problem.message


def test_course_settings_defaults(tmp_path):
    course = read(tmp_path, {}).course
    assert (course.base_language, course.enrolment, course.status) == ("en", "open", "published")
    assert (course.duration_minutes, course.level, course.tags, course.authors) == (
        None, None, (), ())


def test_draft_invite_course(tmp_path):
    course_md = "---\ntitle: T\nsummary: S\nstatus: draft\nenrolment: invite\n---\n"
    course = read(tmp_path, {"course.md": course_md}).course
    assert (course.status, course.enrolment) == ("draft", "invite")


def test_module_settings(tmp_path):
    result = read(tmp_path, {"01-a.md": module(duration="2h30m", required="false")})
    [mod] = result.course.modules
    assert (mod.kind, mod.duration_minutes, mod.required, mod.quiz) == (
        "lesson", 150, False, None)


def test_bad_module_kind_and_required(tmp_path):
    result = read(tmp_path, {"01-a.md": module(kind="exam", required="maybe")})
    assert [p.message for p in result.problems] == [
        "kind: 'exam' is not allowed; use 'lesson' or 'quiz'",
        "required: 'maybe' is not true or false",
    ]


def test_lesson_with_question_ids_gets_a_hint(tmp_path):
    result = read(tmp_path, {"01-a.md": module(body="## Question? {#q1}\n\n- [x] A\n")})
    [problem] = result.problems
    assert (problem.severity, problem.line) == ("warning", 4)
    assert "is 'kind: quiz' missing?" in problem.message


def test_content_hash_is_stable_between_reads(tmp_path):
    folder = tmp_path / "copy"
    shutil.copytree(EXAMPLE_COURSE, folder / EXAMPLE_COURSE.name)
    first = read_course(folder / EXAMPLE_COURSE.name).course
    second = read_course(folder / EXAMPLE_COURSE.name).course
    assert [m.content_hash for m in first.modules] == [m.content_hash for m in second.modules]
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64


def test_changed_image_changes_only_the_modules_that_use_it(tmp_path):
    files = {
        "01-a.md": module(body="![Map](media/map.png)\n"),
        "02-b.md": module(body="No image.\n"),
        "media/map.png": b"one",
    }
    before = read(tmp_path, files).course
    (tmp_path / "demo-course" / "media" / "map.png").write_bytes(b"two")
    after = read_course(tmp_path / "demo-course").course
    assert before.modules[0].content_hash != after.modules[0].content_hash
    assert before.modules[1].content_hash == after.modules[1].content_hash
    assert before.content_hash != after.content_hash


def test_changed_translation_changes_the_module_hash(tmp_path):
    files = {"course.es.md": "---\ntitle: T\nsummary: S\n---\n",
             "01-a.md": module(), "01-a.es.md": module("Uno")}
    before = read(tmp_path, files).course.modules[0].content_hash
    write_course(tmp_path, {**files, "01-a.es.md": module("Una")})
    after = read_course(tmp_path / "demo-course").course.modules[0].content_hash
    assert before != after


def test_media_folder_files_are_listed_even_if_unreferenced(tmp_path):
    result = read(tmp_path, {"media/extra/notes.pdf": b"%PDF", "media/.DS_Store": b"x"})
    media = result.course.media["media/extra/notes.pdf"]
    assert (media.size, media.mimetype) == (4, "application/pdf")
    assert media.source == tmp_path / "demo-course" / "media" / "extra" / "notes.pdf"
    assert media.url_path == f"files/{media.sha256[:12]}/media/extra/notes.pdf"
    assert list(result.course.media) == ["media/extra/notes.pdf"]


def test_symlink_leaving_the_course_folder_is_an_error(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    folder = write_course(tmp_path, {"01-a.md": module(body="[s](media/s.txt)\n")})
    (folder / "media").mkdir()
    try:
        (folder / "media" / "s.txt").symlink_to(secret)
    except OSError:
        pytest.skip("symlinks are not available")
    result = read_course(folder)
    assert "demo-course/media/s.txt:1: error: symbolic link leads outside the course folder" \
        in messages(result)
    assert any("is a symbolic link that leads outside" in m for m in messages(result))
    assert result.course is None


def test_problems_are_sorted_by_file_and_line(tmp_path):
    result = read(tmp_path, {
        "02-b.md": module(body="[x](nope.md)\n"),
        "01-a.md": module(body="Intro.\n\n[x](nope.md)\n[y](gone.md)\n"),
    })
    assert [(Path(p.path).name, p.line) for p in result.problems] == [
        ("01-a.md", 6), ("01-a.md", 7), ("02-b.md", 4)]
