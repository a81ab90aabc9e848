"""The schema that `db upgrade` builds is exactly the one the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from ecampus.extensions import db


def test_migrated_schema_matches_models(ctx):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; run 'ecampus db migrate': {diff}"


def test_every_table_has_a_migration(ctx):
    with db.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    assert set(db.metadata.tables) <= tables
