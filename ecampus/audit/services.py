"""Writing the audit log. Entries are added to the caller's transaction: they commit with
the change they describe, or not at all."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from ..extensions import db
from .models import AuditEntry


def record(action: str, *, target: tuple[str, Any] | None = None,
           institution_id: int | None = None, before: dict | None = None,
           after: dict | None = None, actor_id: int | None = None) -> AuditEntry:
    """Add one audit entry to the current transaction (never commits).

    `actor_id` defaults to the signed-in account of the request; outside a request (a
    command, a job) it is None unless given. `before`/`after` hold only what changed and
    never a name or an e-mail address: name people by account id.
    """
    address = None
    if has_request_context():
        address = request.remote_addr
        if actor_id is None and current_user and current_user.is_authenticated:
            actor_id = current_user.id
    target_type, target_id = target if target else (None, None)
    entry = AuditEntry(action=action, actor_id=actor_id, address=address,
                       target_type=target_type,
                       target_id=None if target_id is None else str(target_id),
                       institution_id=institution_id, before=before, after=after)
    db.session.add(entry)
    return entry
