"""The admins' jobs page: failed and stuck jobs listed, retried or discarded by form."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ecampus.extensions import db
from ecampus.jobs import enqueue
from ecampus.jobs.models import Job
from ecampus.timeutil import utcnow


def _failed_job(app, kind: str = "mail.send", **values) -> int:
    with app.app_context():
        enqueue(kind, {})
        db.session.commit()
        db.session.execute(update(Job).values(status="failed", attempts=8,
                                              last_error="ConnectionRefusedError: down",
                                              **values))
        db.session.commit()
        job_id = db.session.scalar(select(Job.id))
        db.session.remove()
        return job_id


def _status(app, job_id: int) -> tuple[str, int]:
    with app.app_context():
        job = db.session.get(Job, job_id)
        db.session.remove()
        return job.status, job.attempts


def test_admins_see_failed_and_stuck_jobs(app, client, admin):
    failed = _failed_job(app)
    with app.app_context():
        enqueue("certificates.issue", {"user_id": 1, "course_id": 2})
        db.session.commit()
        db.session.execute(update(Job).where(Job.id != failed).values(
            status="running", locked_until=utcnow() - timedelta(hours=1)))
        db.session.commit()
        db.session.remove()
    client.sign_in(admin.email)
    page = client.get("/admin/jobs/").get_data(as_text=True)
    assert "mail.send" in page and "ConnectionRefusedError: down" in page
    assert "certificates.issue" in page and "Stuck since" in page
    assert "/admin/jobs/" in client.get("/admin/").get_data(as_text=True)


def test_retry_queues_a_failed_job_with_fresh_attempts(app, client, admin):
    job_id = _failed_job(app)
    client.sign_in(admin.email)
    response = client.submit(f"/admin/jobs/{job_id}/retry", follow_redirects=True)
    assert f"Job {job_id} is queued again." in response.get_data(as_text=True)
    assert _status(app, job_id) == ("queued", 0)


def test_discard_closes_a_failed_job(app, client, admin):
    job_id = _failed_job(app)
    client.sign_in(admin.email)
    client.submit(f"/admin/jobs/{job_id}/discard")
    assert _status(app, job_id)[0] == "done"
    assert "No job needs attention." in client.get("/admin/jobs/").get_data(as_text=True)


def test_retrying_a_job_that_is_no_longer_failed_says_so(app, client, admin):
    job_id = _failed_job(app)
    client.sign_in(admin.email)
    client.submit(f"/admin/jobs/{job_id}/discard")
    response = client.submit(f"/admin/jobs/{job_id}/retry", follow_redirects=True)
    assert "no longer failed or stuck" in response.get_data(as_text=True)


def test_a_form_without_its_csrf_token_is_refused(app, client, admin):
    job_id = _failed_job(app)
    client.sign_in(admin.email)
    assert client.post(f"/admin/jobs/{job_id}/retry").status_code == 400
    assert _status(app, job_id)[0] == "failed"


def test_only_admins_reach_the_jobs_page(app, client, manager):
    job_id = _failed_job(app)
    assert client.get("/admin/jobs/").status_code == 302  # to the sign-in page
    client.sign_in(manager.email)
    assert client.get("/admin/jobs/").status_code == 403
    assert client.submit(f"/admin/jobs/{job_id}/retry").status_code == 403
