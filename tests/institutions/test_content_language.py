"""Course titles in another language than the manager's page are marked with their `lang`
(and `dir` for right-to-left text) on the cohort and report pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ecampus.catalog.models import Course
from ecampus.extensions import db
from tests.catalog.test_content_language import ARABIC_TITLE, _marked
from tests.helpers import course_md, lesson, publish, write_course


@pytest.fixture
def arabic_course(app, tmp_path) -> int:
    write_course(tmp_path, "hijra", {
        "course.md": course_md(ARABIC_TITLE, "مقدمة عن الهجرة.", language="ar"),
        "01-madkhal.md": lesson("مدخل", "نص الدرس."),
    })
    publish(app, tmp_path)
    with app.app_context():
        return db.session.scalar(select(Course.id).where(Course.slug == "hijra"))


@pytest.fixture
def arabic_cohort(institution, make_cohort, make_member, manager_client, arabic_course):
    cohort_id = make_cohort(institution, course_ids=[arabic_course])
    member = make_member(name="Layla Haddad")
    response = manager_client.submit(f"/institutions/cohorts/{cohort_id}/members",
                                     {"email": member.email})
    assert response.status_code == 302
    return cohort_id


def test_cohort_page_marks_the_arabic_course_title(manager_client, arabic_cohort):
    page = manager_client.get(f"/institutions/cohorts/{arabic_cohort}").get_data(as_text=True)
    assert '<html lang="en"' in page
    assert 'lang="ar" dir="rtl"' in _marked(page, ARABIC_TITLE)


def test_report_marks_the_arabic_course_title_in_figures_and_lines(manager_client,
                                                                   arabic_cohort):
    page = manager_client.get(
        f"/institutions/cohorts/{arabic_cohort}/report").get_data(as_text=True)
    assert page.count(ARABIC_TITLE) >= 2  # the figures table and the learner's line
    assert 'lang="ar" dir="rtl"' in _marked(page, ARABIC_TITLE)
    marked = page.count(f'dir="rtl">{ARABIC_TITLE}')
    assert marked == page.count(f">{ARABIC_TITLE}<"), "an Arabic title is left unmarked"
