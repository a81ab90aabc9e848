"""The institutions' and certificates' builders, and a reader of the audit log."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from ecampus.audit.models import AuditEntry
from ecampus.extensions import db
from tests.certificates.conftest import _keys_in_test_instance, earned  # noqa: F401
from tests.institutions.conftest import (  # noqa: F401
    cohort,
    courses,
    institution,
    make_cohort,
    make_institution,
    make_member,
    manager_client,
)


def entries(app, action: str | None = None) -> list[SimpleNamespace]:
    """The audit entries (of one action), oldest first, as plain records."""
    with app.app_context():
        statement = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            statement = statement.where(AuditEntry.action == action)
        return [SimpleNamespace(**{c.name: getattr(e, c.name) for c in AuditEntry.__table__.c})
                for e in db.session.scalars(statement)]
