"""Durations, quiz settings and owning authors, with the errors authors see for bad values."""

from __future__ import annotations

import pytest

from ecampus.catalog.courseformat import QuizSettings, parse_duration, read_course
from ecampus.catalog.courseformat.settings import SettingError, default_hours, parse_expiry
from tests.catalog.fixtures import messages, quiz, read
from tests.helpers import course_md, lesson, write_course

TWO_QUESTIONS = """\
## One {#one}

= 1

## Two {#two}

= 2
"""


@pytest.mark.parametrize(
    ("value", "minutes"),
    [("90m", 90), ("3h", 180), ("2h30m", 150), ("2h 30m", 150), (45, 45), ("45", 45),
     (" 1h ", 60)],
)
def test_parse_duration(value, minutes):
    assert parse_duration(value) == minutes


@pytest.mark.parametrize(
    "value", ["1:30", "90 min", "1.5h", "2H", "h", "", "0m", 0, -5, 7.5, True, None, [1]]
)
def test_parse_duration_rejects_anything_else(value):
    with pytest.raises(SettingError):
        parse_duration(value)


@pytest.mark.parametrize(("value", "months"), [("18m", 18), ("2y", 24), ("1y6m", 18)])
def test_parse_expiry(value, months):
    assert parse_expiry(value) == months


@pytest.mark.parametrize("value", ["2", 2, "0y", "2 weeks", "y"])
def test_parse_expiry_rejects_anything_else(value):
    with pytest.raises(SettingError):
        parse_expiry(value)


@pytest.mark.parametrize(
    ("minutes", "hours"), [(None, None), (10, 0.5), (45, 1.0), (90, 1.5), (100, 1.5), (180, 3.0)]
)
def test_certificate_hours_default_to_the_nearest_half_hour(minutes, hours):
    assert default_hours(minutes) == hours


def test_quiz_settings_defaults(tmp_path):
    result = read(tmp_path, {"01-q.md": quiz(TWO_QUESTIONS)})
    assert result.problems == []
    assert result.course.modules[0].quiz == QuizSettings()
    assert QuizSettings() == QuizSettings(70, None, None, False, None, "best", "after_submit")


def test_quiz_settings_all_set(tmp_path):
    body = quiz(TWO_QUESTIONS, pass_mark=0, max_attempts=1, time_limit="1h30m",
                shuffle="true", pick=2, grading="last", review="never")
    result = read(tmp_path, {"01-q.md": body})
    assert result.problems == []
    assert result.course.modules[0].quiz == QuizSettings(0, 1, 5400, True, 2, "last", "never")


def test_unlimited_attempts_can_be_written_out(tmp_path):
    result = read(tmp_path, {"01-q.md": quiz(TWO_QUESTIONS, max_attempts="unlimited")})
    assert result.course.modules[0].quiz.max_attempts is None


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("pass_mark", 101, "pass_mark: must be a whole number from 0 to 100, not '101'"),
        ("pass_mark", -1, "pass_mark: must be a whole number from 0 to 100, not '-1'"),
        ("pass_mark", 75.5, "pass_mark: must be a whole number from 0 to 100, not '75.5'"),
        ("max_attempts", 0, "max_attempts: must be a whole number of at least 1, not '0'"),
        ("pick", 0, "pick: must be a whole number from 1 to 2, not '0'"),
        ("pick", 3, "pick: must be a whole number from 1 to 2, not '3'"),
        ("grading", "first", "grading: 'first' is not allowed; use 'best' or 'last'"),
        ("review", "always", "review: 'always' is not allowed; use 'after_submit' or "
                             "'after_pass' or 'never'"),
        ("time_limit", "20 minutes", "time_limit: '20 minutes' is not a duration"),
        ("shuffle", "sometimes", "shuffle: 'sometimes' is not true or false"),
    ],
)
def test_bad_quiz_settings_are_errors_at_their_line(tmp_path, key, value, message):
    result = read(tmp_path, {"01-q.md": quiz(TWO_QUESTIONS, **{key: value})})
    [problem] = result.problems
    assert str(problem).startswith(f"demo-course/01-q.md:4: error: {message}")
    assert result.course is None


def test_yes_and_no_are_accepted_for_switches(tmp_path):
    result = read(tmp_path, {"01-q.md": quiz(TWO_QUESTIONS, shuffle="yes")})
    assert messages(result) == []
    assert result.course.modules[0].quiz.shuffle is True


def test_authors_given_by_email_own_the_course_and_are_not_shown(tmp_path):
    folder = write_course(tmp_path, "owned", {
        "course.md": course_md(authors="[Policy Unit, Ana.Diaz@Example.org, b@example.org]"),
        "01-a.md": lesson("A")})
    course = read_course(folder).course
    assert course.authors == ("Policy Unit",)
    assert course.owners == ("ana.diaz@example.org", "b@example.org")
    assert course.owners_line == 4


def test_malformed_author_email_is_an_error_at_its_line(tmp_path):
    folder = write_course(tmp_path, "owned", {
        "course.md": course_md(authors="[Policy Unit, ana@@example, x@y]"),
        "01-a.md": lesson("A")})
    result = read_course(folder)
    assert result.course is None
    assert [str(p) for p in result.errors] == [
        "owned/course.md:4: error: authors: 'ana@@example' is not an email address such as "
        "author@example.org",
        "owned/course.md:4: error: authors: 'x@y' is not an email address such as "
        "author@example.org",
    ]
