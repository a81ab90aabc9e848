"""Shared fixtures: one migrated database per run, emptied after each test, and factories.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
DATABASE_URL when that is set (CI runs the suite once each way).
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from ecampus import create_app
from ecampus.audit.models import GUARDS as AUDIT_GUARDS
from ecampus.auth import services as accounts
from ecampus.catalog.services import clear_caches
from ecampus.extensions import db, limiter
from tests.smtp import Collector, SMTPServer

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client(FlaskClient):
    """A test client that fills in the CSRF token the way a browser's form would."""

    _csrf: str | None = None
    _csrf_secret: str | None = None

    def csrf_token(self) -> str:
        # Signing in (or choosing a new password) starts a fresh session with a new secret.
        if self._csrf is None or self._session_csrf_secret() != self._csrf_secret:
            page = self.get("/").get_data(as_text=True)
            match = _CSRF.search(page)
            assert match, "no CSRF token found on the home page"
            self._csrf = match.group(1)
            self._csrf_secret = self._session_csrf_secret()
        return self._csrf

    def _session_csrf_secret(self) -> str | None:
        cookie = self.get_cookie("session")
        if cookie is None:
            return None
        app = self.application
        serializer = app.session_interface.get_signing_serializer(app)
        try:
            return serializer.loads(cookie.value).get("csrf_token")
        except Exception:  # noqa: BLE001 - an unreadable session has no secret to compare
            return None

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with a valid CSRF token."""
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=payload, **kwargs)

    def sign_in(self, email: str, password: str = PASSWORD):
        response = self.submit("/account/login", {"email": email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        self._csrf = None  # the session was rotated
        return response


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """The application, on a database migrated once for the whole run."""
    instance = tmp_path_factory.mktemp("instance")
    application = create_app({
        "ENV_NAME": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-" + "x" * 40,
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path_factory),
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "MAIL_OUTBOX": str(instance / "outbox"),
        "SERVER_NAME": None,
        # The test client's own host, so links in mail can be followed; tests/test_hosts.py
        # proves links come from this setting and never from the request.
        "PUBLIC_URL": "http://localhost",
    })
    application.test_client_class = Client
    with application.app_context():
        from flask_migrate import upgrade

        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test starts from empty tables and fresh rate-limit counters."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        db.session.remove()
        _empty_tables()
        limiter.reset()
        clear_caches()


def _empty_tables() -> None:
    """Delete every row; tables that point at each other are handled by each database's way."""
    tables = db.metadata.sorted_tables
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with db.engine.begin() as connection:
            _lift_audit_guards(connection)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            _restore_audit_guards(connection)
        return
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        audited = connection.exec_driver_sql("SELECT 1 FROM audit_entries LIMIT 1").first()
        if audited:
            _lift_audit_guards(connection)
        for table in reversed(tables):
            connection.execute(table.delete())
        if audited:
            _restore_audit_guards(connection)
        connection.commit()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def _lift_audit_guards(connection) -> None:
    """Drop the triggers that keep audit entries append-only, in the emptying transaction:
    emptying every table between tests is the one deletion the application never makes."""
    for name in audit_trigger_names(connection.dialect.name):
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}"
                                   + (" ON audit_entries" if connection.dialect.name
                                      == "postgresql" else ""))


def _restore_audit_guards(connection) -> None:
    """Create the triggers again, before the transaction that lifted them commits."""
    for _name, statement in AUDIT_GUARDS.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)


def audit_trigger_names(dialect: str) -> list[str]:
    """The names of the audit log's guard triggers on this database."""
    return [name for name, _statement in AUDIT_GUARDS.get(dialect, []) if name]


@pytest.fixture
def ctx(app):
    """An application context, for calling services directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app) -> Client:
    return app.test_client()


@pytest.fixture
def other_node(app):
    """A second app on the same database, as another node behind the load balancer: what
    one node changes must show on the other's next request."""
    keys = ("ENV_NAME", "TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI",
            "PASSWORD_HASH_METHOD", "MAIL_OUTBOX", "SERVER_NAME", "PUBLIC_URL")
    node = create_app({key: app.config[key] for key in keys})
    node.test_client_class = Client
    yield node
    with node.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Outbox:
    """The MAIL_OUTBOX folder, seen after the worker has run: `glob()` first runs every due
    job through the real worker code (`run_pending_jobs`), as `ecampus worker` would once
    the request's transaction committed, then lists the .eml files."""

    def __init__(self, app, path: Path):
        self.app = app
        self.path = path

    def glob(self, pattern: str):
        from ecampus.jobs.worker import run_pending_jobs

        with self.app.app_context():
            run_pending_jobs()
            db.session.remove()
        return self.path.glob(pattern)


@pytest.fixture
def outbox(app) -> Outbox:
    """The mail sent so far (written to MAIL_OUTBOX: no SMTP server in tests); its `glob()`
    runs the queued jobs first, so a test reads the mail a running worker would have sent."""
    path = Path(app.config["MAIL_OUTBOX"])
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.eml"):
        old.unlink()
    return Outbox(app, path)


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on loopback that the app mails to; yields what it received."""
    collector = Collector()
    with SMTPServer(collector) as server:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
        yield collector


@pytest.fixture
def make_user(app):
    """Factory: create a real account; returns a plain record of it (id, email, name, role)."""
    counter = iter(range(1, 10_000))

    def factory(role: str = "learner", *, email: str | None = None, name: str | None = None,
                password: str = PASSWORD, language: str = "en"):
        n = next(counter)
        with app.app_context():
            user = accounts.create_user(
                email or f"{role}{n}@example.org", name or f"{role.title()} Number{n}",
                password, role=role, language=language,
            )
            return SimpleNamespace(id=user.id, email=user.email, full_name=user.full_name,
                                   role=user.role, language=user.language)

    return factory


@pytest.fixture
def learner(make_user):
    return make_user("learner")


@pytest.fixture
def author(make_user):
    return make_user("author")


@pytest.fixture
def manager(make_user):
    return make_user("manager")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on a free local port, for the browser tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
