"""What the queue lets go (`ecampus purge`): mail sent long ago and jobs done long ago.
Failed jobs and unsent mail stay, for `ecampus doctor --retry-failed` and the jobs page."""

from __future__ import annotations

from datetime import datetime

from ..retention import cutoff, purge
from .models import DONE, SENT, Job, MailMessage


def purge_sent_mail(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Messages the SMTP server accepted RETENTION_MAIL_DAYS ago (each holds an address and
    a body that may carry a name)."""
    return purge("sent_mail", MailMessage.__table__,
                 (MailMessage.status == SENT)
                 & (MailMessage.sent_at < cutoff(now, "RETENTION_MAIL_DAYS")),
                 dry_run=dry_run)


def purge_finished_jobs(now: datetime, dry_run: bool) -> tuple[str, int]:
    """Jobs done RETENTION_JOB_DAYS ago."""
    return purge("finished_jobs", Job.__table__,
                 (Job.status == DONE) & (Job.finished_at < cutoff(now, "RETENTION_JOB_DAYS")),
                 dry_run=dry_run)
