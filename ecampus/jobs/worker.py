"""Running jobs: claim one, run its handler, record the outcome; at least once, never twice
at the same moment.

Claiming is one conditional UPDATE whose subquery picks the next due job. On PostgreSQL the
subquery is `FOR UPDATE SKIP LOCKED`, so workers on any number of nodes each take a different
job without waiting on one another; SQLite ignores that clause and serialises writers, so the
same statement is atomic there too. A claim takes a lease (`locked_until`): a job whose worker
was killed is claimed again once the lease has run out. No broker is involved: a job is a row
committed with the change that needs it, so it exists exactly when that change does.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..timeutil import utcnow
from .models import DONE, FAILED, QUEUED, RUNNING, Job

log = logging.getLogger(__name__)

#: How long a claimed job belongs to its worker before another may take it over.
LEASE_SECONDS = 300
#: First retry after this many seconds, doubling each attempt up to RETRY_MAX_SECONDS.
RETRY_BASE_SECONDS = 10
RETRY_MAX_SECONDS = 3600


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds the lease on."""

    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    key: str | None


def worker_name() -> str:
    """Who holds a lease, as shown on the jobs page: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def lease_seconds() -> int:
    """The lease a claim takes, from JOB_LEASE_SECONDS (the worker's --lease)."""
    return int(current_app.config.get("JOB_LEASE_SECONDS", LEASE_SECONDS))


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with jitter: 10 s, 20 s, 40 s... at most an hour."""
    base = current_app.config.get("JOB_RETRY_BASE_SECONDS", RETRY_BASE_SECONDS)
    seconds = min(base * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds * random.uniform(1.0, 1.25))  # noqa: S311 - not security


def claim_job(worker: str | None = None) -> ClaimedJob | None:
    """Take the lease on the next due job (queued, or running with an expired lease)."""
    now = utcnow()
    due = or_(and_(Job.status == QUEUED, Job.run_after <= now),
              and_(Job.status == RUNNING, Job.locked_until < now))
    next_id = (select(Job.id).where(due).order_by(Job.run_after, Job.id).limit(1)
               .with_for_update(skip_locked=True).scalar_subquery())
    row = db.session.execute(
        update(Job).where(Job.id == next_id, due)
        .values(status=RUNNING, attempts=Job.attempts + 1, locked_by=worker or worker_name(),
                locked_until=now + timedelta(seconds=lease_seconds()))
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts, Job.key)
        .execution_options(synchronize_session=False)
    ).first()
    db.session.commit()
    return ClaimedJob(*row) if row else None


def run_job(job: ClaimedJob, handlers: dict[str, Callable[..., Any]]) -> bool:
    """Run one claimed job's handler and record the outcome; True when it succeeded."""
    handler = handlers.get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        if job.attempts > job.max_attempts:
            raise RuntimeError("its worker stopped before finishing, too many times")
        handler(**job.payload)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("Job %s (%s) failed, attempt %s", job.id, job.kind, job.attempts)
        _record_failure(job, traceback.format_exc(limit=5), permanent=handler is None)
        return False
    db.session.execute(update(Job).where(Job.id == job.id, Job.status == RUNNING)
                       .values(status=DONE, finished_at=utcnow(), locked_until=None,
                               last_error=None))
    db.session.commit()
    return True


def _record_failure(job: ClaimedJob, error: str, *, permanent: bool) -> None:
    """Retry later with backoff, or give up after max_attempts (the admin page shows it)."""
    error = error[-4000:]
    if permanent or job.attempts >= job.max_attempts:
        db.session.execute(update(Job).where(Job.id == job.id).values(
            status=FAILED, last_error=error, locked_until=None, finished_at=utcnow()))
        db.session.commit()
        return
    requeue(job.id, run_after=utcnow() + retry_delay(job.attempts), error=error)


def requeue(job_id: int, *, run_after=None, error: str | None = None,
            reset_attempts: bool = False) -> None:
    """Put a job back in the queue and commit; if a job with its key is already queued,
    that one will do the work, and this one is closed as done."""
    values: dict[str, Any] = {"status": QUEUED, "run_after": run_after or utcnow(),
                              "locked_until": None, "locked_by": None}
    if error is not None:
        values["last_error"] = error
    if reset_attempts:
        values["attempts"] = 0
    twin = aliased(Job)
    duplicate = exists().where(twin.key == Job.key, twin.status == QUEUED, twin.id != Job.id)
    try:
        with db.session.begin_nested():
            db.session.execute(update(Job).where(Job.id == job_id, ~duplicate).values(values)
                               .execution_options(synchronize_session=False))
    except IntegrityError:  # a twin was queued at the same moment
        pass
    db.session.execute(update(Job).where(Job.id == job_id, Job.status != QUEUED).values(
        status=DONE, finished_at=utcnow(), locked_until=None,
        last_error=(error or "") + "\nSuperseded by a queued job with the same key.")
        .execution_options(synchronize_session=False))
    db.session.commit()


def job_handlers() -> dict[str, Callable[..., Any]]:
    """The kind -> handler table of the running app (ecampus.features)."""
    from ..features import features

    return features().job_handlers


def run_pending_jobs(*, limit: int | None = None, worker: str | None = None) -> int:
    """Run due jobs in this process until none is left (or `limit`); returns how many ran.

    Used by `ecampus worker --once`, the quickstart's worker thread, cron and the tests.
    """
    handlers = job_handlers()
    count = 0
    while limit is None or count < limit:
        job = claim_job(worker)
        if job is None:
            break
        run_job(job, handlers)
        count += 1
    return count


def work(stop: threading.Event, *, poll_seconds: float = 1.0) -> None:
    """Run jobs until `stop` is set, sleeping `poll_seconds` whenever the queue is empty."""
    name = worker_name()
    while not stop.is_set():
        try:
            ran = run_pending_jobs(worker=name, limit=100)
        except Exception:
            log.exception("The worker could not reach the database; retrying")
            db.session.rollback()
            ran = 0
        finally:
            db.session.remove()
        if not ran:
            stop.wait(poll_seconds)
