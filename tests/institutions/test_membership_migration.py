"""Upgrading a site to institution membership keeps what managers could already see: people
then in an institution's cohorts become its members; nobody else does."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from ecampus.extensions import db
from tests.helpers import scratch_app

BEFORE = "1a0000000001"
MEMBERSHIP = "1a0000000002"


def test_people_already_in_cohorts_become_members_of_their_institution(tmp_path):
    app = scratch_app(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, email, full_name, language, role, active, created_at) "
                "VALUES (1, 'a@example.org', 'A', 'en', 'learner', 1, '2026-01-01'), "
                "(2, 'b@example.org', 'B', 'en', 'learner', 1, '2026-01-01'), "
                "(3, 'c@example.org', 'C', 'en', 'learner', 1, '2026-01-01')",
                "INSERT INTO institutions (id, name, description, created_at) "
                "VALUES (1, 'Interior', '', '2026-01-01'), (2, 'Health', '', '2026-01-01')",
                "INSERT INTO cohorts (id, institution_id, name, description, created_at) "
                "VALUES (1, 1, 'Spring', '', '2026-01-01'), (2, 1, 'Autumn', '', '2026-01-01'),"
                " (3, 2, 'Nurses', '', '2026-01-01')",
                "INSERT INTO cohort_members (cohort_id, user_id, added_at) VALUES "
                "(1, 1, '2026-02-01'), (2, 1, '2026-01-15'), (3, 2, '2026-03-01')",
            ):
                connection.execute(text(statement))
        upgrade(revision=MEMBERSHIP)
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT institution_id, user_id, joined_at FROM institution_members "
                "ORDER BY institution_id, user_id")).all()
        assert [(i, u, str(joined)[:10]) for i, u, joined in rows] == [
            (1, 1, "2026-01-15"), (2, 2, "2026-03-01")]
        downgrade(revision=BEFORE)
        db.engine.dispose()
