"""The factory, configuration, database settings, headers and error pages."""

from __future__ import annotations

import html
import threading

import pytest
from sqlalchemy import text

from ecampus import create_app
from ecampus.config import ConfigError
from ecampus.extensions import db


def test_production_refuses_to_start_without_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("ECAMPUS_ENV", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_a_short_secret(monkeypatch):
    monkeypatch.delenv("ECAMPUS_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", "change-me")
    with pytest.raises(ConfigError, match="secrets.token_urlsafe"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_a_real_secret(monkeypatch):
    monkeypatch.delenv("ECAMPUS_ENV", raising=False)
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("ECAMPUS_PUBLIC_URL", "https://campus.example.gov")
    monkeypatch.setenv("ECAMPUS_MAIL_SERVER", "smtp.example.gov")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SECRET_KEY"] == "s" * 48


def test_environment_sets_database_and_rate_limit_storage(monkeypatch):
    monkeypatch.setenv("ECAMPUS_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:5432/x")
    monkeypatch.setenv("ECAMPUS_RATELIMIT_STORAGE", "redis://127.0.0.1:6379/3")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@127.0.0.1:5432/x"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/3"


def test_https_setting_makes_cookies_secure(monkeypatch):
    monkeypatch.setenv("ECAMPUS_ENV", "development")
    monkeypatch.setenv("ECAMPUS_HTTPS", "1")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_default_database_is_sqlite_in_instance_folder(monkeypatch):
    monkeypatch.setenv("ECAMPUS_ENV", "development")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///" + app.instance_path)


def test_factory_does_not_touch_the_database(monkeypatch, tmp_path):
    monkeypatch.setenv("ECAMPUS_ENV", "development")
    path = tmp_path / "never.sqlite3"
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    assert not path.exists()


def test_sqlite_connection_pragmas(ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_concurrent_writers_wait_instead_of_failing(app, make_user):
    """Eight threads each write in their own transaction; none may fail with 'locked'."""
    errors: list[Exception] = []

    def write(n: int) -> None:
        try:
            with app.app_context():
                for i in range(5):
                    with db.engine.begin() as connection:
                        connection.execute(
                            text("UPDATE users SET full_name = :n WHERE email = :e"),
                            {"n": f"writer {n}-{i}", "e": "w@example.org"},
                        )
                        connection.execute(text("SELECT count(*) FROM users")).scalar()
        except Exception as error:  # noqa: BLE001 - the test reports every failure
            errors.append(error)

    make_user(email="w@example.org")
    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_healthz_answers_without_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_script_or_style(client):
    page = client.get("/account/signup").get_data(as_text=True)
    assert "<script" not in page
    assert "style=" not in page and "<style" not in page


def test_stylesheet_is_local_small_and_cached_long(client):
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert href.startswith("/static/ecampus.css?v=")
    response = client.get(href)
    assert response.status_code == 200
    assert len(response.data) < 20_000
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_not_found_page_is_styled_and_translated(client):
    response = client.get("/no/such/page", headers={"Accept-Language": "es"})
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Página no encontrada" in body
    assert 'lang="es"' in body


FRENCH_TITLES = {
    400: "Requête incorrecte", 403: "Accès refusé", 404: "Page introuvable",
    429: "Trop de tentatives", 500: "Une erreur s'est produite",
}


@pytest.mark.parametrize("code", sorted(FRENCH_TITLES))
def test_error_pages_are_translated(app, code):
    from werkzeug.exceptions import default_exceptions

    from ecampus.main.views import http_error, server_error

    with app.test_request_context(headers={"Accept-Language": "fr"}):
        error = default_exceptions[code]()
        body, status = server_error(error) if code == 500 else http_error(error)
    assert status == code
    assert FRENCH_TITLES[code] in html.unescape(body)
    assert 'class="site-header"' in body


def test_oversized_request_is_refused_with_a_clear_page(app, client):
    response = client.post("/account/login", data=b"x" * (app.config["MAX_CONTENT_LENGTH"] + 1),
                           content_type="application/octet-stream")
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)
