"""Each event reaches the institution's endpoint at the moment of its change, with the ids
the institution may see, and nobody else's endpoint."""

from __future__ import annotations

from sqlalchemy import event, select

from ecampus.catalog.models import Course, Module
from ecampus.certificates import services as certificates
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.institutions import services as institutions
from ecampus.institutions.models import Cohort, CohortMember, InstitutionMember
from ecampus.quizzes import services as quizzes
from ecampus.webhooks.models import WebhookDelivery
from tests.quizzes.conftest import correct_form, wrong_form
from tests.webhooks.conftest import run_worker


def _learner_client(app, scene):
    client = app.test_client()
    client.sign_in(scene.learner.email)
    return client


def _types(receiver) -> list[str]:
    return [event["type"] for event in receiver.events()]


def test_enrolling_sends_enrolment_created_with_the_institutions_ids(app, scene):
    _learner_client(app, scene).submit("/learning/courses/quiz-course/enrol")
    run_worker(app)
    [event] = scene.receiver.events()
    assert event["type"] == "enrolment.created"
    assert event["id"].startswith("evt_")
    assert event["timestamp"].endswith("Z")
    data = event["data"]
    assert data["user_id"] == scene.learner.id
    assert data["course"] == "quiz-course"
    assert data["external_id"] == "S-42"
    assert data["cohort_ids"] == [scene.cohort_id]


def test_enrolling_twice_sends_one_event(app, scene):
    client = _learner_client(app, scene)
    client.submit("/learning/courses/quiz-course/enrol")
    client.submit("/learning/courses/quiz-course/enrol")
    run_worker(app)
    assert _types(scene.receiver) == ["enrolment.created"]


def test_the_event_carries_no_name_or_email(app, scene):
    _learner_client(app, scene).submit("/learning/courses/quiz-course/enrol")
    run_worker(app)
    body = scene.receiver.requests[0].body.decode()
    assert scene.learner.email not in body
    assert scene.learner.full_name not in body


def test_assigning_a_course_to_a_cohort_sends_enrolment_created(app, scene):
    with app.app_context():
        cohort = db.session.get(Cohort, scene.cohort_id)
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "quiz-course"))
        institutions.assign_course(cohort, course_id, None)
    run_worker(app)
    [event] = scene.receiver.events()
    assert event["type"] == "enrolment.created"
    assert event["data"]["user_id"] == scene.learner.id
    assert event["data"]["course"] == "quiz-course"


def test_completing_lessons_sends_module_then_course_completed_then_certificate(app, scene):
    client = _learner_client(app, scene)
    client.submit("/learning/courses/certified-course/enrol")
    client.submit("/learning/courses/certified-course/one/done")
    run_worker(app)
    assert _types(scene.receiver) == ["enrolment.created", "module.completed"]
    assert scene.receiver.events()[1]["data"]["module"] == "one"
    client.submit("/learning/courses/certified-course/two/done")
    run_worker(app)
    assert _types(scene.receiver)[2:] == ["module.completed", "course.completed",
                                          "certificate.issued"]
    issued = scene.receiver.events("certificate.issued")[0]["data"]
    with app.app_context():
        code = db.session.scalar(select(Certificate.code)
                                 .where(Certificate.user_id == scene.learner.id))
    assert issued["certificate_code"] == code
    assert issued["course"] == "certified-course"


def test_marking_a_lesson_done_twice_sends_one_module_completed(app, scene):
    client = _learner_client(app, scene)
    client.submit("/learning/courses/certified-course/enrol")
    client.submit("/learning/courses/certified-course/one/done")
    client.submit("/learning/courses/certified-course/one/done")
    run_worker(app)
    assert _types(scene.receiver).count("module.completed") == 1


def _attempt(app, scene, form_for):
    with app.app_context():
        module = db.session.scalar(select(Module).where(Module.slug == "check"))
        attempt = quizzes.start_attempt(scene.learner.id, module, "en")
        quizzes.submit_attempt(scene.learner.id, attempt.id, form_for(attempt.questions),
                               confirm_unanswered=True)
        return attempt.id


def test_a_failed_quiz_sends_quiz_graded_only(app, scene):
    _learner_client(app, scene).submit("/learning/courses/quiz-course/enrol")
    attempt_id = _attempt(app, scene, wrong_form)
    run_worker(app)
    assert _types(scene.receiver) == ["enrolment.created", "quiz.graded"]
    graded = scene.receiver.events("quiz.graded")[0]["data"]
    assert graded["attempt_id"] == attempt_id
    assert graded["passed"] is False
    assert graded["score"] < 70
    assert graded["module"] == "check"


def test_passing_the_last_quiz_sends_graded_module_and_course_completed(app, scene):
    _learner_client(app, scene).submit("/learning/courses/quiz-course/enrol")
    _attempt(app, scene, correct_form)
    run_worker(app)
    assert _types(scene.receiver) == ["enrolment.created", "quiz.graded", "module.completed",
                                      "course.completed", "certificate.issued"]
    assert scene.receiver.events("quiz.graded")[0]["data"]["score"] == 100


def test_a_quiz_pass_reads_the_endpoints_once_for_its_four_events(app, scene):
    """The endpoints are read once per transaction, and read again by the next one."""
    _learner_client(app, scene).submit("/learning/courses/quiz-course/enrol")
    reads = []

    def endpoint_reads(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT") and "webhook_endpoints" in statement:
            reads.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", endpoint_reads)
    try:
        _attempt(app, scene, correct_form)
        assert len(reads) == 1
        with app.app_context():  # a later change, in a transaction of its own
            module = db.session.scalar(select(Module).where(Module.slug == "check"))
            attempt = quizzes.start_attempt(scene.learner.id, module, "en")
            quizzes.submit_attempt(scene.learner.id, attempt.id, wrong_form(attempt.questions),
                                   confirm_unanswered=True)
        assert len(reads) == 2
    finally:
        event.remove(engine, "before_cursor_execute", endpoint_reads)
    run_worker(app)
    assert _types(scene.receiver) == ["enrolment.created", "quiz.graded", "module.completed",
                                      "course.completed", "certificate.issued", "quiz.graded"]


def test_revoking_a_certificate_sends_certificate_revoked(app, scene):
    client = _learner_client(app, scene)
    client.submit("/learning/courses/certified-course/enrol")
    for module in ("one", "two"):
        client.submit(f"/learning/courses/certified-course/{module}/done")
    with app.app_context():
        code = db.session.scalar(select(Certificate.code)
                                 .where(Certificate.user_id == scene.learner.id))
        certificates.revoke(code, "Issued by mistake")
    run_worker(app)
    revoked = scene.receiver.events("certificate.revoked")
    assert [event["data"]["certificate_code"] for event in revoked] == [code]
    assert "Issued by mistake" not in scene.receiver.requests[-1].body.decode()


def test_a_learner_outside_the_institution_sends_nothing(app, scene):
    client = app.test_client()
    client.sign_in(scene.outsider.email)
    client.submit("/learning/courses/quiz-course/enrol")
    run_worker(app)
    assert scene.receiver.requests == []


def test_another_institutions_endpoint_hears_nothing_of_this_learner(app, scene):
    _learner_client(app, scene).submit("/learning/courses/quiz-course/enrol")
    run_worker(app)
    assert {r.path for r in scene.receiver.requests} == {"/hooks"}
    with app.app_context():
        assert db.session.scalar(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == scene.other_endpoint_id)) is None


def test_an_endpoint_gets_only_the_events_it_subscribed_to(app, scene):
    from ecampus.webhooks import services as webhooks

    with app.app_context():
        webhooks.delete_endpoint(scene.institution_id, scene.endpoint_id)
        webhooks.add_endpoint(scene.institution_id, scene.receiver.url, ["course.completed"])
    client = _learner_client(app, scene)
    client.submit("/learning/courses/certified-course/enrol")
    for module in ("one", "two"):
        client.submit(f"/learning/courses/certified-course/{module}/done")
    run_worker(app)
    assert _types(scene.receiver) == ["course.completed"]


def test_a_turned_off_endpoint_gets_no_new_event(app, scene):
    from ecampus.webhooks import services as webhooks

    with app.app_context():
        webhooks.set_active(scene.institution_id, scene.endpoint_id, False)
    _learner_client(app, scene).submit("/learning/courses/quiz-course/enrol")
    run_worker(app)
    assert scene.receiver.requests == []


def test_a_change_that_rolls_back_sends_nothing(app, scene):
    from ecampus import events

    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "quiz-course"))
        events.emit(events.ENROLLED, {"user_id": scene.learner.id, "course_id": course_id})
        db.session.rollback()
        assert db.session.scalar(select(WebhookDelivery)) is None
    assert run_worker(app) == 0


def test_a_cohort_of_several_learners_sends_one_enrolment_each(app, scene, make_user):
    others = [make_user("learner") for _ in range(3)]
    with app.app_context():
        for person in others:
            db.session.add(CohortMember(cohort_id=scene.cohort_id, user_id=person.id))
            db.session.add(InstitutionMember(institution_id=scene.institution_id,
                                             user_id=person.id))
        db.session.commit()
        cohort = db.session.get(Cohort, scene.cohort_id)
        course_id = db.session.scalar(select(Course.id).where(Course.slug == "quiz-course"))
        institutions.assign_course(cohort, course_id, None)
    run_worker(app)
    enrolled = scene.receiver.events("enrolment.created")
    assert sorted(e["data"]["user_id"] for e in enrolled) == sorted(
        [scene.learner.id, *(person.id for person in others)])
    assert len({e["id"] for e in enrolled}) == 4
