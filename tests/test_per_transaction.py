"""`database.per_transaction`: computed once per transaction, forgotten when it ends."""

from __future__ import annotations

from sqlalchemy import select, text

from ecampus.database import per_transaction
from ecampus.extensions import db


def test_computed_once_within_a_transaction_and_again_after_commit_or_rollback(app):
    calls = []

    def compute():
        calls.append(1)
        return db.session.scalar(select(text("1")))

    with app.app_context():
        assert per_transaction(db.session, "k", compute) == 1
        assert per_transaction(db.session, "k", compute) == 1
        with db.session.begin_nested():  # a savepoint does not end the transaction
            per_transaction(db.session, "k", compute)
        assert len(calls) == 1
        db.session.commit()
        per_transaction(db.session, "k", compute)
        assert len(calls) == 2
        db.session.rollback()
        per_transaction(db.session, "k", compute)
        per_transaction(db.session, "other", compute)
        assert len(calls) == 4
        db.session.rollback()


def test_a_value_read_in_one_request_is_not_seen_by_the_next(app):
    """Sessions end with each app context: nothing survives into another request."""
    with app.app_context():
        assert per_transaction(db.session, "users", lambda: "first") == "first"
    with app.app_context():
        assert per_transaction(db.session, "users", lambda: "second") == "second"
