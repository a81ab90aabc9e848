"""A learner takes a quiz with every question type, fails, retakes, passes and reviews."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width, sign_in
from tests.helpers import publish
from tests.quizzes.conftest import write_quiz_course

pytestmark = pytest.mark.browser


@pytest.fixture
def quiz_page(app, tmp_path, page, learner):
    """A signed-in, enrolled learner looking at the quiz page."""
    write_quiz_course(tmp_path)
    publish(app, tmp_path)
    page.goto("/courses/quiz-course/")
    sign_in(page, learner.email)
    page.goto("/courses/quiz-course/")
    page.get_by_role("button", name="Enrol in this course").click()
    page.get_by_role("link", name="Check your knowledge").click()
    return page


def question(page, n):
    return page.get_by_role("group", name=f"Question {n} of 7")


def focused(page) -> str:
    return page.evaluate("document.activeElement.labels?.[0]?.textContent"
                         " || document.activeElement.textContent")


def answer_wrongly(page):
    # Keyboard only for the first two questions: Tab into the radio group, Space to choose,
    # Tab to the checkboxes, Space to tick one.
    page.get_by_role("link", name="Back to the quiz page").focus()
    page.keyboard.press("Tab")
    assert focused(page) == "The UN Security Council"
    page.keyboard.press("Space")
    expect(question(page, 1).get_by_label("The UN Security Council")).to_be_checked()
    page.keyboard.press("Tab")
    assert focused(page) == "Voluntary repatriation"
    for _ in range(3):
        page.keyboard.press("Tab")
    assert focused(page) == "Detention"
    page.keyboard.press("Space")
    expect(question(page, 2).get_by_label("Detention")).to_be_checked()

    question(page, 3).get_by_label("Your answer (a number)").fill("1951")
    question(page, 4).get_by_label("Your answer (a number)").fill("12")
    question(page, 5).get_by_label("Your answer").fill("asylum")
    stages = question(page, 6)
    stages.get_by_label("Announce the consultation").select_option("3")
    stages.get_by_label("Collect contributions").select_option("1")
    stages.get_by_label("Publish a summary").select_option("2")
    instruments = question(page, 7)
    instruments.get_by_label("Palermo Protocol").select_option(label="Refugee status")
    instruments.get_by_label("1951 Convention").select_option(label="Rights of migrant workers")
    instruments.get_by_label("ICRMW").select_option(label="Trafficking in persons")


def answer_well(page):
    # The radio group again by keyboard: Tab in, then the arrow key moves the choice.
    page.get_by_role("link", name="Back to the quiz page").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    assert focused(page) == "The International Migration Review Forum"
    expect(question(page, 1).get_by_label("The International Migration Review Forum")
           ).to_be_checked()
    durable = question(page, 2)
    durable.get_by_label("Voluntary repatriation").check()
    durable.get_by_label("Local integration").check()  # two of three: partial credit
    question(page, 3).get_by_label("Your answer (a number)").fill("2018")
    question(page, 4).get_by_label("Your answer (a number)").fill("3.7")  # within ± 0.2
    question(page, 5).get_by_label("Your answer").fill("Non-refoulement")
    stages = question(page, 6)
    stages.get_by_label("Announce the consultation").select_option("1")
    stages.get_by_label("Collect contributions").select_option("2")
    stages.get_by_label("Publish a summary").select_option("3")
    instruments = question(page, 7)
    instruments.get_by_label("Palermo Protocol").select_option(label="Trafficking in persons")
    instruments.get_by_label("1951 Convention").select_option(label="Refugee status")
    instruments.get_by_label("ICRMW").select_option(label="Rights of migrant workers")


def test_fail_retake_pass_and_review(quiz_page, axe):
    page = quiz_page
    expect(page.get_by_role("heading", name="About this quiz")).to_be_visible()
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.get_by_role("heading", level=1, name="Quiz attempt 1")).to_be_visible()
    expect(question(page, 3)).to_contain_text("Question 3 of 7 · 2 points")
    assert_fits_width(page)
    axe(page)

    answer_wrongly(page)
    page.get_by_role("button", name="Submit my answers").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Result of attempt 1")).to_be_visible()
    expect(page.get_by_text("Your score: 0% · Not passed: the pass mark is 70%.")).to_be_visible()
    expect(page.get_by_text("Incorrect")).to_have_count(7)
    assert_fits_width(page)
    axe(page)

    page.get_by_role("link", name="Back to the quiz page").click()
    page.get_by_role("button", name="Start a new attempt").click()
    expect(page.get_by_role("heading", level=1, name="Quiz attempt 2")).to_be_visible()
    answer_well(page)
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", level=1, name="Result of attempt 2")).to_be_visible()
    expect(page.get_by_text("Your score: 95.8% · Passed")).to_be_visible()
    expect(page.get_by_role("heading", name="Review your answers")).to_be_visible()
    expect(page.get_by_text("Partly correct (67%)")).to_be_visible()
    expect(page.get_by_text("Correct", exact=True)).to_have_count(6)
    expect(page.get_by_text("Your answer: 3.7")).to_be_visible()
    expect(page.get_by_text("Accepted: 3.6 ± 0.2")).to_be_visible()
    assert_fits_width(page)
    axe(page)

    page.get_by_role("link", name="Back to the quiz page").click()
    attempts = page.get_by_role("table", name="Your attempts")
    expect(attempts.get_by_role("row")).to_have_count(3)
    assert_fits_width(page)
    attempts.get_by_role("link", name="Review attempt 1").click()
    expect(page.get_by_role("heading", level=1, name="Result of attempt 1")).to_be_visible()
    expect(page.get_by_text("The result that counts for this quiz: 95.8%")).to_be_visible()


def test_a_position_used_twice_is_shown_before_grading_with_every_answer_kept(quiz_page, axe):
    page = quiz_page
    page.get_by_role("button", name="Start the quiz").click()
    question(page, 3).get_by_label("Your answer (a number)").fill("2018")
    stages = question(page, 6)
    stages.get_by_label("Announce the consultation").select_option("1")
    stages.get_by_label("Collect contributions").select_option("1")
    stages.get_by_label("Publish a summary").select_option("2")
    page.get_by_role("button", name="Submit my answers").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Please correct the following:")
    expect(summary).to_contain_text("Position 1 is given to more than one item.")
    expect(page.get_by_role("heading", level=1, name="Quiz attempt 1")).to_be_visible()
    stages = question(page, 6)
    expect(stages).to_have_accessible_description(re.compile("Position 3 is not used."))
    expect(stages.get_by_label("Collect contributions")).to_have_value("1")
    expect(question(page, 3).get_by_label("Your answer (a number)")).to_have_value("2018")
    assert_fits_width(page)
    axe(page)

    summary.get_by_role("link").click()
    assert page.url.endswith("#" + stages.get_attribute("id"))
    stages.get_by_label("Collect contributions").select_option("2")
    stages.get_by_label("Publish a summary").select_option("3")
    page.get_by_role("button", name="Submit my answers").click()
    # Five questions are still blank: the page names them and asks before grading.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Some questions are not answered yet")
    expect(summary.get_by_role("link")).to_have_count(5)
    expect(summary.get_by_role("link").first).to_have_text("Question 1 is not answered.")
    expect(question(page, 6).get_by_label("Publish a summary")).to_have_value("3")
    expect(question(page, 3).get_by_label("Your answer (a number)")).to_have_value("2018")
    assert_fits_width(page)
    axe(page)
    page.get_by_role("button", name="Submit anyway").click()
    expect(page.get_by_role("heading", level=1, name="Result of attempt 1")).to_be_visible()
