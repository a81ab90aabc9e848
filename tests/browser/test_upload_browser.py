"""An author uploads a course zip, sees the error at path:line, fixes it and publishes, in a
real browser at a phone's width, with no accessibility violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ecampus.catalog.models import Course
from ecampus.extensions import db
from tests.browser.steps import assert_fits_width, sign_in
from tests.sources.test_upload import course_zip

pytestmark = pytest.mark.browser


def test_author_uploads_sees_the_error_fixes_it_and_publishes(app, page, axe, author,
                                                              tmp_path):
    broken = tmp_path / "road-safety.zip"
    broken.write_bytes(course_zip(authors=author.email, broken=True))
    fixed = tmp_path / "road-safety-fixed.zip"
    fixed.write_bytes(course_zip(authors=author.email))

    page.goto("/")
    sign_in(page, author.email)
    page.get_by_role("link", name="Upload a course").click()
    expect(page.get_by_role("heading", name="Upload a course", level=1)).to_be_visible()
    axe(page)
    assert_fits_width(page)

    page.get_by_label("Zip of the course folder").set_input_files(str(broken))
    page.get_by_role("button", name="Check and publish").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The course has errors")
    expect(alert).to_contain_text("road-safety/01-basics.md:4")
    axe(page)
    assert_fits_width(page)
    with app.app_context():
        assert db.session.scalar(select(Course.slug)) is None

    page.get_by_label("Zip of the course folder").set_input_files(str(fixed))
    page.get_by_role("button", name="Check and publish").click()
    expect(page.get_by_text("road-safety is published")).to_be_visible()
    axe(page)
    with app.app_context():
        assert db.session.scalar(select(Course.slug)) == "road-safety"
    page.goto("/courses/road-safety/")
    expect(page.get_by_role("heading", name="Road safety", level=1)).to_be_visible()


def test_admin_registers_a_source_and_reads_its_secret(app, page, axe, admin, tmp_path):
    page.goto("/")
    sign_in(page, admin.email)
    page.goto("/admin/")
    page.get_by_role("link", name="Course sources").click()
    page.get_by_label("Name").fill("ministry-courses")
    page.get_by_label("Repository").fill(str(tmp_path / "courses.git"))
    page.get_by_role("button", name="Add the source").click()
    expect(page.get_by_role("status")).to_contain_text("Source ministry-courses is registered")
    expect(page.get_by_role("button", name="Sync ministry-courses now")).to_be_visible()
    axe(page)
    assert_fits_width(page)
    page.get_by_role("button", name="Sync ministry-courses now").click()
    expect(page.get_by_text("will be published in the background")).to_be_visible()
    axe(page)
