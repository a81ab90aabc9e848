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


def _course_id(app) -> int:
    with app.app_context():
        from ecampus.catalog.models import Course

        return db.session.scalar(select(Course.id))


def test_a_taken_status_index_is_drawn_again(app, earned, make_user, monkeypatch):
    other = make_user()
    draws = iter([earned.status_index, earned.status_index, 77])
    monkeypatch.setattr(services.secrets, "randbelow", lambda _n: next(draws))
    with app.app_context():
        certificate = services.issue_certificate(other.id, earned.course_id)
        assert certificate.status_index == 77
        assert services.verify_document(certificate.credential)[0].ok
        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 2


def test_reissue_takes_the_next_sequence_and_a_new_index(app, earned):
    with app.app_context():
        new = services.reissue(earned.code)
        old = db.session.scalar(select(Certificate).where(Certificate.code == earned.code))
        assert (new.sequence, old.status, old.replaced_by_id) == (2, "replaced", new.id)
        assert new.status_index != old.status_index and new.code != old.code
        assert services.verify_document(new.credential)[0].ok


def test_issue_pending_waits_for_the_completion(app, client, learner, tmp_path):
    certified_course(tmp_path)
    publish(app, tmp_path)
    client.sign_in(learner.email)
    client.submit("/learning/courses/certified-course/enrol")
    client.submit("/learning/courses/certified-course/one/done")
    with app.app_context():
        assert services.issue_pending(user_id=learner.id, course_id=_course_id(app)) is None
        assert services.missing_certificates() == []
    assert certificate_of(app, learner.id) is None


def test_issue_pending_finds_the_certificate_already_issued(app, earned, learner):
    with app.app_context():
        again = services.issue_pending(user_id=learner.id, course_id=earned.course_id)
        assert again.id == earned.id
        assert services.missing_certificates() == []
        assert services.issue_missing_certificates() == 0


def test_failed_signing_records_no_key_and_the_later_issue_verifies(app, client, learner,
                                                                   tmp_path, monkeypatch):
    from ecampus.certificates.models import SigningKey

    certified_course(tmp_path)
    publish(app, tmp_path)
    client.sign_in(learner.email)
    with monkeypatch.context() as patch:
        patch.setattr(services.vc, "sign_credential", _broken_signer)
        complete(client)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SigningKey)) == 0
        assert services.missing_certificates() == [(learner.id, _course_id(app))]
        assert services.issue_missing_certificates() == 1
        certificate = db.session.scalar(select(Certificate))
        assert services.verify_document(certificate.credential)[0].ok


def _broken_signer(*_args, **_kwargs):
    raise RuntimeError("signing failed")
