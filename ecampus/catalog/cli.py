"""`ecampus courses check|publish [DIR]`: the authors' two commands."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from . import courseformat as cf
from .publishing import (
    ADDED,
    CHANGED,
    NO_ACCOUNT,
    RETIRED,
    SKIPPED,
    UNCHANGED,
    PublishReport,
    publish_courses,
)

courses_cli = AppGroup("courses", help="Check and publish Markdown courses.")
PROGRESS_THRESHOLD = 10


def _root(directory: str | None) -> Path:
    root = Path(directory or current_app.config["COURSES_DIR"])
    if not root.is_dir():
        raise click.UsageError(f"{root} is not a folder of courses.")
    return root


def _echo_problems(problems) -> None:
    for problem in problems:
        click.echo(str(problem))


@courses_cli.command("check")
@click.argument("directory", required=False)
def check_command(directory: str | None):
    """Print every problem in every course; exit 1 if any is an error. Writes nothing."""
    results = cf.read_courses(_root(directory))
    errors = warnings = 0
    for result in results:
        _echo_problems(result.problems)
        errors += len(result.errors)
        warnings += len(result.warnings)
    click.echo(f"{len(results)} course(s) checked: {errors} error(s), {warnings} warning(s).")
    sys.exit(1 if errors else 0)


@courses_cli.command("publish")
@click.argument("directory", required=False)
def publish_command(directory: str | None):
    """Check, then publish each valid course in its own transaction."""
    root = _root(directory)
    report = publish_and_echo(root, click.echo)
    sys.exit(1 if report.skipped else 0)


def publish_and_echo(root: Path | str, echo) -> PublishReport:
    """Publish `root` and print what changed; used by the CLI and the quickstart."""
    def progress(items):
        if len(items) < PROGRESS_THRESHOLD or not sys.stdout.isatty():
            return items
        return click.progressbar(items, label="Publishing", show_pos=True)

    report = publish_courses(root, progress=progress)
    for change in report.courses:
        if change.outcome == SKIPPED:
            echo(f"skipped   {change.slug}: it has errors; the published version stays live")
            _echo_problems(p for p in change.problems if p.severity == "error")
            continue
        counts = {o: sum(v == o for v in change.modules.values())
                  for o in (ADDED, CHANGED, RETIRED, UNCHANGED)}
        detail = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        echo(f"{change.outcome:9} {change.slug}" + (f" (modules: {detail})" if detail else ""))
        _echo_problems(p for p in change.problems if p.message.startswith(NO_ACCOUNT))
    summary = ", ".join(f"{report.count(o)} {o}" for o in (ADDED, CHANGED, RETIRED, UNCHANGED,
                                                            SKIPPED))
    echo(f"Courses: {summary}.")
    return report
