"""A learner's copy of their data: asked for once, built by the worker, theirs alone."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta

from babel.dates import format_datetime
from sqlalchemy import func, select, update

from ecampus.extensions import db
from ecampus.jobs.models import Job
from ecampus.learning.models import Enrolment
from ecampus.personal.exports import EXPORT_JOB
from ecampus.personal.models import DataExport
from ecampus.quizzes.models import Attempt
from ecampus.timeutil import utcnow
from tests.personal.conftest import EMAIL, NAME


def _exports(app, user_id) -> list[DataExport]:
    with app.app_context():
        rows = list(db.session.scalars(select(DataExport).where(DataExport.user_id == user_id)
                                       .order_by(DataExport.id)))
        db.session.expunge_all()
        return rows


def _jobs(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == EXPORT_JOB, Job.status == "queued"))


def _archive(app, history, outbox) -> zipfile.ZipFile:
    """Ask for the archive, let the worker build it, download it from the page's link."""
    history.client.submit("/account/data")
    list(outbox.glob("*.eml"))
    page = history.client.get("/account/data").get_data(as_text=True)
    link = re.search(r'href="(/account/data/\d+\.zip)"', page).group(1)
    response = history.client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_prepare_queues_one_archive_and_a_second_click_adds_nothing(app, history):
    first = history.client.submit("/account/data")
    second = history.client.submit("/account/data", follow_redirects=True)
    assert first.status_code == 302
    assert "déjà en préparation" in second.get_data(as_text=True)  # the person reads French
    assert [e.status for e in _exports(app, history.person.id)] == ["pending"]
    assert _jobs(app) == 1


def test_prepare_without_the_form_token_queues_nothing(app, history):
    response = history.client.post("/account/data", data={})
    assert response.status_code in (200, 400)
    assert _exports(app, history.person.id) == []


def test_archive_is_built_by_the_worker_and_the_learner_is_mailed(app, history, outbox):
    history.client.submit("/account/data")
    mails = [path.read_text() for path in outbox.glob("*.eml")]
    (export,) = _exports(app, history.person.id)
    assert export.status == "ready" and export.size > 1000
    assert export.expires_at - export.ready_at == timedelta(
        days=app.config["DATA_EXPORT_DAYS"])
    ready = [m for m in mails if f"To: {EMAIL}" in m and "/account/data" in m]
    assert len(ready) == 1


def test_page_lists_the_archive_with_its_date_and_size(app, history, outbox):
    history.client.submit("/account/data")
    list(outbox.glob("*.eml"))
    (export,) = _exports(app, history.person.id)
    page = history.client.get("/account/data").get_data(as_text=True)
    assert f"/account/data/{export.id}.zip" in page
    assert re.search(r"\d ko", page)  # the person reads French


def test_profile_page_links_to_the_data_page(history):
    page = history.client.get("/account/profile").get_data(as_text=True)
    assert 'href="/account/data"' in page


def test_archive_holds_the_profile_enrolments_and_progress(app, history, outbox):
    archive = _archive(app, history, outbox)
    profile = json.loads(archive.read("profile.json"))
    assert profile["account"]["full_name"] == NAME
    assert profile["account"]["email"] == EMAIL
    assert profile["cohorts"] == [{"institution": "Ministry of Privacy",
                                   "cohort": "Autumn intake",
                                   "staff_number": f"STAFF-{history.person.id}",
                                   "added_at": profile["cohorts"][0]["added_at"]}]
    (entry,) = json.loads(archive.read("learning.json"))
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(
            Enrolment.user_id == history.person.id))
        assert entry["course"] == "privacy-course"
        assert entry["completed_at"] == enrolment.completed_at.isoformat() + "+00:00"
    assert entry["modules_done"] == entry["modules_required"] == 2
    assert {m["module"] for m in entry["completed_modules"]} == {"reading", "check"}


def test_archive_holds_every_attempt_with_each_question_and_answer(app, history, outbox):
    archive = _archive(app, history, outbox)
    exported = json.loads(archive.read("attempts.json"))
    with app.app_context():
        rows = list(db.session.scalars(select(Attempt).where(
            Attempt.user_id == history.person.id).order_by(Attempt.id)))
        assert [a["number"] for a in exported] == [row.number for row in rows] == [1, 2]
        for got, row in zip(exported, rows, strict=True):
            assert got["score_percent"] == row.score
            assert got["passed"] == row.passed
            assert got["submitted_at"] == row.submitted_at.isoformat() + "+00:00"
            assert len(got["questions"]) == len(row.questions)
            for question, stored in zip(got["questions"], row.questions, strict=True):
                assert question["points"] == row.question_scores[stored["id"]]
    passed = exported[1]["questions"]
    forum = next(q for q in passed if q["question"].startswith("Which forum"))
    assert forum["answer"] == "The International Migration Review Forum"
    year = next(q for q in passed if "which year" in q["question"])
    assert year["answer"] == "2018"


def test_archive_holds_each_certificate_as_pdf_and_as_verifiers_get_it(app, history, outbox):
    archive = _archive(app, history, outbox)
    code = history.certificate_code
    served = history.client.get(f"/certificates/{code}.json").data
    assert archive.read(f"certificates/certificate-{code}.json") == served
    pdf = archive.read(f"certificates/certificate-{code}.pdf")
    assert pdf == history.client.get(f"/certificates/{code}.pdf").data
    assert pdf.startswith(b"%PDF")


def test_index_is_readable_offline_in_the_learners_language(app, history, outbox):
    archive = _archive(app, history, outbox)
    index = archive.read("index.html").decode()
    assert '<html lang="fr">' in index
    assert NAME in index and "The International Migration Review Forum" in index
    assert not re.search(r'(src|href)="(https?:)?//', index), "external asset"
    assert "<link" not in index and "<script" not in index
    with app.app_context():
        ready_at = _exports(app, history.person.id)[0].ready_at
    assert format_datetime(ready_at, "medium", locale="fr") in index
    for name in re.findall(r'href="([^"]+)"', index):
        assert name in archive.namelist(), name


def test_another_person_gets_404_for_the_archive(app, history, make_user, outbox):
    history.client.submit("/account/data")
    list(outbox.glob("*.eml"))
    (export,) = _exports(app, history.person.id)
    admin = make_user("admin")
    for client in (history.other_client, _signed_in(app, admin)):
        assert client.get(f"/account/data/{export.id}.zip").status_code == 404
    assert history.client.get(f"/account/data/{export.id}.zip").status_code == 200


def test_expired_archive_is_not_served_and_the_next_run_deletes_it(app, history, outbox):
    history.client.submit("/account/data")
    list(outbox.glob("*.eml"))
    (export,) = _exports(app, history.person.id)
    with app.app_context():
        db.session.execute(update(DataExport).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert history.client.get(f"/account/data/{export.id}.zip").status_code == 404
    assert f"{export.id}.zip" not in history.client.get("/account/data").get_data(as_text=True)
    history.other_client.submit("/account/data")
    list(outbox.glob("*.eml"))
    assert _exports(app, history.person.id) == []


def test_running_the_job_again_changes_nothing(app, history, outbox):
    from ecampus.personal.exports import build_export

    history.client.submit("/account/data")
    list(outbox.glob("*.eml"))
    (before,) = _exports(app, history.person.id)
    with app.app_context():
        build_export(export_id=before.id)
        build_export(export_id=999_999)
    (after,) = _exports(app, history.person.id)
    assert (after.ready_at, after.size) == (before.ready_at, before.size)


def test_a_request_left_pending_for_a_day_can_be_asked_again(app, history):
    history.client.submit("/account/data")
    with app.app_context():
        db.session.execute(update(DataExport).values(
            requested_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    history.client.submit("/account/data")
    assert [e.status for e in _exports(app, history.person.id)] == ["failed", "pending"]


def _signed_in(app, user):
    client = app.test_client()
    client.sign_in(user.email)
    return client


def test_ecampus_purge_deletes_expired_archives(app, history, outbox, runner):
    history.client.submit("/account/data")
    list(outbox.glob("*.eml"))
    history.other_client.submit("/account/data")
    list(outbox.glob("*.eml"))
    with app.app_context():
        db.session.execute(update(DataExport).where(
            DataExport.user_id == history.person.id).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    result = runner.invoke(args=["purge"])
    assert "data_exports: 1 deleted" in result.output, result.output
    assert _exports(app, history.person.id) == []
    assert [e.status for e in _exports(app, history.other.id)] == ["ready"]
