"""Item analysis pages: for the course's authors and admins only, per version, with CSV and
a chart."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select

from ecampus.catalog.models import Module
from ecampus.extensions import db
from tests.quizzes.conftest import QUIZ_AUTHOR, correct_form, wrong_form


def _module_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Module.id).where(Module.slug == "check"))


def _take(app, client, good: bool):
    response = client.submit(f"/quizzes/{_module_id(app)}/start")
    attempt_id = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
    from ecampus.quizzes.models import Attempt

    with app.app_context():
        questions = db.session.get(Attempt, attempt_id).questions
    form = correct_form(questions) if good else wrong_form(questions)
    client.submit(f"/quizzes/attempts/{attempt_id}", {**form, "action": "submit-anyway"})


def test_author_sees_item_analysis_with_chart_and_csv(app, quiz_course, make_user):
    quiz_course()
    for good in (True, False, True):
        learner = make_user()
        client = app.test_client()
        client.sign_in(learner.email)
        client.submit("/learning/courses/quiz-course/enrol")
        _take(app, client, good)
    author = make_user("author", email=QUIZ_AUTHOR)
    client = app.test_client()
    client.sign_in(author.email)
    page = client.get(f"/quizzes/{_module_id(app)}/analysis").get_data(as_text=True)
    assert "3 graded attempts" in page
    assert '<svg role="img"' in page and "Facility index by question" in page
    assert "66.7%" in page  # two of three answered each question right
    response = client.get(f"/quizzes/{_module_id(app)}/analysis.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["position", "id", "type"] and len(rows) == 8


def test_learner_cannot_see_item_analysis(app, quiz_course, learner, client):
    quiz_course()
    client.sign_in(learner.email)
    assert client.get(f"/quizzes/{_module_id(app)}/analysis").status_code == 403
    assert client.get(f"/quizzes/{_module_id(app)}/analysis.csv").status_code == 403


def test_author_of_other_courses_cannot_see_item_analysis_nor_its_link(app, quiz_course,
                                                                       make_user):
    quiz_course()
    client = app.test_client()
    client.sign_in(make_user("author").email)
    assert client.get(f"/quizzes/{_module_id(app)}/analysis").status_code == 404
    assert client.get(f"/quizzes/{_module_id(app)}/analysis.csv").status_code == 404
    page = client.get("/courses/quiz-course/check/").get_data(as_text=True)
    assert "Item analysis for authors" not in page


def test_course_author_sees_the_item_analysis_link(app, quiz_course, make_user):
    quiz_course()
    client = app.test_client()
    client.sign_in(make_user("author", email=QUIZ_AUTHOR).email)
    page = client.get("/courses/quiz-course/check/").get_data(as_text=True)
    assert f"/quizzes/{_module_id(app)}/analysis" in page


def test_unknown_version_is_404(app, quiz_course, admin, client):
    quiz_course()
    client.sign_in(admin.email)
    assert client.get(f"/quizzes/{_module_id(app)}/analysis?version=9").status_code == 404


def test_option_counts_name_the_authors_options_not_the_form_tokens(app, quiz_course,
                                                                      make_user):
    quiz_course()
    for good in (True, False, True):
        learner = make_user()
        client = app.test_client()
        client.sign_in(learner.email)
        client.submit("/learning/courses/quiz-course/enrol")
        _take(app, client, good)
    author = make_user("author", email=QUIZ_AUTHOR)
    client = app.test_client()
    client.sign_in(author.email)
    response = client.get(f"/quizzes/{_module_id(app)}/analysis.csv")
    rows = {row[1]: row for row in csv.reader(io.StringIO(response.get_data(as_text=True)))}
    assert rows["forum"][-1] == "a:1; b:2; c:0"
    assert rows["stages"][4] == "66.7"  # orderings answered by position are analysed too
