"""Answers that cannot be graded as sent, and hostile ones, through the real routes.

An ordering with a position used twice or left out is shown again with every answer kept
and a message tied to its question; nothing hostile ever gets a server error.
"""

from __future__ import annotations

import random
import re

import pytest

from ecampus.extensions import db
from ecampus.quizzes.attempts import with_tokens
from ecampus.quizzes.models import Attempt
from tests.quizzes.conftest import correct_form, field, option_value
from tests.quizzes.test_attempts import _attempt, _post, _start


def _question(app, attempt_id, question_id) -> dict:
    return next(q for q in _attempt(app, attempt_id).questions if q["id"] == question_id)


def _ordering(question, positions: list[str]) -> dict[str, list[str]]:
    """Fields giving the key's items, in the key's order, these positions."""
    return {field(question, item["id"]): [p]
            for item, p in zip(question["items"], positions, strict=True)}


def _selected(page: str, name: str) -> str:
    select = re.search(rf'<select id="{name}".*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option value="(\d*)" selected>', select)
    return chosen.group(1) if chosen else ""


def test_submit_with_a_position_used_twice_is_not_graded_and_says_which(app, enrolled):
    attempt_id = _start(app, enrolled)
    stages = _question(app, attempt_id, "stages")
    year = _question(app, attempt_id, "year")
    form = {**_ordering(stages, ["1", "1", "2"]), field(year): ["2018"]}
    response = _post(enrolled, attempt_id, form, "submit")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Position 1 is given to more than one item." in page
    assert "Position 3 is not used." in page
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "open" and attempt.score is None
    # Every answer is kept, on the page and saved, ties included.
    assert f'name="{field(year)}" value="2018"' in page
    assert [_selected(page, field(stages, i)) for i in ("1", "2", "3")] == ["1", "1", "2"]
    assert attempt.responses["stages"] == {"1": 1, "2": 1, "3": 2}
    assert "Your answers are saved but not submitted yet." in page


def test_the_error_is_announced_and_linked_from_a_summary(app, enrolled):
    attempt_id = _start(app, enrolled)
    stages = _question(app, attempt_id, "stages")
    token = stages["token"]
    page = _post(enrolled, attempt_id, _ordering(stages, ["2", "2", "2"]), "submit"
                 ).get_data(as_text=True)
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', page, re.S).group(0)
    assert f'href="#question-{token}"' in summary
    assert "Question 6:" in summary and "Positions 1, 3 are not used." in summary
    assert re.search(rf'<fieldset[^>]*id="question-{token}"[^>]*'
                     rf'aria-describedby="prompt-{token} error-{token}"', page)
    assert f'<p class="field-error" id="error-{token}">' in page
    selects = re.findall(rf'<select id="{field(stages)}-\w+"[^>]*>', page)
    assert len(selects) == 3 and all('aria-invalid="true"' in s for s in selects)


def test_submit_with_some_positions_missing_is_not_graded(app, enrolled):
    attempt_id = _start(app, enrolled)
    stages = _question(app, attempt_id, "stages")
    response = _post(enrolled, attempt_id, _ordering(stages, ["3", "", ""]), "submit")
    assert response.status_code == 400
    assert "2 items have no position." in response.get_data(as_text=True)
    assert _attempt(app, attempt_id).status == "open"


def test_corrected_answers_then_submit_and_grade(app, enrolled):
    attempt_id = _start(app, enrolled)
    questions = _attempt(app, attempt_id).questions
    stages = _question(app, attempt_id, "stages")
    _post(enrolled, attempt_id, _ordering(stages, ["1", "1", "1"]), "submit")
    response = _post(enrolled, attempt_id, correct_form(questions), "submit")
    assert response.status_code == 303
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "graded" and attempt.score == 100.0


def test_save_keeps_an_incomplete_ordering_without_complaint(app, enrolled):
    attempt_id = _start(app, enrolled)
    stages = _question(app, attempt_id, "stages")
    response = _post(enrolled, attempt_id, _ordering(stages, ["2", "2", ""]), "save")
    assert response.status_code == 303
    assert _attempt(app, attempt_id).responses["stages"] == {"1": 2, "2": 2}
    page = enrolled.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert [_selected(page, field(stages, i)) for i in ("1", "2", "3")] == ["2", "2", ""]


def test_a_tie_saved_earlier_is_never_graded_right_at_the_deadline(app, client, learner,
                                                                     quiz_course):
    quiz_course("time_limit: 20m")
    client.sign_in(learner.email)
    client.submit("/learning/courses/quiz-course/enrol")
    attempt_id = _start(app, client)
    stages = _question(app, attempt_id, "stages")
    _post(client, attempt_id, _ordering(stages, ["1", "1", "1"]), "save")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline = attempt.started_at
        db.session.commit()
    client.get(f"/quizzes/attempts/{attempt_id}")
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "graded" and attempt.question_scores["stages"] == 0.0


def test_a_numeric_answer_that_is_not_a_number_is_shown_again_not_graded(app, enrolled):
    attempt_id = _start(app, enrolled)
    share = _question(app, attempt_id, "share")
    response = _post(enrolled, attempt_id, {field(share): ["3.6 %"]}, "submit")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Write a number in plain digits" in page
    assert 'value="3.6 %"' in page and 'aria-invalid="true"' in page
    assert _attempt(app, attempt_id).status == "open"


POSITIONS = ["²", "①", "٣", "99999999999999999999999", "-1", "0", "4", "1\x00", "\x00",
             "1e309", "nan", "inf", "x" * 10_000, "\ufffd", "\x01"]
NUMBERS = ["1e309", "nan", "inf", "-inf", "9" * 400, "\x00", "3\x1b.6", "x" * 10_000]
FORMS = [
    "short answer with NUL", "short answer with a control character", "unknown question",
    "question id instead of token", "unknown option", "option id instead of token",
    "NUL in a field name", "NUL in an option", "radio sent twice", "position sent twice",
    "matching value from the left", "matching unknown left",
]
HOSTILE = ([("position", v) for v in POSITIONS] + [("number", v) for v in NUMBERS]
           + [("form", name) for name in FORMS])


def _hostile_form(questions, kind: str, value: str):
    """A hostile form, and the question whose message it should get (None: form-wide)."""
    by_id = {q["id"]: q for q in questions}
    stages, share, principle = by_id["stages"], by_id["share"], by_id["principle"]
    forum, instruments = by_id["forum"], by_id["instruments"]
    item = field(stages, "1")
    positions = {item: ["1"], field(stages, "2"): ["2"], field(stages, "3"): ["3"]}
    if kind == "position":
        return {**positions, item: [value]}, "stages"
    if kind == "number":
        return {field(share): [value]}, "share"
    return {
        "short answer with NUL": ({field(principle): ["non\x00refoulement"]}, "principle"),
        "short answer with a control character": (
            {field(principle): ["non\x07refoulement"]}, "principle"),
        "unknown question": ({"q-nosuchtoken": ["1"]}, None),
        "question id instead of token": ({"q-forum": ["b"]}, None),
        "unknown option": ({field(forum): ["nosuchtoken"]}, None),
        "option id instead of token": ({field(forum): ["b"]}, None),
        "NUL in a field name": ({field(forum) + "\x00": [option_value(forum, "b")]}, None),
        "NUL in an option": ({field(forum): ["\x00"]}, None),
        "radio sent twice": (
            {field(forum): [option_value(forum, "a"), option_value(forum, "b")]}, None),
        "position sent twice": ({**positions, item: ["1", "2"]}, None),
        "matching value from the left": (
            {field(instruments, "1"): [instruments["tokens"]["1"]]}, None),
        "matching unknown left": ({field(instruments) + "-zz": ["1"]}, None),
    }[value]


@pytest.mark.parametrize("action", ["submit", "save"])
@pytest.mark.parametrize(("kind", "value"), HOSTILE, ids=lambda v: ascii(v)[:20])
def test_hostile_answers_get_a_clear_message_never_a_server_error(app, enrolled, kind, value,
                                                                  action):
    attempt_id = _start(app, enrolled)
    questions = _attempt(app, attempt_id).questions
    form, question_id = _hostile_form(questions, kind, value)
    response = _post(enrolled, attempt_id, form, action)
    page = response.get_data(as_text=True)
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "open"
    if response.status_code == 303:
        # Only a number that is no number may be saved as typed, to be corrected later.
        assert action == "save" and kind == "number"
        return
    assert response.status_code == 400
    if any("\x00" in text for name, values in form.items() for text in (name, *values)):
        # Refused at the door for every route, before the quiz sees it.
        assert "Characters that cannot be read" in page and attempt.responses == {}
        return
    assert "Please correct the following:" in page
    if question_id is None:
        assert "not part of this attempt" in page and attempt.responses == {}
    else:
        token = next(q["token"] for q in questions if q["id"] == question_id)
        assert f'<p class="field-error" id="error-{token}">' in page
    assert "\x00" not in page


def test_an_attempt_started_before_form_tokens_can_be_resumed_and_submitted(app, enrolled):
    attempt_id = _start(app, enrolled)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        old = [{k: v for k, v in q.items() if k not in ("token", "tokens", "value_tokens")}
               for q in attempt.questions]
        attempt.questions = old
        # Ordering answers were saved as the items in order.
        attempt.responses = {"stages": ["1", "2", "3"], "year": "2018"}
        db.session.commit()
    page = enrolled.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    questions = _attempt(app, attempt_id).questions
    stages = next(q for q in questions if q["id"] == "stages")
    assert "q-stages" not in page and field(stages) in page
    assert [_selected(page, field(stages, i)) for i in ("1", "2", "3")] == ["1", "2", "3"]
    # Upgrading again (another tab at the same time) writes the very same tokens.
    enrolled.get(f"/quizzes/attempts/{attempt_id}")
    assert _attempt(app, attempt_id).questions == questions
    assert _post(enrolled, attempt_id, correct_form(questions), "submit").status_code == 303
    assert _attempt(app, attempt_id).score == 100.0


def test_a_graded_attempt_from_before_form_tokens_keeps_its_review(app, enrolled):
    attempt_id = _start(app, enrolled)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        questions = [{k: v for k, v in q.items() if k not in ("token", "tokens", "value_tokens")}
                     for q in attempt.questions]
        attempt.questions = questions
        attempt.responses = {"stages": ["1", "2", "3"], "instruments": {"1": "2"}}
        attempt.status, attempt.score, attempt.passed = "graded", 20.0, False
        attempt.question_scores = {"stages": 1.0}
        db.session.commit()
    page = enrolled.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Review your answers" in page and "you chose another answer" in page
    assert _attempt(app, attempt_id).questions == questions  # a graded attempt is left alone
    assert with_tokens(questions, random.Random(1)) != questions
