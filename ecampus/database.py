"""Database engine settings that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from sqlalchemy import event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, SessionTransaction

SQLITE_BUSY_TIMEOUT_MS = 30_000
T = TypeVar("T")


def configure_engine(app: Flask) -> None:
    """Give SQLite a busy timeout so concurrent writers wait instead of failing at once, and
    PostgreSQL the pool each process keeps (DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW)."""
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        connect_args = dict(options.get("connect_args") or {})
        connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        options["connect_args"] = connect_args
    else:
        options.setdefault("pool_pre_ping", True)
        options.setdefault("pool_size", app.config.get("DATABASE_POOL_SIZE", 5))
        options.setdefault("max_overflow", app.config.get("DATABASE_MAX_OVERFLOW", 10))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers run beside a writer; NORMAL sync is safe under WAL and much faster."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def insert_ignoring_duplicates(table, rows: list[dict] | dict, *, conflict: list[str],
                               returning: list | None = None) -> list:
    """INSERT rows, skipping those colliding with a unique key, on SQLite and PostgreSQL alike.

    Double submissions and concurrent requests then need no locking and never fail. Rows go
    as one executemany, which SQLAlchemy batches into multi-row INSERTs without compiling a
    parameter per value (seconds saved at 10,000 rows). With `returning`, the inserted rows'
    columns come back, so a caller knows which rows were new.
    """
    from .extensions import db

    rows = [rows] if isinstance(rows, dict) else list(rows)
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql" and len(rows) > 1:
        return _insert_json_rows(table, rows, conflict, returning)
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).on_conflict_do_nothing(index_elements=conflict)
    if returning:
        return db.session.execute(statement.returning(*returning), rows).all()
    db.session.execute(statement, rows)
    return []


def _insert_json_rows(table, rows: list[dict], conflict: list[str], returning: list | None):
    """PostgreSQL: send every row as one JSON parameter and let the server expand it.

    psycopg's executemany sends one INSERT per row; 50,000 enrolments took two seconds that
    way, and a fraction of that as a single INSERT ... SELECT FROM json_populate_recordset.
    """
    import json

    from sqlalchemy import text

    from .extensions import db

    # Every name is looked up in the table's own metadata (KeyError otherwise); the values
    # travel as a bound parameter.
    columns = ", ".join(f'"{table.c[name].name}"' for name in rows[0])
    keys = ", ".join(f'"{table.c[name].name}"' for name in conflict)
    statement = (f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM '  # noqa: S608
                 f'json_populate_recordset(NULL::"{table.name}", CAST(:rows AS json)) '
                 f"ON CONFLICT ({keys}) DO NOTHING")
    if returning:
        statement += " RETURNING " + ", ".join(f'"{column.name}"' for column in returning)
    result = db.session.execute(text(statement), {"rows": json.dumps(rows, default=str)})
    return result.all() if returning else []


def skip_locked_ids(statement, name: str = "batch"):
    """`SELECT id FROM (statement ... FOR UPDATE SKIP LOCKED)` for an `UPDATE ... WHERE id IN`.

    A batch claim must lock the rows its LIMIT picked and no others. PostgreSQL may run an
    IN (subquery) more than once in an UPDATE, claiming every row instead of a batch; a
    MATERIALIZED CTE runs exactly once. SQLite ignores FOR UPDATE (it serialises writers).
    """
    from sqlalchemy import select

    batch = (statement.with_for_update(skip_locked=True).cte(name)
             .prefix_with("MATERIALIZED", dialect="postgresql"))
    return select(*batch.c)


def hand_over_numbered_rows(owner, group, number, *, keep_id: int, merged_id: int) -> int:
    """Give every row owned by `merged_id` to `keep_id` (caller commits), keeping each
    (owner, group, number) unique: in a group both owners have rows in, the merged owner's
    rows are numbered after the kept owner's last, in their own order. Returns how many were
    renumbered. `owner`, `group` and `number` are columns of one mapped table."""
    from .extensions import db

    table = owner.class_
    merged_groups = select(group).where(owner == merged_id)
    last = dict(db.session.execute(
        select(group, func.max(number)).where(owner == keep_id, group.in_(merged_groups))
        .group_by(group)).all())
    renumbered = 0
    if last:
        rows = db.session.execute(
            select(table.id, group).where(owner == merged_id, group.in_(last))
            .order_by(group, number)).all()
        for row_id, key in rows:
            last[key] += 1
            db.session.execute(update(table).where(table.id == row_id)
                               .values({owner.key: keep_id, number.key: last[key]})
                               .execution_options(synchronize_session=False))
            renumbered += 1
    db.session.execute(update(table).where(owner == merged_id).values({owner.key: keep_id})
                       .execution_options(synchronize_session=False))
    return renumbered


_PER_TRANSACTION = "ecampus.per_transaction"


def per_transaction(session: Session, key: str, compute: Callable[[], T]) -> T:
    """`compute()`, once per database transaction of `session`: what several steps of one
    change all need (the webhook endpoints every event of a quiz pass is told to) is read
    once. Forgotten when the transaction ends, committed or rolled back, so the next one
    reads what other nodes committed meanwhile."""
    memo = session.info.setdefault(_PER_TRANSACTION, {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


@event.listens_for(Session, "after_transaction_end")
def _forget_per_transaction(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PER_TRANSACTION, None)
