"""Fast bulk loading for the benchmarks: COPY on PostgreSQL, Core executemany on SQLite.

Rows are plain dicts with their ids given, so a bench can link tables without reading
anything back; columns a row leaves out take their column's default, as an ORM insert
would. PostgreSQL's id sequences are moved past the ids loaded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice

from sqlalchemy import JSON, Table, insert, text

from ecampus.extensions import db

CHUNK = 20_000


def _chunks(rows: Iterable[dict], size: int = CHUNK) -> Iterator[list[dict]]:
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def _defaults(table: Table, given: set[str]) -> dict:
    """The value each missing column's own scalar or context-free callable default gives."""
    values = {}
    for column in table.columns:
        if column.name in given or column.default is None:
            continue
        default = column.default
        if default.is_scalar:
            values[column.name] = default.arg
        elif default.is_callable:
            try:
                values[column.name] = default.arg(None)
            except (AttributeError, TypeError):
                continue  # needs the row (a search key): the caller gives it
    return values


def load(table: Table, rows: Iterable[dict]) -> int:
    """Insert the rows into `table` in the session's transaction (the caller commits)."""
    count = 0
    dialect = db.session.get_bind().dialect.name
    for chunk in _chunks(rows):
        extra = _defaults(table, set(chunk[0]))
        if extra:
            chunk = [{**extra, **row} for row in chunk]
        if dialect == "postgresql":
            _copy(table, chunk)
        else:
            db.session.execute(insert(table), chunk)
        count += len(chunk)
    return count


def _copy(table: Table, rows: list[dict]) -> None:
    names = list(rows[0])
    as_json = {name for name in names if isinstance(table.c[name].type, JSON)}
    if as_json:  # COPY takes JSON as its text
        rows = [{**row, **{name: json.dumps(row[name]) for name in as_json}} for row in rows]
    cursor = db.session.connection().connection.driver_connection.cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([row[name] for name in names])


def finish(tables: Iterable[Table]) -> None:
    """After loading: move PostgreSQL's id sequences on, and refresh both databases'
    planner statistics so the page queries are planned as in production."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        for table in tables:
            if "id" in table.c and table.c.id.autoincrement:
                # Names from the models' own metadata, never from input.
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
                    f"GREATEST((SELECT max(id) FROM \"{table.name}\"), 1))"))
        db.session.commit()
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "ANALYZE")
    else:
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
