"""A learner signs in, enrols, works through lessons, leaves, comes back and continues."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width
from tests.conftest import PASSWORD
from tests.helpers import course_md, lesson, publish, write_course

pytestmark = pytest.mark.browser


@pytest.fixture
def four_lessons(app, tmp_path):
    files = {"course.md": course_md("Consular assistance", "Helping nationals abroad.",
                                    duration="1h")}
    for n, title in enumerate(("Lost passports", "Arrests", "Deaths abroad", "Evacuations"), 1):
        files[f"0{n}-{title.split()[0].lower()}.md"] = lesson(
            title, f"What to do about {title.lower()}.", duration="15m")
    write_course(tmp_path, "consular-assistance", files)
    publish(app, tmp_path)


def test_enrol_learn_leave_return_and_continue(page, axe, learner, four_lessons):
    page.goto("/courses/consular-assistance/")
    page.get_by_role("link", name="Sign in to enrol").click()
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    page.get_by_label("Email address").fill(learner.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Consular assistance")).to_be_visible()

    page.get_by_role("button", name="Enrol in this course").click()
    expect(page.get_by_text("You are enrolled.")).to_be_visible()
    expect(page.get_by_text("0% (0 of 4 modules)")).to_be_visible()

    page.get_by_role("link", name="Continue").click()
    expect(page.get_by_role("heading", level=1, name="Lost passports")).to_be_visible()
    assert_fits_width(page)
    axe(page)
    page.get_by_role("button", name="Mark as done").click()
    # Marking a lesson done leads on to the next one.
    expect(page.get_by_text("Marked as done. Course progress: 25%.")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Arrests")).to_be_visible()
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_role("heading", level=1, name="Deaths abroad")).to_be_visible()
    expect(page.get_by_role("complementary", name="Modules").get_by_text("done")).to_have_count(2)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    expect(page.get_by_text("50% (2 of 4 modules)")).to_be_visible()
    assert_fits_width(page)
    axe(page)

    page.get_by_role("link", name="Consular assistance", exact=True).click()
    page.get_by_role("button", name="Leave this course").click()
    expect(page.get_by_text("You have left the course.")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    expect(page.get_by_text("You are not following any course yet.")).to_be_visible()
    axe(page)

    page.get_by_role("link", name="Browse the courses").click()
    page.get_by_role("link", name="Consular assistance").click()
    expect(page.get_by_text("You left this course. Enrol again")).to_be_visible()
    page.get_by_role("button", name="Enrol in this course").click()
    expect(page.get_by_text("50% (2 of 4 modules)")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="My learning").click()
    page.get_by_role("link", name="Continue Consular assistance").click()
    expect(page.get_by_role("heading", level=1, name="Deaths abroad")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as done")).to_be_visible()
    axe(page)

