"""`ecampus worker` runs the queued jobs; `ecampus doctor` finds and repairs what is owed."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from . import services
from .worker import run_pending_jobs, work


@click.command("worker")
@click.option("--once", is_flag=True, help="Run every due job, then exit (for cron or tests).")
@click.option("--poll", "poll_seconds", default=1.0, show_default=True,
              help="Seconds to wait before looking again when the queue is empty.")
@click.option("--lease", "lease_seconds", type=int, default=None,
              help="Seconds a claimed job belongs to this worker before another may take it "
                   "over (default 300).")
@with_appcontext
def worker_command(once: bool, poll_seconds: float, lease_seconds: int | None):
    """Send mail and do the other queued work; run one or more beside the web server."""
    if lease_seconds:
        current_app.config["JOB_LEASE_SECONDS"] = lease_seconds
    if once:
        ran = run_pending_jobs()
        click.echo(f"{ran} job(s) run.")
        return
    stop = threading.Event()

    def finish(_signum, _frame) -> None:
        # The job in hand is finished and recorded before the worker exits.
        stop.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    click.echo("Worker started; stop it with Ctrl+C or SIGTERM.")
    work(stop, poll_seconds=poll_seconds)
    click.echo("Worker stopped.")


def start_worker_thread(app, *, poll_seconds: float = 1.0) -> threading.Event:
    """Run a worker in a daemon thread of this process (the quickstart); set the returned
    event to stop it."""
    stop = threading.Event()

    def run() -> None:
        with app.app_context():
            work(stop, poll_seconds=poll_seconds)

    threading.Thread(target=run, name="ecampus-worker", daemon=True).start()
    return stop


@click.command("doctor")
@click.option("--fix", is_flag=True, help="Repair what can be repaired (idempotent).")
@click.option("--retry-failed", is_flag=True,
              help="Also queue failed jobs and failed mail again.")
@click.option("--mail-minutes", default=int(services.MAIL_LATE_AFTER.total_seconds() // 60),
              show_default=True, help="Mail queued longer than this counts as never sent.")
@click.option("--stuck-minutes", default=int(services.STUCK_AFTER.total_seconds() // 60),
              show_default=True, help="A job whose lease expired this long ago is stuck.")
@with_appcontext
def doctor_command(fix: bool, retry_failed: bool, mail_minutes: int, stuck_minutes: int):
    """List what a learner or a mail recipient is owed and was not given; with --fix,
    give it. Exits non-zero while problems remain, so cron can alert."""
    from . import doctor

    report = doctor.examine(fix=fix, retry_failed=retry_failed,
                            late_after=timedelta(minutes=mail_minutes),
                            stuck_after=timedelta(minutes=stuck_minutes))
    db.session.remove()
    for line in report.lines:
        click.echo(line)
    if report.remaining:
        raise SystemExit(1)
    click.echo("Nothing to repair.")
