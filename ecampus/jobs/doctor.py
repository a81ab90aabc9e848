"""`ecampus doctor`: find what was owed and not given, and with --fix give it.

Each check reports what it found and what is still wrong after it ran. The checks of the
queue and the outbox live here; the features add theirs (completions, certificates) through
`ecampus.features.Features.doctor_checks`. Every repair is idempotent, so cron may run it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update

from ..extensions import db
from ..mail import SEND_JOB
from . import enqueue, services
from .models import FAILED, QUEUED, MailMessage
from .worker import requeue, run_pending_jobs


@dataclass
class Finding:
    """One kind of problem: how many were found, and how many remain after the check."""

    label: str
    found: int
    remaining: int
    details: list[str] = field(default_factory=list)


STUCK = "Stuck jobs (their worker stopped)"
FAILED_JOBS = "Failed jobs (run again with --retry-failed)"
LATE_MAIL = "Mail never sent"
REFUSED_MAIL = "Mail refused by the mail server (queue again with --retry-failed)"

#: A feature's check: called with fix=True or False, returns its Finding.
Check = Callable[[bool], Finding]


def check(label: str, find: Callable[[], list], repair: Callable[[], object]) -> Check:
    """A feature's check from two of its services: `find` lists what is owed, `repair`
    (idempotent, owning its transactions) gives it; what `find` lists afterwards remains."""

    def run(fix: bool) -> Finding:
        found = find()
        details = [" ".join(str(part) for part in item) if isinstance(item, tuple)
                   else str(item) for item in found]
        if fix and found:
            repair()
            db.session.rollback()
            return Finding(label, len(found), len(find()), details)
        return Finding(label, len(found), len(found), details)

    run.__name__ = f"check {label}"
    return run


@dataclass
class Report:
    """Every check's finding, printable line by line."""

    findings: list[Finding]

    @property
    def remaining(self) -> int:
        return sum(finding.remaining for finding in self.findings)

    @property
    def lines(self) -> list[str]:
        lines = []
        for finding in self.findings:
            if not finding.found:
                continue
            fixed = finding.found - finding.remaining
            lines.append(f"{finding.label}: {finding.found} found, {fixed} repaired, "
                         f"{finding.remaining} remaining.")
            lines.extend(f"  {detail}" for detail in finding.details[:20])
        return lines


def examine(*, fix: bool, retry_failed: bool, late_after: timedelta,
            stuck_after: timedelta, checks: list[Check] | None = None) -> Report:
    """Run the features' checks, then look at the queue and the outbox. With `fix`, stuck
    jobs and unsent mail are queued again and the due jobs are run once, here, as
    `ecampus worker --once` would; what is still wrong afterwards is what remains."""
    if checks is None:
        from ..features import features

        checks = features().doctor_checks
    findings = [check(fix) for check in checks]
    before = _queue_findings(late_after, stuck_after)
    if fix or retry_failed:
        _repair(before, fix=fix, retry_failed=retry_failed)
        run_pending_jobs()
        after = {finding.label: finding for finding in _queue_findings(late_after, stuck_after)}
        for finding in before:
            finding.remaining = after[finding.label].remaining
    return Report(findings + before)


def _queue_findings(late_after: timedelta, stuck_after: timedelta) -> list[Finding]:
    stuck = services.stuck_jobs(stuck_after)
    failed = services.failed_jobs()
    mail = services.late_mail(late_after)
    late = [m for m in mail if m.status == QUEUED]
    refused = [m for m in mail if m.status == FAILED]
    return [
        Finding(STUCK, len(stuck), len(stuck), [
            f"job {job.id} {job.kind}, lease expired {job.locked_until:%Y-%m-%d %H:%M}"
            for job in stuck]),
        Finding(FAILED_JOBS, len(failed), len(failed), [
            f"job {job.id} {job.kind}: {_last_line(job.last_error)}" for job in failed]),
        Finding(LATE_MAIL, len(late), len(late), [
            f"message {m.id} to {m.recipient}, queued {m.created_at:%Y-%m-%d %H:%M}"
            for m in late]),
        Finding(REFUSED_MAIL, len(refused), len(refused), [
            f"message {m.id} to {m.recipient}: {_last_line(m.last_error)}" for m in refused]),
    ]


def _repair(findings: list[Finding], *, fix: bool, retry_failed: bool) -> None:
    """Queue again what a worker should pick up; failed work only when asked to."""
    if fix:
        for job in services.stuck_jobs(timedelta(0)):
            requeue(job.id)
    if retry_failed:
        for job in services.failed_jobs():
            requeue(job.id, reset_attempts=True)
        db.session.execute(update(MailMessage).where(MailMessage.status == FAILED)
                           .values(status=QUEUED, attempts=0, locked_until=None))
    if any(f.found for f in findings if f.label in {LATE_MAIL, REFUSED_MAIL}):
        enqueue(SEND_JOB, {}, key=SEND_JOB)
    db.session.commit()


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1] if lines else ""
