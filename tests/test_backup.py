"""A backup made as docs/deploy.md says (pg_dump / pg_restore on PostgreSQL, SQLite's online
backup) restores into a fresh database that the site serves: lessons, certificates that still
verify, and new certificates signed with the same key."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ecampus import create_app
from ecampus.certificates import services as certificates
from ecampus.certificates import signing, vc
from ecampus.extensions import db
from tests.certificates.conftest import certificate_of, certified_course, complete
from tests.helpers import publish

ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith("postgres")


@pytest.fixture
def certified(app, client, learner, tmp_path):
    """A populated site: a published course and a learner's signed certificate."""
    certified_course(tmp_path / "courses")
    publish(app, tmp_path / "courses")
    client.sign_in(learner.email)
    complete(client)
    certificate = certificate_of(app, learner.id)
    assert certificate is not None
    return certificate


def _restored_site_serves(app, url: str, certificate) -> None:
    """An app on the restored database, as a node started on it would be."""
    restored = create_app({"ENV_NAME": "testing", "TESTING": True,
                           "SECRET_KEY": app.config["SECRET_KEY"],
                           "SQLALCHEMY_DATABASE_URI": url,
                           "PUBLIC_URL": app.config["PUBLIC_URL"]})
    try:
        visitor = restored.test_client()
        lesson = visitor.get("/courses/certified-course/one/")
        assert lesson.status_code == 200 and "Some text." in lesson.get_data(as_text=True)
        assert visitor.get(f"/verify/{certificate.code}").status_code == 200
        with restored.app_context():
            result, _altered = certificates.verify_document(certificate.credential)
            assert result.ok, result.errors
            signer = certificate.credential["proof"]["verificationMethod"].rpartition("/")[2]
            assert vc.public_multikey(signing.signing_key().public_key()) == signer
            db.session.rollback()
    finally:
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump needs DATABASE_URL on PostgreSQL "
                                              "(CI's second pass)")
def test_pg_dump_restored_into_a_fresh_database_is_served(app, certified, tmp_path):
    source = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    libpq = source.set(drivername="postgresql")
    dump = tmp_path / "ecampus.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}",
                    f"--dbname={libpq.render_as_string(hide_password=False)}"], check=True)
    fresh = f"ecampus_restored_{secrets.token_hex(4)}"
    admin = libpq.set(database="postgres").render_as_string(hide_password=False)
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {fresh}"], check=True)
    try:
        subprocess.run(["pg_restore", "--no-owner", "--exit-on-error",
                        f"--dbname={libpq.set(database=fresh).render_as_string(False)}",
                        str(dump)], check=True)
        _restored_site_serves(app, source.set(database=fresh).render_as_string(False),
                              certified)
    finally:
        subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {fresh} WITH (FORCE)"],
                       check=True)


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite backup runs in the SQLite pass")
def test_sqlite_backup_restored_into_a_fresh_file_is_served(app, certified, tmp_path):
    source = Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)
    copy = tmp_path / "restored.sqlite3"
    # What `sqlite3 ecampus.sqlite3 ".backup copy.sqlite3"` does: SQLite's online backup,
    # consistent while the site keeps writing.
    with sqlite3.connect(source) as live, sqlite3.connect(copy) as target:
        live.backup(target)
    _restored_site_serves(app, f"sqlite:///{copy}", certified)
