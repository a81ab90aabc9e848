"""`ecampus cohorts import COHORT_ID FILE [--apply]`: the CSV enrolment, from a terminal."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from . import imports, membership
from .csvfile import ENCODINGS, FileRejected
from .models import Cohort

cohorts_cli = AppGroup("cohorts", help="Enrol cohorts from CSV files and mail their notices.")


@cohorts_cli.command("import")
@click.argument("cohort_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--apply", "apply_", is_flag=True, help="Apply the file; without it, preview.")
@click.option("--encoding", type=click.Choice(ENCODINGS), default="auto", show_default=True)
@click.option("--site-url", default=None,
              help="This site's address for invitation links (default: ISSUER_URL).")
def import_command(cohort_id: int, file: Path, apply_: bool, encoding: str,
                   site_url: str | None):
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
    click.echo(f"{file.name} ({record.encoding}): {counts['create']} new account(s), "
               f"{counts['enrol']} existing account(s) to enrol, {counts['member']} "
               f"already in the cohort.")
    if preview.problems:
        raise click.ClickException("The file has errors; nothing was applied.")
    if not apply_:
        click.echo("Preview only: run again with --apply to enrol these people.")
        return
    site_url = _site_url(site_url)
    outcome = imports.apply_import(cohort, record.id)
    click.echo(f"Applied: {outcome.created} created and invited, {outcome.enrolled} "
               f"enrolled, {outcome.unchanged} unchanged.")
    _send(site_url, cohort.id)


def _send(site_url: str, cohort_id: int | None) -> None:
    with current_app.test_request_context("/", base_url=site_url):
        sent, failed = membership.send_pending_notices(cohort_id=cohort_id)
    click.echo(f"Mail sent: {sent}; could not be sent (left queued): {failed}.")


@cohorts_cli.command("send-notices")
@click.option("--site-url", default=None,
              help="This site's address for invitation links (default: ISSUER_URL).")
def send_notices_command(site_url: str | None):
    """Send invitations and enrolment notices still queued (after a stopped worker or a
    mail server outage); safe to run from cron."""
    _send(_site_url(site_url), None)


def _site_url(given: str | None) -> str:
    site_url = given or current_app.config.get("ISSUER_URL") or ""
    if not site_url:
        raise click.ClickException("Give --site-url (or set ECAMPUS_ISSUER_URL) so that "
                                   "invitation links point at this site.")
    return site_url
