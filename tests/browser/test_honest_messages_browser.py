"""Messages that say what is true: a dashboard with everything completed, and an import
preview with errors, read in a real browser at a phone's width with no axe violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width, sign_in
from tests.browser.test_institutions_browser import cohort_id  # noqa: F401 (a fixture)
from tests.helpers import publish, simple_course

pytestmark = pytest.mark.browser


def test_dashboard_says_every_course_is_completed(app, tmp_path, page, axe, learner):
    simple_course(tmp_path, "short-course", modules=1, title="Short course")
    publish(app, tmp_path)
    page.goto("/courses/short-course/")
    sign_in(page, learner.email)
    page.goto("/courses/short-course/")
    page.get_by_role("button", name="Enrol in this course").click()
    page.get_by_role("link", name="Lesson 1").first.click()
    page.get_by_role("button", name="Mark as done").click()
    page.goto("/learning/")
    expect(page.get_by_text("You have completed every course you follow.")).to_be_visible()
    expect(page.get_by_text("You are not following any course yet.")).to_have_count(0)
    assert_fits_width(page)
    axe(page)


def test_a_preview_with_errors_promises_nothing(app, page, axe, cohort_id, tmp_path):  # noqa: F811
    upload = tmp_path / "staff.csv"
    upload.write_text("email,full_name\nana@example.gov,Ana López\nnot-an-address,Jean\n")
    page.goto("/")
    sign_in(page, "manager@ministry.example")
    page.goto(f"/institutions/cohorts/{cohort_id}/import")
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Nothing will be applied")).to_be_visible()
    expect(page.get_by_text("will be invited by email")).to_have_count(0)
    expect(page.get_by_role("button", name="Confirm and apply")).to_have_count(0)
    assert_fits_width(page)
    axe(page)
