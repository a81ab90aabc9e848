"""Certificates are issued automatically, exactly once, with what was true at issue time."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select

from ecampus.certificates import codes, services
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from tests.certificates.conftest import certificate_of, certified_course, complete
from tests.helpers import publish


def test_completing_a_course_issues_a_certificate(app, earned, learner):
    assert earned is not None
    assert earned.learner_name == learner.full_name
    assert earned.course_title == "Protection at borders"
    assert earned.certificate_title == "Certificate of Achievement"
    assert earned.hours == 3 and earned.course_version == 1
    assert earned.issued_on == date.today() or earned.issued_on.year >= 2026
    assert earned.expires_on.year == earned.issued_on.year + 2
    assert earned.status == "valid"


def test_code_is_readable_checked_and_random(earned):
    assert codes.is_valid_code(earned.code)
    assert len(earned.code.replace("-", "")) == codes.CODE_LENGTH


def test_course_without_certificate_issues_none(app, client, learner, tmp_path):
    certified_course(tmp_path, certificate="false")
    publish(app, tmp_path)
    client.sign_in(learner.email)
    complete(client)
    assert certificate_of(app, learner.id) is None


def test_issuing_again_returns_the_same_certificate(app, earned, learner):
    with app.app_context():
        again = services.issue_certificate(learner.id, earned.course_id)
        assert again.id == earned.id
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_concurrent_completions_issue_one_certificate(app, learner, tmp_path):
    certified_course(tmp_path)
    publish(app, tmp_path)
    with app.app_context():
        from ecampus.catalog.models import Course

        course_id = db.session.scalar(select(Course.id))
    barrier = threading.Barrier(6)
    issued, errors = [], []

    def issue():
        try:
            with app.app_context():
                barrier.wait()
                issued.append(services.issue_certificate(learner.id, course_id).id)
        except Exception as error:  # noqa: BLE001 - the test reports every failure
            errors.append(error)

    threads = [threading.Thread(target=issue) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(issued)) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_name_at_issue_time_is_kept(app, client, earned, learner):
    client.submit("/account/profile", {"full_name": "Someone Else", "language": "en"})
    assert certificate_of(app, learner.id).learner_name == learner.full_name


def test_certificate_is_in_the_learners_language(app, make_user, tmp_path):
    from tests.helpers import write_course

    certified_course(tmp_path)
    write_course(tmp_path, "certified-course", {
        "course.es.md": "---\ntitle: Protección en fronteras\nsummary: Gestión.\n---\nCurso.\n"})
    publish(app, tmp_path)
    learner = make_user(language="es")
    client = app.test_client()
    client.sign_in(learner.email)
    complete(client)
    certificate = certificate_of(app, learner.id)
    assert certificate.language == "es" and certificate.course_title == "Protección en fronteras"


def test_dashboard_links_to_pdf_credential_and_verification(client, earned):
    page = client.get("/learning/").get_data(as_text=True)
    assert f"/certificates/{earned.code}.pdf" in page
    assert f"/certificates/{earned.code}.json" in page
    assert f"/verify/{earned.code}" in page
