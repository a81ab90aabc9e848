"""What the admins see and do with the queue: failed and stuck jobs, retry, discard."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select, update

from ..extensions import db
from ..timeutil import utcnow
from .models import DONE, FAILED, QUEUED, RUNNING, Job, MailMessage
from .worker import requeue

#: A running job whose lease ran out this long ago has no worker looking after it.
STUCK_AFTER = timedelta(minutes=10)
#: Mail still queued this long after it was written means no worker is sending it.
MAIL_LATE_AFTER = timedelta(minutes=30)
PAGE_SIZE = 100


class JobError(Exception):
    """A request about a job that cannot be carried out; the message is for the admin."""


def _stuck_condition(now, stuck_after: timedelta = STUCK_AFTER):
    return and_(Job.status == RUNNING, Job.locked_until < now - stuck_after)


def jobs_needing_attention(*, stuck_after: timedelta = STUCK_AFTER) -> list[Job]:
    """Failed jobs and jobs stuck with an expired lease, newest first."""
    now = utcnow()
    return list(db.session.scalars(
        select(Job).where(or_(Job.status == FAILED, _stuck_condition(now, stuck_after)))
        .order_by(Job.id.desc()).limit(PAGE_SIZE)))


def queue_counts() -> dict[str, int]:
    """How many jobs are in each state, for the top of the jobs page."""
    counts = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    return {status: counts.get(status, 0) for status in (QUEUED, RUNNING, FAILED, DONE)}


def retry_job(job_id: int) -> None:
    """Run a failed or stuck job again now, with a fresh count of attempts."""
    job = db.session.get(Job, job_id)
    if job is None or job.status not in {FAILED, RUNNING}:
        db.session.rollback()
        raise JobError(_("This job is no longer failed or stuck: reload the page."))
    db.session.rollback()
    requeue(job_id, reset_attempts=True)


def discard_job(job_id: int) -> None:
    """Give up a failed or stuck job for good; it stays listed as done, with its error."""
    changed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.status.in_([FAILED, RUNNING]))
        .values(status=DONE, finished_at=utcnow(), locked_until=None)).rowcount
    if not changed:
        db.session.rollback()
        raise JobError(_("This job is no longer failed or stuck: reload the page."))
    db.session.commit()


def stuck_jobs(stuck_after: timedelta = STUCK_AFTER) -> list[Job]:
    """Running jobs whose lease ran out long ago: no worker is taking care of them."""
    return list(db.session.scalars(select(Job).where(_stuck_condition(utcnow(), stuck_after))
                                   .order_by(Job.id)))


def failed_jobs() -> list[Job]:
    """Jobs that used up their attempts."""
    return list(db.session.scalars(select(Job).where(Job.status == FAILED).order_by(Job.id)))


def late_mail(late_after: timedelta = MAIL_LATE_AFTER) -> list[MailMessage]:
    """Messages still unsent long after they were queued, and those given up as failed."""
    return list(db.session.scalars(select(MailMessage).where(or_(
        and_(MailMessage.status == QUEUED, MailMessage.created_at < utcnow() - late_after),
        MailMessage.status == FAILED)).order_by(MailMessage.id)))
