"""Quiz scores, pass marks and item analysis figures in the reader's language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ecampus.catalog.models import Module
from ecampus.extensions import db
from ecampus.quizzes.models import Attempt
from tests.quizzes.conftest import QUIZ_AUTHOR, correct_form, wrong_form

NBSP = "\u00a0"


def _module_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Module.id).where(Module.slug == "check"))


def _take(app, client, good: bool) -> int:
    response = client.submit(f"/quizzes/{_module_id(app)}/start")
    attempt_id = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
    with app.app_context():
        questions = db.session.get(Attempt, attempt_id).questions
    form = correct_form(questions) if good else wrong_form(questions)
    client.submit(f"/quizzes/attempts/{attempt_id}", {**form, "action": "submit-anyway"})
    return attempt_id


@pytest.mark.parametrize(("language", "score", "mark"), [
    ("es", f"100{NBSP}%", f"70{NBSP}%"),
    ("fr", f"100{NBSP}%", f"70{NBSP}%"),
    ("en", "100%", "70%"),
])
def test_score_and_pass_mark_follow_the_learners_language(app, client, make_user, quiz_course,
                                                         language, score, mark):
    quiz_course()
    learner = make_user(language=language)
    client.sign_in(learner.email)
    client.submit("/learning/courses/quiz-course/enrol")
    attempt_id = _take(app, client, good=True)
    result = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert score in result and "100.0%" not in result
    quiz_page = client.get("/courses/quiz-course/check/").get_data(as_text=True)
    assert mark in quiz_page and score in quiz_page


@pytest.mark.parametrize(("language", "facility"), [("es", f"66,7{NBSP}%"),
                                                    ("fr", f"66,7{NBSP}%")])
def test_item_analysis_figures_follow_the_authors_language(app, quiz_course, make_user,
                                                           language, facility):
    quiz_course()
    for good in (True, False, True):
        client = app.test_client()
        client.sign_in(make_user().email)
        client.submit("/learning/courses/quiz-course/enrol")
        _take(app, client, good)
    client = app.test_client()
    client.sign_in(make_user("author", email=QUIZ_AUTHOR, language=language).email)
    page = client.get(f"/quizzes/{_module_id(app)}/analysis").get_data(as_text=True)
    assert facility in page and "66.7%" not in page
