"""Retention: rows kept only as long as they serve, purged by `ecampus purge`.

Each feature states what of its own it lets go, and when, as a rule listed in
`features.py` `retention_rules`: a function(now, dry_run) -> (label, count). A rule calls
`purge()` here, which deletes in bounded batches, each batch in its own transaction with
an audit entry of its count, so a purge of millions of rows never holds a long lock and
the log says what went. The periods are settings (RETENTION_*_DAYS, in days).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import ColumnElement, Table, delete, func, select

from .audit import record
from .extensions import db
from .timeutil import utcnow

#: Rows deleted per transaction.
BATCH = 5000


def cutoff(now: datetime, setting: str) -> datetime:
    """The moment before which a row of this kind is old enough to go."""
    return now - timedelta(days=current_app.config[setting])


def purge(label: str, table: Table, condition: ColumnElement, *, dry_run: bool,
          batch: int | None = None) -> tuple[str, int]:
    """Delete the rows of `table` meeting `condition`, `batch` at a time, each batch committed
    with an audit entry of its count ("retention.purged"); with `dry_run`, only count them.
    Returns (label, rows deleted or that would be)."""
    if dry_run:
        return label, db.session.scalar(select(func.count()).select_from(table)
                                        .where(condition)) or 0
    key = table.primary_key.columns.values()[0]
    size = batch or BATCH
    total = 0
    while True:
        ids = select(key).where(condition).order_by(key).limit(size).scalar_subquery()
        deleted = db.session.execute(delete(table).where(key.in_(ids))).rowcount
        if deleted:
            record("retention.purged", target=("table", table.name),
                   after={"kind": label, "count": deleted})
        db.session.commit()
        total += deleted
        if deleted < size:
            return label, total


def run_rules(*, dry_run: bool, now: datetime | None = None) -> list[tuple[str, int]]:
    """Every registered rule, in order: what each purged (or would)."""
    from .features import features

    now = now or utcnow()
    return [rule(now, dry_run) for rule in features().retention_rules]


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@with_appcontext
def purge_command(dry_run: bool):
    """Delete what has been kept long enough (RETENTION_*_DAYS settings); run it daily."""
    results = run_rules(dry_run=dry_run)
    db.session.remove()
    verb = "would be deleted" if dry_run else "deleted"
    for label, count in results:
        click.echo(f"{label}: {count} {verb}")
    click.echo(f"{sum(count for _label, count in results)} row(s) {verb} in all.")
