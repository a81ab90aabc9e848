"""`ecampus cohorts import COHORT_ID FILE [--apply]`: the CSV enrolment, from a terminal."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..mail import send_queued_mail_now
from . import imports, membership
from .csvfile import ENCODINGS, FileRejected
from .models import Cohort

cohorts_cli = AppGroup("cohorts", help="Enrol cohorts from CSV files and mail their notices.")


@cohorts_cli.command("import")
@click.argument("cohort_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="Apply the file; without it, preview.")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="auto", show_default=True)
def import_command(cohort_id: int, file: Path, apply_: bool, encoding: str):
    """Preview a cohort CSV, and with --apply enrol its people, as the upload page does."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise click.ClickException(f"There is no cohort {cohort_id}.")
    config = current_app.config
    try:
        record = imports.preview_import(cohort, file.read_bytes(), filename=file.name,
                                        encoding=encoding, created_by=None,
                                        default_language=config["BABEL_DEFAULT_LOCALE"])
    except FileRejected as rejected:
        raise click.ClickException(rejected.problem.message) from None
    preview = imports.load_preview(cohort, record.id)
    for problem in preview.problems:
        click.echo(problem.message, err=True)
    counts = preview.counts
    click.echo(f"{file.name} ({record.encoding}): {counts['invite']} to invite, "
               f"{counts['enrol']} member(s) of the institution to enrol, "
               f"{counts['invited']} already invited, {counts['member']} already in the cohort.")
    if preview.problems:
        raise click.ClickException("The file has errors; nothing was applied.")
    if not apply_:
        click.echo("Preview only: run again with --apply to enrol these people.")
        return
    outcome = imports.apply_import(cohort, record.id)
    click.echo(f"Applied: {outcome.invited} invited, {outcome.enrolled} enrolled, "
               f"{outcome.already_invited} already invited, {outcome.unchanged} unchanged.")
    _send(cohort.id)


def _send(cohort_id: int | None) -> None:
    queued = membership.queue_notices(cohort_id=cohort_id)
    db.session.commit()
    sent, unsent = send_queued_mail_now()
    click.echo(f"Mail queued: {queued}; sent: {sent}; still queued: {unsent}.")


@cohorts_cli.command("send-notices")
def send_notices_command():
    """Queue any invitation or enrolment notice still owed and send the mail queue now
    (what `ecampus worker` does continuously); safe to run from cron."""
    _send(None)
