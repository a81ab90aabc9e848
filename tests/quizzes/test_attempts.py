"""Attempt lifecycle through the real routes: start, save, resume, submit, limits, review."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import select

from ecampus.catalog.models import Module
from ecampus.extensions import db
from ecampus.learning.models import ModuleCompletion
from ecampus.quizzes.models import Attempt
from tests.quizzes.conftest import QUIZ, correct_form, field, wrong_form


def _module_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Module.id).where(Module.slug == "check"))


def _start(app, client) -> int:
    response = client.submit(f"/quizzes/{_module_id(app)}/start")
    assert response.status_code == 302, response.headers.get("Location")
    return int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))


def _attempt(app, attempt_id) -> Attempt:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


def _enrol(client, learner, quiz_course, settings: str) -> None:
    """Publish the quiz course with `settings` and enrol the signed-in learner in it."""
    quiz_course(settings)
    client.sign_in(learner.email)
    client.submit("/learning/courses/quiz-course/enrol")


def _field(app, attempt_id, question_id) -> str:
    """The form field of one question of an attempt, as its page names it."""
    questions = _attempt(app, attempt_id).questions
    return field(next(q for q in questions if q["id"] == question_id))


def _post(client, attempt_id, form, action):
    data = {**form, "action": action}
    return client.submit(f"/quizzes/attempts/{attempt_id}", data)


def test_start_records_version_questions_order_and_time(app, enrolled):
    attempt = _attempt(app, _start(app, enrolled))
    assert attempt.status == "open" and attempt.number == 1
    assert [q["id"] for q in attempt.questions] == [
        "forum", "durable", "year", "share", "principle", "stages", "instruments"]
    assert all("display" in q for q in attempt.questions)
    with app.app_context():
        module = db.session.get(Module, attempt.module_id)
        assert attempt.version_id == module.current_version_id
    assert attempt.started_at is not None


def test_starting_twice_resumes_the_open_attempt(app, enrolled):
    assert _start(app, enrolled) == _start(app, enrolled)


def test_save_and_resume_later(app, enrolled):
    attempt_id = _start(app, enrolled)
    questions = _attempt(app, attempt_id).questions
    form = correct_form(questions)
    year, forum = _field(app, attempt_id, "year"), _field(app, attempt_id, "forum")
    _post(enrolled, attempt_id, {year: form[year], forum: form[forum]}, "save")
    assert _attempt(app, attempt_id).responses["year"] == "2018"
    page = enrolled.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert 'value="2018"' in page
    assert f'value="{form[forum][0]}" checked' in page


def test_submit_grades_on_the_server_and_completes_the_module(app, enrolled, learner):
    attempt_id = _start(app, enrolled)
    response = _post(enrolled, attempt_id, correct_form(_attempt(app, attempt_id).questions),
                     "submit")
    assert response.status_code == 303
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "graded" and attempt.score == 100.0 and attempt.passed
    assert set(attempt.question_scores.values()) == {1.0}
    with app.app_context():
        done = db.session.scalars(select(ModuleCompletion.module_id).where(
            ModuleCompletion.user_id == learner.id)).all()
    assert _module_id(app) in done


def test_failing_does_not_complete_the_module(app, enrolled):
    attempt_id = _start(app, enrolled)
    _post(enrolled, attempt_id, wrong_form(_attempt(app, attempt_id).questions), "submit-anyway")
    attempt = _attempt(app, attempt_id)
    assert attempt.passed is False and attempt.score == 0.0
    with app.app_context():
        assert db.session.scalars(select(ModuleCompletion).where(
            ModuleCompletion.module_id == _module_id(app))).all() == []


def test_submitting_twice_grades_once(app, enrolled):
    attempt_id = _start(app, enrolled)
    questions = _attempt(app, attempt_id).questions
    _post(enrolled, attempt_id, correct_form(questions), "submit")
    second = _post(enrolled, attempt_id, wrong_form(questions), "submit-anyway")
    assert second.status_code == 303
    attempt = _attempt(app, attempt_id)
    assert attempt.score == 100.0


def test_concurrent_submissions_from_two_tabs_grade_once(app, enrolled, learner):
    attempt_id = _start(app, enrolled)
    questions = _attempt(app, attempt_id).questions
    forms = [correct_form(questions), wrong_form(questions)] * 3
    barrier = threading.Barrier(len(forms))
    statuses = []

    def submit(form):
        tab = app.test_client()
        tab.sign_in(learner.email)
        barrier.wait()
        statuses.append(_post(tab, attempt_id, form, "submit-anyway").status_code)

    threads = [threading.Thread(target=submit, args=(f,)) for f in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * len(forms)
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "graded" and attempt.score in (0.0, 100.0)
    with app.app_context():
        completions = db.session.scalars(select(ModuleCompletion)).all()
    assert len(completions) == (1 if attempt.passed else 0)


def test_max_attempts_is_enforced(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "max_attempts: 2")
    for _ in range(2):
        attempt_id = _start(app, client)
        _post(client, attempt_id, {}, "submit-anyway")
    response = client.submit(f"/quizzes/{_module_id(app)}/start", follow_redirects=True)
    assert "You have used all the attempts" in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(Attempt)).all()) == 2


def test_grading_best_keeps_the_best_result(app, enrolled):
    first = _start(app, enrolled)
    _post(enrolled, first, correct_form(_attempt(app, first).questions), "submit")
    second = _start(app, enrolled)
    _post(enrolled, second, {}, "submit-anyway")
    page = enrolled.get(f"/quizzes/attempts/{second}/result").get_data(as_text=True)
    assert "The result that counts for this quiz: 100%" in page


def test_grading_last_uses_the_last_attempt(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "grading: last")
    first = _start(app, client)
    _post(client, first, correct_form(_attempt(app, first).questions), "submit")
    second = _start(app, client)
    _post(client, second, {}, "submit-anyway")
    page = client.get(f"/quizzes/attempts/{second}/result").get_data(as_text=True)
    assert "The result that counts for this quiz: 0%" in page
    # ...but the module completed by the earlier pass stays completed.
    with app.app_context():
        assert db.session.scalars(select(ModuleCompletion)).all()


def _expire(app, attempt_id, seconds_ago=5):
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline = attempt.started_at - timedelta(seconds=seconds_ago)
        db.session.commit()


def test_time_limit_shows_remaining_time(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "time_limit: 20m")
    attempt_id = _start(app, client)
    page = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert re.search(r"Time left when this page was loaded: (19|20) min", page)


def test_answer_saved_after_deadline_is_refused(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "time_limit: 20m")
    attempt_id = _start(app, client)
    form = correct_form(_attempt(app, attempt_id).questions)
    year = _field(app, attempt_id, "year")
    _post(client, attempt_id, {year: form[year]}, "save")
    _expire(app, attempt_id)
    _post(client, attempt_id, form, "submit")
    attempt = _attempt(app, attempt_id)
    # Graded with what was saved by the deadline: only the 2-point year question.
    assert attempt.status == "graded"
    assert attempt.responses == {"year": "2018"} or attempt.responses.get("year") == "2018"
    assert attempt.question_scores["forum"] == 0.0 and attempt.question_scores["year"] == 1.0


def test_overdue_attempt_is_graded_on_next_visit(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "time_limit: 20m")
    attempt_id = _start(app, client)
    _expire(app, attempt_id)
    response = client.get(f"/quizzes/attempts/{attempt_id}")
    assert response.status_code == 302 and "/result" in response.headers["Location"]
    assert _attempt(app, attempt_id).status == "graded"


def test_close_overdue_command(app, client, learner, quiz_course, runner):
    _enrol(client, learner, quiz_course, "time_limit: 20m")
    attempt_id = _start(app, client)
    _expire(app, attempt_id)
    result = runner.invoke(args=["quizzes", "close-overdue"])
    assert "Graded 1 overdue attempt(s)." in result.output
    assert _attempt(app, attempt_id).status == "graded"


def test_pick_draws_a_pool_and_shuffle_reorders(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "pick: 3\nshuffle: true")
    seen_orders = set()
    for _ in range(6):
        attempt_id = _start(app, client)
        questions = _attempt(app, attempt_id).questions
        assert len(questions) == 3
        seen_orders.add(tuple(q["id"] for q in questions))
        _post(client, attempt_id, {}, "submit-anyway")
    assert len(seen_orders) > 1


def test_quiz_page_never_contains_the_answer_key(app, enrolled):
    attempt_id = _start(app, enrolled)
    page = enrolled.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    for secret in ("2018", "3.6", "non-refoulement", "non refoulement", "Right: every four",
                   "No: peace and security", "follow-up platform", "\"correct\""):
        assert secret not in page, secret


def test_unknown_question_in_form_is_refused_and_records_nothing(app, enrolled):
    attempt_id = _start(app, enrolled)
    year = _field(app, attempt_id, "year")
    response = _post(enrolled, attempt_id, {year: ["2018"], "q-invented": ["x"]}, "submit")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nothing was saved" in page
    # What could be read is shown again, so nothing the learner typed is lost.
    assert f'name="{year}" value="2018"' in page
    attempt = _attempt(app, attempt_id)
    assert attempt.status == "open" and attempt.responses == {}


def test_unknown_option_is_refused(app, enrolled):
    attempt_id = _start(app, enrolled)
    response = _post(enrolled, attempt_id, {_field(app, attempt_id, "forum"): ["z"]}, "submit")
    assert response.status_code == 400
    assert _attempt(app, attempt_id).status == "open"


def test_another_learners_attempt_is_not_found(app, enrolled, make_user):
    attempt_id = _start(app, enrolled)
    other = make_user()
    intruder = app.test_client()
    intruder.sign_in(other.email)
    assert intruder.get(f"/quizzes/attempts/{attempt_id}").status_code == 404
    assert intruder.get(f"/quizzes/attempts/{attempt_id}/result").status_code == 404
    assert _post(intruder, attempt_id, {}, "submit-anyway").status_code == 404
    assert _attempt(app, attempt_id).status == "open"


def test_closed_attempt_refuses_new_answers(app, enrolled):
    attempt_id = _start(app, enrolled)
    _post(enrolled, attempt_id, {}, "submit-anyway")
    response = _post(enrolled, attempt_id, {_field(app, attempt_id, "year"): ["2018"]}, "save")
    assert response.status_code == 303
    assert _attempt(app, attempt_id).responses.get("year") in (None, "")


def test_not_enrolled_learner_cannot_start(app, client, learner, quiz_course):
    quiz_course()
    client.sign_in(learner.email)
    response = client.submit(f"/quizzes/{_module_id(app)}/start", follow_redirects=True)
    assert "Enrol in the course to take its quizzes." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Attempt)).all() == []


def test_review_after_submit_shows_answers_and_feedback(app, enrolled):
    attempt_id = _start(app, enrolled)
    questions = _attempt(app, attempt_id).questions
    _post(enrolled, attempt_id, wrong_form(questions), "submit-anyway")
    page = enrolled.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "correct answer" in page and "No: peace and security." in page
    assert "The Forum is the follow-up platform." in page


def test_review_never_shows_only_the_score(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "review: never")
    attempt_id = _start(app, client)
    _post(client, attempt_id, correct_form(_attempt(app, attempt_id).questions), "submit")
    page = client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Your score: 100%" in page
    assert "International Migration Review Forum" not in page


def test_review_after_pass_waits_for_a_pass(app, client, learner, quiz_course):
    _enrol(client, learner, quiz_course, "review: after_pass")
    first = _start(app, client)
    _post(client, first, wrong_form(_attempt(app, first).questions), "submit-anyway")
    page = client.get(f"/quizzes/attempts/{first}/result").get_data(as_text=True)
    assert "They will be shown once you pass it." in page
    second = _start(app, client)
    _post(client, second, correct_form(_attempt(app, second).questions), "submit")
    page = client.get(f"/quizzes/attempts/{first}/result").get_data(as_text=True)
    assert "Review your answers" in page


def test_history_of_attempts_on_the_quiz_page(app, enrolled):
    for _ in range(2):
        attempt_id = _start(app, enrolled)
        _post(enrolled, attempt_id, {}, "submit-anyway")
    page = enrolled.get("/courses/quiz-course/check/").get_data(as_text=True)
    assert "Review attempt 1" in page and "Review attempt 2" in page


def test_republishing_keeps_graded_and_open_attempts_on_their_version(
        app, client, learner, quiz_course, tmp_path, runner):
    quiz_course()
    client.sign_in(learner.email)
    client.submit("/learning/courses/quiz-course/enrol")
    graded_id = _start(app, client)
    _post(client, graded_id, correct_form(_attempt(app, graded_id).questions), "submit")
    open_id = _start(app, client)
    before = _attempt(app, open_id)
    # The author changes the correct year and republishes with the real CLI.
    changed = QUIZ.format(settings="").replace("= 2018", "= 2019")
    (tmp_path / "quiz-course" / "02-check.md").write_text(changed)
    result = runner.invoke(args=["courses", "publish", str(tmp_path)])
    assert result.exit_code == 0, result.output
    graded = _attempt(app, graded_id)
    assert graded.score == 100.0 and graded.questions[2]["numbers"][0]["value"] == 2018
    # The open attempt finishes on its own version: 2018 is still right there.
    form = correct_form(before.questions)
    _post(client, open_id, form, "submit")
    finished = _attempt(app, open_id)
    assert finished.version_id == before.version_id and finished.score == 100.0
    # A new attempt uses the new version.
    new_id = _start(app, client)
    new = _attempt(app, new_id)
    assert new.version_id != before.version_id
    year = next(q for q in new.questions if q["id"] == "year")
    assert year["numbers"][0]["value"] == 2019
