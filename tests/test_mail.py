"""The mail outbox against a real SMTP server on loopback: queued with the change, sent over
one connection per batch, marked sent only once accepted, resent after a crash with the same
Message-ID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import func, select

from ecampus.extensions import db
from ecampus.jobs.models import Job, MailMessage
from ecampus.jobs.worker import run_pending_jobs
from ecampus.mail import Letter, queue_letters, queue_mail
from tests.smtp import Collector, SMTPServer, closed_port


def _statuses() -> dict[str, int]:
    return dict(db.session.execute(select(MailMessage.status, func.count())
                                   .group_by(MailMessage.status)).all())


def test_nothing_is_sent_before_the_transaction_commits(ctx, smtp):
    queue_mail("a@example.org", "Hello", "Body")
    db.session.rollback()
    run_pending_jobs()
    assert smtp.messages == [] and _statuses() == {}


def test_a_batch_goes_over_one_smtp_connection(ctx, smtp):
    for n in range(30):
        queue_mail(f"p{n}@example.org", f"Hello {n}", "Body")
    db.session.commit()
    run_pending_jobs()
    assert sorted(smtp.recipients()) == sorted(f"p{n}@example.org" for n in range(30))
    assert smtp.connections == 1
    assert _statuses() == {"sent": 30}


def test_each_message_carries_the_message_id_fixed_when_it_was_queued(ctx, smtp, monkeypatch):
    monkeypatch.setitem(ctx.config, "PUBLIC_URL", "https://campus.example.gov")
    queue_mail("a@example.org", "Hello", "Body")
    db.session.commit()
    stored = db.session.scalar(select(MailMessage.message_id))
    run_pending_jobs()
    assert smtp.message_ids() == [stored] and stored.endswith("@campus.example.gov>")


def test_one_run_claims_one_batch_however_long_the_queue(ctx, outbox, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_BATCH_SIZE", 100)
    queue_letters([Letter(f"p{n}@example.org", "Hello", "Body") for n in range(3000)])
    db.session.commit()
    assert run_pending_jobs(limit=1) == 1
    assert _statuses() == {"sent": 100, "queued": 2900}
    assert db.session.scalar(select(func.count()).where(
        MailMessage.status == "queued", MailMessage.locked_until.is_not(None))) == 0
    assert len(list(outbox.path.glob("*.eml"))) == 100


def test_a_key_queues_a_message_once(ctx, smtp):
    queue_mail("a@example.org", "Hello", "Body", key="welcome:1")
    db.session.commit()
    queue_mail("a@example.org", "Hello", "Body", key="welcome:1")
    db.session.commit()
    run_pending_jobs()
    assert smtp.recipients() == ["a@example.org"]


def test_a_refused_address_fails_and_the_others_are_sent(ctx, monkeypatch):
    collector = Collector(refuse=("nobody@example.org",))
    with SMTPServer(collector) as server:
        monkeypatch.setitem(ctx.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(ctx.config, "MAIL_PORT", server.port)
        monkeypatch.setitem(ctx.config, "MAIL_USE_TLS", False)
        for to in ("a@example.org", "nobody@example.org", "b@example.org"):
            queue_mail(to, "Hello", "Body")
        db.session.commit()
        run_pending_jobs()
    assert sorted(collector.recipients()) == ["a@example.org", "b@example.org"]
    assert _statuses() == {"sent": 2, "failed": 1}


def test_mail_stays_queued_while_the_server_is_down(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(ctx.config, "MAIL_PORT", closed_port())
    queue_mail("a@example.org", "Hello", "Body")
    db.session.commit()
    run_pending_jobs()
    job = db.session.scalar(select(Job))
    assert _statuses() == {"queued": 1}
    assert job.status == "queued" and job.attempts == 1 and "Connection refused" in job.last_error


def test_a_server_that_is_down_is_retried_with_backoff_not_at_once(ctx, monkeypatch):
    monkeypatch.setitem(ctx.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(ctx.config, "MAIL_PORT", closed_port())
    monkeypatch.setitem(ctx.config, "MAIL_BATCH_SIZE", 1)
    for n in range(3):
        queue_mail(f"p{n}@example.org", "Hello", "Body")
    db.session.commit()
    assert run_pending_jobs() == 1  # one failed connection, then nothing is due
    jobs = db.session.execute(select(Job.status, Job.attempts)).all()
    assert [tuple(job) for job in jobs] == [("queued", 1)]
    assert _statuses() == {"queued": 3}


def test_without_a_mail_server_mail_is_written_to_the_outbox(ctx, outbox):
    queue_mail("a@example.org", "Hello", "Body of the message")
    db.session.commit()
    files = list(outbox.glob("*.eml"))
    assert len(files) == 1 and "Body of the message" in files[0].read_text()


def _worker(app, smtp_port: int) -> subprocess.Popen:
    """`ecampus worker` in its own process, on the tests' database, mailing to `smtp_port`."""
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               ECAMPUS_ENV="development", ECAMPUS_MAIL_SERVER="127.0.0.1",
               ECAMPUS_MAIL_PORT=str(smtp_port), ECAMPUS_MAIL_USE_TLS="0",
               ECAMPUS_MAIL_OUTBOX=app.config["MAIL_OUTBOX"])
    command = Path(sys.executable).parent / "ecampus"
    return subprocess.Popen([str(command), "worker", "--lease", "2", "--poll", "0.2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_worker_killed_mid_batch_loses_no_mail(app):
    people = [f"p{n}@example.org" for n in range(60)]
    with app.app_context():
        for to in people:
            queue_mail(to, "Hello", "Body")
        db.session.commit()
        db.session.remove()
    collector = Collector(delay=0.05)
    with SMTPServer(collector) as server:
        worker = _worker(app, server.port)
        try:
            assert _wait_for(lambda: len(collector.messages) >= 10)
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            delivered_before = len(collector.messages)
            assert delivered_before < len(people)
            worker = _worker(app, server.port)
            assert _wait_for(lambda: set(collector.recipients()) == set(people))
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(30) == 0  # a graceful stop
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.wait(10)
    ids = defaultdict(set)
    for message in collector.messages:
        ids[message["To"]].add(message["Message-ID"])
    assert all(len(message_ids) == 1 for message_ids in ids.values())
    with app.app_context():
        assert _statuses() == {"sent": len(people)}
        db.session.remove()
