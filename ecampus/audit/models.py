"""The audit log: one append-only row per privileged or consequential action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, JSON, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..timeutil import utcnow


class AuditEntry(db.Model):
    """Who did what, when, from where, and what it changed.

    People are named by account id only, never by name or address, in `actor_id`,
    `target_id` and `before`/`after`: the pages resolve today's name, so erasing an account
    removes its personal data without touching a single entry. Rows are never updated or
    deleted; the database refuses it (`GUARDS`, triggers created with the table).
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_institution_at", "institution_id", "at"),
        Index("ix_audit_entries_actor_at", "actor_id", "at"),
        Index("ix_audit_entries_action_at", "action", "at"),
        Index("ix_audit_entries_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: The account that acted; None for the system (a command, a job, a webhook).
    actor_id: Mapped[int | None]
    #: Where the request came from (behind the proxy, the client's address).
    address: Mapped[str | None] = mapped_column(String(45))
    #: What was done, as "<thing>.<verb>": "user.role_changed", "certificate.revoked".
    action: Mapped[str] = mapped_column(String(64))
    #: What it was done to: ("user", "42"), ("cohort", "7"), ("course", "intro-migration").
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(200))
    #: The institution it concerns, so its managers see it.
    institution_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


#: The message the database gives for an UPDATE or DELETE of an audit entry.
REFUSAL = "audit entries are append-only"

#: Triggers by which the database refuses to change or remove an entry: (name, statement)
#: per dialect. The migration creates the same ones; a table built from the models
#: (`db.create_all()`) gets them from the `after_create` event below, so no way of making
#: the table leaves it open. Only the database's owner, by dropping a trigger, can alter
#: the log, and not through the application.
GUARDS: dict[str, list[tuple[str, str]]] = {
    "sqlite": [
        ("audit_entries_no_update",
         "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
         f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"),
        ("audit_entries_no_delete",
         "CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries "
         f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"),
    ],
    "postgresql": [
        ("", "CREATE OR REPLACE FUNCTION audit_entries_refuse() RETURNS trigger "
             "LANGUAGE plpgsql AS $$ BEGIN "
             f"RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'integrity_constraint_violation'; "
             "END $$"),
        ("audit_entries_no_change",
         "CREATE TRIGGER audit_entries_no_change BEFORE UPDATE OR DELETE ON audit_entries "
         "FOR EACH ROW EXECUTE FUNCTION audit_entries_refuse()"),
        ("audit_entries_no_truncate",
         "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
         "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_refuse()"),
    ],
}

for _dialect, _guards in GUARDS.items():
    for _name, _statement in _guards:
        event.listen(AuditEntry.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
