"""Upgrading to unlimited status lists keeps every issued credential where it was (list 0),
lets a presented file find its record by credential id, and marks replaced ones revoked."""

from __future__ import annotations

import os
import secrets

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import JSON, bindparam, create_engine, text

from ecampus import create_app
from ecampus.extensions import db

BEFORE = "1a0000000006"
STATUS_LISTS = "1a0000000007"


@pytest.fixture
def empty_database(tmp_path):
    """A new empty database of the kind the suite runs on (SQLite, or PostgreSQL)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    base, _, _ = url.rpartition("/")
    name = f"ecampus_migration_{secrets.token_hex(4)}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


CERTIFICATE = text(
    "INSERT INTO certificates (id, code, user_id, course_id, sequence, learner_name, "
    "course_title, certificate_title, course_version, language, issued_on, status, "
    "replaced_by_id, status_index, credential, created_at) VALUES (:id, :code, 1, 1, :id, "
    "'Ada', 'Course', 'Certificate', 1, 'en', '2026-01-01', :status, :replaced_by, :index, "
    ":credential, '2026-01-01')").bindparams(bindparam("credential", type_=JSON))


def _certificate(id_: int, code: str, status: str, index: int, replaced_by: int | None):
    credential = {"id": f"urn:uuid:{id_:08d}-0000-4000-8000-000000000000"}
    return CERTIFICATE.bindparams(id=id_, code=code, status=status, index=index,
                                  replaced_by=replaced_by, credential=credential)


def test_existing_certificates_are_found_by_id_and_replaced_ones_are_revoked(empty_database):
    app = create_app({
        "ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "test-secret-" + "x" * 40,
        "SQLALCHEMY_DATABASE_URI": empty_database, "PUBLIC_URL": "http://localhost",
    })
    with app.app_context():
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            for statement in (
                text("INSERT INTO users (id, email, full_name, search_key, language, role, active, "
                     "created_at) VALUES (1, 'ada@example.org', 'Ada', 'ada', 'en', 'learner', "
                     "TRUE, '2026-01-01')"),
                text("INSERT INTO courses (id, slug, content_hash, version, base_language, "
                     "languages, status, enrolment, tags, authors, owners, search_text, "
                     "published_at, updated_at) VALUES (1, 'c', 'x', 1, 'en', '[\"en\"]', "
                     "'published', 'open', '[]', '[]', '[]', '', '2026-01-01', '2026-01-01')"),
                _certificate(2, "NEW0-000-000-0000", "valid", 99, None),
                _certificate(1, "OLD0-000-000-0000", "replaced", 131071, 2),
            ):
                connection.execute(statement)
        upgrade(revision=STATUS_LISTS)
        with db.engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT code, status_list, status_index, credential_id, revoked_reason "
                "FROM certificates ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [
            ("OLD0-000-000-0000", 0, 131071, "urn:uuid:00000001-0000-4000-8000-000000000000",
             "replaced by NEW0-000-000-0000"),
            ("NEW0-000-000-0000", 0, 99, "urn:uuid:00000002-0000-4000-8000-000000000000",
             None),
        ]
        downgrade(revision=BEFORE)
        db.engine.dispose()
