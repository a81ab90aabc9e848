"""The job queue: committed with the change, run at least once, retried, never lost."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from ecampus.extensions import db
from ecampus.jobs import enqueue
from ecampus.jobs.models import Job
from ecampus.jobs.worker import claim_job, run_pending_jobs
from ecampus.timeutil import utcnow


def _jobs(app) -> list[tuple]:
    with app.app_context():
        rows = db.session.execute(select(Job.kind, Job.status, Job.attempts, Job.key)
                                  .order_by(Job.id)).all()
        db.session.remove()
        return [tuple(row) for row in rows]


def test_a_job_exists_only_if_its_transaction_commits(app, ctx):
    enqueue("test.noop", {})
    db.session.rollback()
    enqueue("test.noop", {"n": 1})
    db.session.commit()
    assert _jobs(app) == [("test.noop", "queued", 0, None)]


def test_a_second_enqueue_with_the_same_key_adds_nothing(app, ctx):
    enqueue("test.noop", {}, key="one")
    db.session.commit()
    enqueue("test.noop", {}, key="one")
    enqueue("test.noop", {}, key="two")
    db.session.commit()
    assert [job[3] for job in _jobs(app)] == ["one", "two"]


def test_a_key_is_free_again_once_its_job_started(app, ctx, handlers):
    handlers["test.noop"] = lambda: None
    enqueue("test.noop", {}, key="one")
    db.session.commit()
    job = claim_job()
    enqueue("test.noop", {}, key="one")  # work that arrived after the claim needs a new run
    db.session.commit()
    assert job is not None and [j[1] for j in _jobs(app)] == ["running", "queued"]


def test_a_handler_receives_its_payload_and_the_job_is_done(app, ctx, handlers):
    seen = []
    handlers["test.record"] = lambda **payload: seen.append(payload)
    enqueue("test.record", {"user_id": 3, "course_id": 4})
    db.session.commit()
    assert run_pending_jobs() == 1
    assert seen == [{"user_id": 3, "course_id": 4}]
    assert _jobs(app) == [("test.record", "done", 1, None)]


def test_a_failing_job_is_retried_later_with_backoff(app, ctx, handlers):
    handlers["test.fail"] = _fail
    enqueue("test.fail", {})
    db.session.commit()
    run_pending_jobs()
    job = db.session.scalar(select(Job))
    assert (job.status, job.attempts) == ("queued", 1)
    assert job.run_after > utcnow() + timedelta(seconds=5)
    assert "mail server down" in job.last_error
    assert run_pending_jobs() == 0  # not due yet


def test_a_job_fails_for_good_after_its_last_attempt(app, ctx, handlers):
    handlers["test.fail"] = _fail
    enqueue("test.fail", {})
    db.session.commit()
    for _attempt in range(8):
        db.session.execute(update(Job).values(run_after=utcnow()))
        db.session.commit()
        run_pending_jobs()
    job = db.session.scalar(select(Job))
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("failed", 8)


def test_a_job_of_an_unknown_kind_fails_at_once(app, ctx):
    enqueue("test.nobody-handles-this", {})
    db.session.commit()
    run_pending_jobs()
    assert _jobs(app)[0][1] == "failed"


def test_a_job_whose_worker_died_is_taken_over_after_its_lease(app, ctx, handlers):
    seen = []
    handlers["test.record"] = lambda: seen.append(1)
    enqueue("test.record", {})
    db.session.commit()
    assert claim_job("killed-worker") is not None  # ...and the worker dies here
    assert run_pending_jobs() == 0  # the lease still holds
    db.session.execute(update(Job).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert run_pending_jobs() == 1
    assert seen == [1] and _jobs(app) == [("test.record", "done", 2, None)]


def test_four_workers_share_200_jobs_each_run_exactly_once(app, handlers):
    runs: Counter = Counter()
    lock = threading.Lock()

    def record(n: int) -> None:
        with lock:
            runs[n] += 1

    handlers["test.record"] = record
    with app.app_context():
        for n in range(200):
            enqueue("test.record", {"n": n})
        db.session.commit()
        db.session.remove()
    ran: list[int] = []

    def worker() -> None:
        with app.app_context():
            ran.append(run_pending_jobs())
            db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(ran) == 200
    assert runs == Counter(range(200))
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Job.status == "done")) == 200


def _fail() -> None:
    raise ConnectionRefusedError("mail server down")


def test_four_worker_processes_claim_each_job_once(app):
    with app.app_context():
        for n in range(200):  # no such course: the handler succeeds and changes nothing
            enqueue("learning.recompute", {"course_id": 10_000 + n})
        db.session.commit()
        db.session.remove()
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               ECAMPUS_ENV="development")
    command = str(Path(sys.executable).parent / "ecampus")
    workers = [subprocess.Popen([command, "worker", "--once"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True) for _ in range(4)]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), outputs
    ran = [int(re.search(r"(\d+) job\(s\) run", output).group(1)) for output in outputs]
    assert sum(ran) == 200
    with app.app_context():
        rows = db.session.execute(select(Job.status, Job.attempts)).all()
        db.session.remove()
    assert Counter(tuple(row) for row in rows) == {("done", 1): 200}  # none claimed twice


def test_a_batch_claim_locks_only_the_rows_its_limit_picked(ctx):
    from sqlalchemy import insert

    from ecampus.database import skip_locked_ids

    db.session.execute(insert(Job), [{"kind": "test.noop", "payload": {}, "status": "queued",
                                      "attempts": 0, "max_attempts": 8, "run_after": utcnow(),
                                      "created_at": utcnow()} for _ in range(3000)])
    db.session.commit()
    batch = skip_locked_ids(select(Job.id).where(Job.status == "queued").order_by(Job.id)
                            .limit(100))
    claimed = db.session.execute(update(Job).where(Job.id.in_(batch)).values(status="running")
                                 .returning(Job.id)
                                 .execution_options(synchronize_session=False)).all()
    db.session.commit()
    assert len(claimed) == 100
