"""Submitting with questions left blank: the page names them and asks to confirm, without
JavaScript, keeping every answer; "Submit anyway" then grades the attempt."""

from __future__ import annotations

from ecampus.quizzes.attempts import unanswered
from tests.quizzes.conftest import correct_form, field
from tests.quizzes.test_answer_problems import _question
from tests.quizzes.test_attempts import _attempt, _post, _start

QUESTIONS = [{"id": i} for i in ("single", "many", "text", "order", "pairs")]


def test_unanswered_names_every_kind_of_blank():
    blank = {"single": None, "many": [], "text": "  ", "order": None, "pairs": {}}
    assert unanswered(QUESTIONS, blank) == ["single", "many", "text", "order", "pairs"]
    given = {"single": "a", "many": ["b"], "text": "0", "order": {"1": 1}, "pairs": {"x": "y"}}
    assert unanswered(QUESTIONS, given) == []


def test_submit_with_blank_questions_asks_to_confirm_and_keeps_the_answers(app, enrolled):
    attempt_id = _start(app, enrolled)
    year = _question(app, attempt_id, "year")
    response = _post(enrolled, attempt_id, {field(year): ["2018"]}, "submit")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Some questions are not answered yet" in page
    assert "Question 1 is not answered." in page and "Question 3 is not answered." not in page
    assert page.count("Not answered yet.") == 6
    assert 'value="submit-anyway"' in page and 'value="submit"' not in page
    assert f'name="{field(year)}" value="2018"' in page
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "open" and attempt.responses["year"] == "2018"


def test_submit_anyway_grades_the_attempt_with_its_blanks(app, enrolled):
    attempt_id = _start(app, enrolled)
    year = _question(app, attempt_id, "year")
    response = _post(enrolled, attempt_id, {field(year): ["2018"]}, "submit-anyway")
    assert response.status_code == 303
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "graded" and attempt.question_scores["forum"] == 0.0


def test_a_complete_attempt_is_graded_without_a_question(app, enrolled):
    attempt_id = _start(app, enrolled)
    form = correct_form(_attempt(app, attempt_id).questions)
    assert _post(enrolled, attempt_id, form, "submit").status_code == 303
    assert _attempt(app, attempt_id).status == "graded"


def test_an_unreadable_number_is_refused_even_when_confirming(app, enrolled):
    attempt_id = _start(app, enrolled)
    share = _question(app, attempt_id, "share")
    response = _post(enrolled, attempt_id, {field(share): ["about 4"]}, "submit-anyway")
    assert response.status_code == 400
    assert "Write a number in plain digits" in response.get_data(as_text=True)
    assert _attempt(app, attempt_id).status == "open"
