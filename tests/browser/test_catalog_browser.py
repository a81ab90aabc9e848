"""A visitor searches the catalogue, opens a course, reads a lesson and switches its language."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width
from tests.helpers import course_md, lesson, publish, write_course

pytestmark = pytest.mark.browser

SAMPLES = Path(__file__).resolve().parents[2] / "courses"


@pytest.fixture
def sample_courses(app, tmp_path):
    """The real sample courses: long, realistic pages, in English, French and Spanish."""
    shutil.copytree(SAMPLES, tmp_path, dirs_exist_ok=True)
    publish(app, tmp_path)


@pytest.fixture
def partly_translated(app, tmp_path):
    """A course whose first lesson has a Spanish translation and whose second has none."""
    write_course(tmp_path, "border-health", {
        "course.md": course_md("Health at the border", "Screening travellers with dignity.",
                               "Public health duties at points of entry."),
        "course.es.md": "---\ntitle: Salud en la frontera\n"
                        "summary: Controles sanitarios dignos.\n---\n"
                        "Las funciones de salud pública en los puntos de entrada.\n",
        "01-duties.md": lesson("Duties at points of entry",
                               "States designate points of entry under the Regulations."),
        "01-duties.es.md": lesson("Funciones en los puntos de entrada",
                                  "Los Estados designan puntos de entrada según el Reglamento."),
        "02-screening.md": lesson("Screening travellers", "Ask before you measure."),
    })
    publish(app, tmp_path)


def test_search_open_a_course_and_read_a_lesson(page, axe, sample_courses):
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()
    assert_fits_width(page)
    axe(page)

    page.get_by_label("Search by title, summary or topic").fill("statistics")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("1 course")
    expect(page.get_by_role("link", name="Using Migration Data for Policy")).to_be_visible()
    expect(page.get_by_role("link", name="Introduction to Migration Governance")).to_have_count(0)
    expect(page.get_by_role("link", name="Identifying and Referring Victims of Trafficking"
                            )).to_have_count(0)

    page.get_by_label("Search by title, summary or topic").fill("governance")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Introduction to Migration Governance").click()
    expect(page.get_by_role("heading", level=1,
                            name="Introduction to Migration Governance")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in to enrol")).to_be_visible()
    assert_fits_width(page)
    axe(page)

    page.get_by_role("link", name="Who governs migration").click()
    expect(page.get_by_role("heading", level=1, name="Who governs migration")).to_be_visible()
    expect(page.get_by_role("complementary", name="Modules").get_by_text(
        "Who governs migration")).to_have_attribute("aria-current", "page")
    assert_fits_width(page)
    axe(page)


def test_switch_the_course_language_and_see_the_untranslated_notice(page, axe,
                                                                      partly_translated):
    page.goto("/courses/")
    page.get_by_role("link", name="Health at the border").click()
    page.get_by_role("link", name="Duties at points of entry").click()
    expect(page.get_by_text("States designate points of entry")).to_be_visible()

    languages = page.get_by_role("navigation", name="Course language")
    languages.get_by_role("link", name="Español").click()
    expect(page.get_by_role("heading", level=1,
                            name="Funciones en los puntos de entrada")).to_be_visible()
    expect(page.get_by_text("Los Estados designan puntos de entrada")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_attribute("lang", "es")
    expect(languages.get_by_text("Español")).to_have_attribute("aria-current", "true")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the interface stays English
    axe(page)

    page.get_by_role("link", name="Next: Screening travellers").click()
    notice = page.get_by_text("This module is not yet translated into Español; it is shown in "
                              "English.")
    expect(notice).to_be_visible()
    expect(page.get_by_text("Ask before you measure.")).to_be_visible()
    assert_fits_width(page)
    axe(page)

    page.get_by_role("navigation", name="Course language").get_by_role(
        "link", name="English").click()
    expect(page.get_by_text("not yet translated")).to_have_count(0)
