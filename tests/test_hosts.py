"""The site's public address: links never take their host from the request, and requests for
hosts the site does not serve are refused before any view runs."""

from __future__ import annotations

import email
import html
from email import policy

import pytest

from ecampus import create_app
from ecampus.config import ConfigError
from ecampus.extensions import db
from ecampus.jobs.worker import run_pending_jobs
from ecampus.urls import public_url

PUBLIC = "https://campus.example.gov"


@pytest.fixture
def public_address(app, monkeypatch):
    """PUBLIC_URL differs from every host the test client uses, so a link built from the
    request would show; CSRF is off so that a refusal can only come from the host check."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    return PUBLIC


def delivered(app, outbox) -> list[str]:
    """The plain-text bodies of every message sent so far, after the queue has run."""
    with app.app_context():
        run_pending_jobs()
        db.session.remove()
    messages = [email.message_from_bytes(path.read_bytes(), policy=policy.default)
                for path in sorted(outbox.glob("*.eml"))]
    return [message.get_body(("plain",)).get_content() for message in messages]


def _ask_for_reset(client, address: str, **headers):
    return client.post("/account/reset", data={"email": address}, headers=headers)


def test_forged_host_on_reset_is_refused_and_mails_nothing(app, client, learner, outbox,
                                                           public_address):
    response = _ask_for_reset(client, learner.email, Host="evil.example")
    assert response.status_code == 400
    assert delivered(app, outbox) == []


def test_the_same_reset_from_an_allowed_host_is_mailed(app, client, learner, outbox,
                                                       public_address):
    response = _ask_for_reset(client, learner.email, Host="127.0.0.1:5000")
    assert response.status_code < 400
    [body] = delivered(app, outbox)
    assert f"{PUBLIC}/account/reset/" in body
    assert "127.0.0.1" not in body and "localhost" not in body


def test_refused_host_gets_the_translated_error_page(client, public_address):
    response = client.get("/courses/", headers={"Host": "evil.example",
                                                "Accept-Language": "fr"})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Requête incorrecte" in page and 'class="site-header"' in page
    assert "evil.example" not in page
    assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("host", ["evil.example", "campus.example.gov.evil.example",
                                  "evil.example/x", "localhost@evil.example"])
def test_hosts_outside_the_list_are_refused(client, public_address, host):
    assert client.get("/", headers={"Host": host}).status_code == 400


def test_health_check_answers_whatever_the_host(client, public_address):
    response = client.get("/healthz", headers={"Host": "10.0.0.7:8000"})
    assert response.status_code == 200 and response.json == {"status": "ok"}


@pytest.fixture
def proxied_app(app):
    """A second app on the same database, behind a proxy (ECAMPUS_BEHIND_PROXY=1)."""
    settings = {key: app.config[key] for key in (
        "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "PASSWORD_HASH_METHOD", "MAIL_OUTBOX")}
    proxied = create_app({**settings, "ENV_NAME": "testing", "TESTING": True,
                          "BEHIND_PROXY": True, "PUBLIC_URL": PUBLIC,
                          "TRUSTED_HOSTS": ["internal.example"], "WTF_CSRF_ENABLED": False})
    yield proxied
    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_forged_forwarded_host_behind_a_proxy_is_refused(app, proxied_app, learner, outbox):
    response = _ask_for_reset(proxied_app.test_client(), learner.email,
                              **{"X-Forwarded-Host": "evil.example",
                                 "X-Forwarded-Proto": "https"})
    assert response.status_code == 400
    assert delivered(app, outbox) == []


def test_forwarded_allowed_host_behind_a_proxy_still_links_to_public_url(app, proxied_app,
                                                                        learner, outbox):
    response = _ask_for_reset(proxied_app.test_client(), learner.email,
                              **{"X-Forwarded-Host": "internal.example"})
    assert response.status_code < 400
    [body] = delivered(app, outbox)
    assert f"{PUBLIC}/account/reset/" in body and "internal.example" not in body


def test_public_url_needs_no_request(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://gov.example/campus")
    with app.app_context():
        assert public_url("certificates.verify", code="AB-CD") == (
            "https://gov.example/campus/verify/AB-CD")


def test_public_url_ignores_the_request_host(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    with app.test_request_context("/", base_url="http://127.0.0.1:5000"):
        assert public_url("main.home") == PUBLIC + "/"


def _production(monkeypatch, **environment):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    for name in ("ECAMPUS_ENV", "ECAMPUS_PUBLIC_URL", "ECAMPUS_ISSUER_URL",
                 "ECAMPUS_TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ECAMPUS_MAIL_SERVER", "smtp.example.gov")
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_refuses_to_start_without_a_public_url(monkeypatch):
    with pytest.raises(ConfigError, match="ECAMPUS_PUBLIC_URL=https://"):
        _production(monkeypatch)


@pytest.mark.parametrize("bad", ["campus.example.gov", "ftp://campus.example.gov",
                                 "https://campus.example.gov/?next=x",
                                 "https://campus.example.gov/#top", "https://",
                                 "https://user:secret@campus.example.gov",
                                 "https://campus example.gov", "https://[::1]:8000"])
def test_production_refuses_a_malformed_public_url(monkeypatch, bad):
    with pytest.raises(ConfigError, match="cannot be used"):
        _production(monkeypatch, ECAMPUS_PUBLIC_URL=bad)


def test_production_trusts_only_the_public_host_and_the_listed_ones(monkeypatch):
    app = _production(monkeypatch, ECAMPUS_PUBLIC_URL="https://Campus.Example.gov/",
                      ECAMPUS_TRUSTED_HOSTS="node1.internal, node2.internal")
    assert app.config["PUBLIC_URL"] == "https://Campus.Example.gov"
    assert app.config["TRUSTED_HOSTS"] == ["campus.example.gov", "node1.internal",
                                           "node2.internal"]


def test_issuer_url_still_works_and_public_url_wins(monkeypatch):
    app = _production(monkeypatch, ECAMPUS_ISSUER_URL="https://old.example.gov")
    assert app.config["PUBLIC_URL"] == "https://old.example.gov"
    app = _production(monkeypatch, ECAMPUS_ISSUER_URL="https://old.example.gov",
                      ECAMPUS_PUBLIC_URL="https://new.example.gov")
    assert app.config["PUBLIC_URL"] == "https://new.example.gov"
    assert "old.example.gov" not in app.config["TRUSTED_HOSTS"]


def test_development_falls_back_to_the_loopback_address(monkeypatch):
    monkeypatch.setenv("ECAMPUS_ENV", "development")
    monkeypatch.delenv("ECAMPUS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("ECAMPUS_ISSUER_URL", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5000"
    assert {"127.0.0.1", "localhost"} <= set(app.config["TRUSTED_HOSTS"])
