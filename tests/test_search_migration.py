"""Upgrading a site to folded search keys makes its existing people and courses findable
without accents at once, before any account is edited or course republished."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from ecampus.extensions import db
from tests.helpers import scratch_app

BEFORE = "1a0000000004"
SEARCH = "1a0000000005"


def test_existing_rows_get_their_search_keys(tmp_path):
    app = scratch_app(tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in (
                "INSERT INTO users (id, email, full_name, language, role, active, created_at) "
                "VALUES (1, 'hl@example.org', 'Hélène Lefèvre', 'fr', 'learner', 1, "
                "'2026-01-01')",
                "INSERT INTO courses (id, slug, content_hash, version, base_language, "
                "languages, status, enrolment, tags, authors, search_text, published_at, "
                "updated_at) VALUES (1, 'compras', 'x', 1, 'es', '[\"es\"]', 'published', "
                "'open', '[\"Licitación\"]', '[]', 'compras públicas', '2026-01-01', "
                "'2026-01-01')",
                "INSERT INTO course_texts (course_id, language, title, summary, "
                "description_html) VALUES (1, 'es', 'Compras públicas', "
                "'Reglas de contratación.', '')",
            ):
                connection.execute(text(statement))
        upgrade(revision=SEARCH)
        with db.engine.connect() as connection:
            user_key = connection.scalar(text("SELECT search_key FROM users"))
            course_key = connection.scalar(text("SELECT search_text FROM courses"))
        assert user_key == "helene lefevre hl@example.org"
        assert course_key == "licitacion compras publicas reglas de contratacion."
        downgrade(revision=BEFORE)
        db.engine.dispose()
