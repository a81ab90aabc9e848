"""Course content in another language than the page's is marked with its `lang` (and `dir`
for right-to-left text) on the catalog, course, lesson and dashboard pages."""

from __future__ import annotations

import re

import pytest

from tests.helpers import course_md, lesson, publish, write_course

ARABIC_TITLE = "الهجرة والتنقل"


@pytest.fixture
def courses(app, tmp_path):
    write_course(tmp_path, "hijra", {
        "course.md": course_md(ARABIC_TITLE, "مقدمة عن الهجرة.", language="ar"),
        "01-madkhal.md": lesson("مدخل", "نص الدرس."),
    })
    write_course(tmp_path, "english-only", {
        "course.md": course_md("Border data", "Counting crossings."),
        "01-counting.md": lesson("Counting", "How to count."),
    })
    publish(app, tmp_path)


def _marked(page: str, text: str) -> str:
    """The start tag of the innermost element holding `text` with a lang attribute."""
    tags = re.findall(r"<[a-z0-9]+ [^>]*lang=[^>]*>(?:[^<]*<[^/][^>]*>)*[^<]*" + re.escape(text),
                      page)
    assert tags, f"{text!r} is not inside an element with lang"
    return re.match(r"<[^>]*>", tags[-1]).group(0)


@pytest.fixture
def spanish_reader(client, make_user):
    reader = make_user(language="es")
    client.sign_in(reader.email)
    return client


def test_catalog_marks_each_course_in_its_language(spanish_reader, courses):
    page = spanish_reader.get("/courses/").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in _marked(page, ARABIC_TITLE)
    assert 'lang="en"' in _marked(page, "Border data")
    assert 'dir=' not in _marked(page, "Border data")
    # The interface around the course stays in the page's language, unmarked.
    assert '<li class="card">' in page


def test_course_and_lesson_pages_mark_the_arabic_text(spanish_reader, courses):
    course = spanish_reader.get("/courses/hijra/").get_data(as_text=True)
    assert '<html lang="es"' in course
    assert 'lang="ar" dir="rtl"' in _marked(course, ARABIC_TITLE)
    assert 'lang="ar" dir="rtl"' in _marked(course, "مدخل")
    lesson_page = spanish_reader.get("/courses/hijra/madkhal/").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in _marked(lesson_page, "نص الدرس.")
    assert 'lang="ar" dir="rtl"' in _marked(lesson_page, ARABIC_TITLE)


def test_dashboard_marks_the_course_title(spanish_reader, courses):
    spanish_reader.submit("/learning/courses/hijra/enrol")
    spanish_reader.submit("/learning/courses/english-only/enrol")
    page = spanish_reader.get("/learning/").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in _marked(page, ARABIC_TITLE)
    assert 'lang="en"' in _marked(page, "Border data")
