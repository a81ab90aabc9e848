"""Durable follow-up work: jobs committed in the caller's transaction, run by `ecampus worker`.

`enqueue` is the one way to ask for work after a change; the handler of each kind is listed
in `ecampus.features.JOB_HANDLERS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, text

from ..extensions import db
from ..timeutil import utcnow
from .models import QUEUED, Job
from .views import bp

__all__ = ["bp", "enqueue"]


def enqueue(kind: str, payload: dict[str, Any], *, key: str | None = None,
            run_after: datetime | None = None) -> None:
    """Add a job to the caller's transaction, so it exists exactly when the change commits.

    With a `key`, a second enqueue while a job with that key is still queued adds nothing;
    it only brings that job's `run_after` forward if this one is due sooner.
    """
    values = {"kind": kind, "payload": payload, "key": key, "status": QUEUED,
              "attempts": 0, "max_attempts": 8, "run_after": run_after or utcnow(),
              "created_at": utcnow()}
    if key is None:
        db.session.execute(Job.__table__.insert(), values)
        return
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(Job.__table__).values(values)
    sooner = case((statement.excluded.run_after < Job.__table__.c.run_after,
                   statement.excluded.run_after), else_=Job.__table__.c.run_after)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["key"], index_where=text("status = 'queued'"),
        set_={"run_after": sooner}))
