"""`ecampus worker --once` and `ecampus doctor [--fix] [--retry-failed]` through the CLI."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ecampus.extensions import db
from ecampus.jobs import enqueue
from ecampus.jobs.models import Job, MailMessage
from ecampus.mail import queue_mail
from ecampus.timeutil import utcnow


def _job_status(app) -> list[str]:
    with app.app_context():
        statuses = list(db.session.scalars(select(Job.status).order_by(Job.id)))
        db.session.remove()
        return statuses


def _add(app, kind: str, **values) -> None:
    with app.app_context():
        enqueue(kind, {})
        db.session.commit()
        if values:
            db.session.execute(update(Job).values(**values))
            db.session.commit()
        db.session.remove()


def test_worker_once_runs_the_due_jobs_and_exits(app, runner, handlers):
    seen = []
    handlers["test.record"] = lambda: seen.append(1)
    _add(app, "test.record")
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0 and "1 job(s) run." in result.output
    assert seen == [1] and _job_status(app) == ["done"]


def test_doctor_finds_nothing_on_a_healthy_site(runner):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0 and "Nothing to repair." in result.output


def test_doctor_lists_a_stuck_job_and_fix_runs_it(app, runner, handlers):
    seen = []
    handlers["test.record"] = lambda: seen.append(1)
    _add(app, "test.record", status="running", attempts=1,
         locked_until=utcnow() - timedelta(hours=1))
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1 and "Stuck jobs" in result.output and seen == []
    result = runner.invoke(args=["doctor", "--fix"])
    assert result.exit_code == 0, result.output
    assert seen == [1] and _job_status(app) == ["done"]
    assert runner.invoke(args=["doctor", "--fix"]).exit_code == 0  # idempotent


def test_doctor_retries_failed_jobs_only_when_asked(app, runner, handlers):
    seen = []
    handlers["test.record"] = lambda: seen.append(1)
    _add(app, "test.record", status="failed", attempts=8, last_error="boom")
    result = runner.invoke(args=["doctor", "--fix"])
    assert result.exit_code == 1 and "Failed jobs" in result.output and "boom" in result.output
    assert seen == [] and _job_status(app) == ["failed"]
    result = runner.invoke(args=["doctor", "--retry-failed"])
    assert result.exit_code == 0, result.output
    assert seen == [1] and _job_status(app) == ["done"]


def test_doctor_sends_mail_that_was_never_sent(app, runner, outbox):
    with app.app_context():
        queue_mail("late@example.org", "Hello", "Body")
        db.session.commit()
        db.session.execute(update(MailMessage).values(created_at=utcnow() - timedelta(hours=2)))
        db.session.execute(update(Job).values(status="done"))  # the job was lost
        db.session.commit()
        db.session.remove()
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1 and "late@example.org" in result.output
    assert list(outbox.path.glob("*.eml")) == []
    result = runner.invoke(args=["doctor", "--fix"])
    assert result.exit_code == 0, result.output
    assert len(list(outbox.path.glob("*.eml"))) == 1
