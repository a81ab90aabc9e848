"""Helpers shared by the benchmarks: a throw-away app on its own database."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ecampus import create_app
from ecampus.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def fresh_database(url: str | None = None) -> Iterator[str]:
    """A new empty database: a temporary SQLite file, or a new PostgreSQL database."""
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.sqlite3"
        return
    base, _, _ = url.rpartition("/")
    name = f"ecampus_bench_{secrets.token_hex(4)}"
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                    f"CREATE DATABASE {name}", "postgres"], check=True)
    try:
        yield f"{base}/{name}"
    finally:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", "postgres"], check=False)


def make_app(database_url: str, **config):
    """An app in testing mode on `database_url`, migrated to the latest schema."""
    os.environ.setdefault("ECAMPUS_ENV", "testing")
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": secrets.token_urlsafe(48), "RATELIMIT_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **config})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        db.session.remove()
    return app
