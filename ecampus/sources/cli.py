"""`ecampus courses sync [SOURCE]` and `ecampus courses add-source`: git sources from the shell."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..catalog.publishing import SKIPPED, UNCHANGED
from . import services
from .git import GitError


@click.command("sync")
@click.argument("source", required=False)
@click.option("--force", is_flag=True, help="Publish again even if the commit is unchanged.")
@with_appcontext
def sync_command(source: str | None, force: bool):
    """Fetch and publish a git source now (every source without SOURCE)."""
    sources = services.list_sources()
    if source:
        sources = [s for s in sources if s.slug == source]
        if not sources:
            raise click.UsageError(f"There is no course source called {source}.")
    if not sources:
        click.echo("No course source is registered.")
        return
    failed = False
    for item in sources:
        slug = item.slug
        try:
            result = services.sync_source(item.id, force=force)
        except GitError as error:
            click.echo(f"{slug}: {error}", err=True)
            failed = True
            continue
        failed = echo_sync(slug, result, click.echo) or failed
    sys.exit(1 if failed else 0)


@click.command("add-source")
@click.argument("name")
@click.argument("url")
@click.option("--branch", default="main", show_default=True)
@with_appcontext
def add_source_command(name: str, url: str, branch: str):
    """Register a git repository to publish courses from; prints its webhook secret once."""
    try:
        source, secret = services.create_source(name, url, branch)
    except services.SourceError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"Source {source.slug} registered. Webhook secret (shown once): {secret}")


def echo_sync(slug: str, result, echo) -> bool:
    """Print what a sync did; True when some course was refused for its errors."""
    if result is None:
        echo(f"{slug}: the source is gone.")
        return False
    commit = result.commit
    if result.report is None:
        echo(f"{slug}: commit {commit.id[:12]} is already published; nothing to do.")
        return False
    echo(f"{slug}: commit {commit.id[:12]} by {commit.author}")
    refused = False
    for change in result.report.courses:
        if change.outcome == SKIPPED:
            refused = True
            echo(f"  skipped   {change.slug}: it has errors; the published version stays live")
            for problem in change.problems:
                if problem.severity == "error":
                    echo(f"  {problem}")
        elif change.outcome != UNCHANGED:
            echo(f"  {change.outcome:9} {change.slug}")
    for retired in result.retired:
        echo(f"  retired   {retired}")
    return refused
