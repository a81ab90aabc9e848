"""Nothing can change or remove an audit entry: the database refuses, whatever asks."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, delete, inspect, text, update
from sqlalchemy.exc import DatabaseError

from ecampus.audit import record
from ecampus.audit.models import REFUSAL, AuditEntry
from ecampus.extensions import db
from tests.helpers import scratch_app


@pytest.fixture
def entry_id(ctx):
    entry = record("user.role_changed", target=("user", 7), before={"role": "learner"},
                   after={"role": "author"})
    db.session.commit()
    return entry.id


def _refused(action) -> str:
    with pytest.raises(DatabaseError) as refused:
        action()
        db.session.commit()
    db.session.rollback()
    return str(refused.value)


def _unchanged(entry_id: int) -> None:
    db.session.expire_all()
    entry = db.session.get(AuditEntry, entry_id)
    assert entry is not None and entry.after == {"role": "author"}


def test_updating_an_entry_through_the_orm_is_refused(ctx, entry_id):
    def change():
        db.session.get(AuditEntry, entry_id).after = {"role": "admin"}
        db.session.flush()

    assert REFUSAL in _refused(change)
    _unchanged(entry_id)


def test_deleting_an_entry_through_the_orm_is_refused(ctx, entry_id):
    def remove():
        db.session.delete(db.session.get(AuditEntry, entry_id))
        db.session.flush()

    assert REFUSAL in _refused(remove)
    _unchanged(entry_id)


def test_bulk_update_and_delete_statements_are_refused(ctx, entry_id):
    assert REFUSAL in _refused(lambda: db.session.execute(
        update(AuditEntry).values(actor_id=None)))
    assert REFUSAL in _refused(lambda: db.session.execute(delete(AuditEntry)))
    _unchanged(entry_id)


def test_raw_sql_update_and_delete_are_refused(ctx, entry_id):
    assert REFUSAL in _refused(lambda: db.session.execute(
        text("UPDATE audit_entries SET action = 'x' WHERE id = :id"), {"id": entry_id}))
    assert REFUSAL in _refused(lambda: db.session.execute(text("DELETE FROM audit_entries")))
    _unchanged(entry_id)


def test_truncating_the_log_is_refused_on_postgresql(ctx, entry_id):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE: DELETE without WHERE is refused above")
    assert REFUSAL in _refused(lambda: db.session.execute(text("TRUNCATE audit_entries")))
    _unchanged(entry_id)


def test_new_entries_can_still_be_added(ctx, entry_id):
    record("certificate.revoked", target=("certificate", "ABC"))
    db.session.commit()
    assert db.session.query(AuditEntry).count() == 2


def test_a_schema_built_from_the_models_is_guarded_too(tmp_path):
    app = scratch_app(tmp_path)
    with app.app_context():
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(AuditEntry.__table__.insert().values(action="x", at=text(
                "CURRENT_TIMESTAMP")))
        with pytest.raises(DatabaseError, match=REFUSAL), db.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_entries"))
        with pytest.raises(DatabaseError, match=REFUSAL), db.engine.begin() as connection:
            connection.execute(text("UPDATE audit_entries SET action = 'y'"))
        db.engine.dispose()


def test_the_migration_creates_the_guards(ctx):
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            names = {row[0] for row in connection.execute(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'audit_entries'"))}
        assert names == {"audit_entries_no_update", "audit_entries_no_delete"}
    else:
        with engine.connect() as connection:
            names = {row[0] for row in connection.execute(text(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_entries'::regclass "
                "AND NOT tgisinternal"))}
        assert names == {"audit_entries_no_change", "audit_entries_no_truncate"}
    assert "audit_entries" in inspect(engine).get_table_names()


def test_a_second_connection_cannot_change_an_entry_either(app, entry_id):
    with app.app_context():
        url = db.engine.url
    engine = create_engine(url)
    try:
        with pytest.raises(DatabaseError, match=REFUSAL), engine.begin() as connection:
            connection.execute(text("UPDATE audit_entries SET address = '10.0.0.1'"))
    finally:
        engine.dispose()
