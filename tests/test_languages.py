"""One setting, LANGUAGES, decides the switcher, every language field, the CSV import column
and the catalogs; Portuguese is one of them."""

from __future__ import annotations

import re

import pytest
from click.testing import Result

from ecampus.auth.models import User
from ecampus.extensions import db
from tests.auth.helpers import signup


@pytest.fixture
def english_and_portuguese(app, monkeypatch):
    """The app configured for two interface languages only."""
    monkeypatch.setitem(app.config, "LANGUAGES", ["en", "pt"])


def _switcher(page: str) -> list[str]:
    return re.findall(r'<button type="submit" name="language" value="([a-z]+)"', page)


def test_switcher_offers_every_configured_language_named_in_itself(client):
    page = client.get("/").get_data(as_text=True)
    assert _switcher(page) == ["en", "es", "fr", "pt"]
    assert re.search(r'lang="pt"\s*>Português</button>', page)


def test_switcher_follows_the_setting(client, english_and_portuguese):
    assert _switcher(client.get("/").get_data(as_text=True)) == ["en", "pt"]


def test_choosing_portuguese_shows_the_interface_in_portuguese(client):
    client.submit("/language", {"language": "pt", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="pt"' in page and "Iniciar sessão" in page


def test_a_language_outside_the_setting_is_not_chosen(client, english_and_portuguese):
    client.submit("/language", {"language": "es", "next": "/"})
    assert "Iniciar sesión" not in client.get("/").get_data(as_text=True)


def test_signup_accepts_portuguese_and_refuses_a_language_outside_the_setting(
        app, client, english_and_portuguese):
    page = client.get("/account/signup").get_data(as_text=True)
    assert 'value="pt"' in page and 'value="es"' not in page
    response = signup(client, language="es")
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    signup(client, language="pt")
    with app.app_context():
        assert db.session.scalar(db.select(User.id).where(User.email == "ana@example.org")) is None


def test_cli_creates_a_portuguese_account_and_refuses_an_unconfigured_language(app, runner,
                                                                               monkeypatch):
    monkeypatch.setenv("K_PASSWORD", "correct horse battery")
    result: Result = runner.invoke(args=["users", "create", "--email", "pt@example.org",
                                         "--name", "Ana", "--language", "pt",
                                         "--password-env", "K_PASSWORD"])
    assert result.exit_code == 0, result.output
    refused = runner.invoke(args=["users", "create", "--email", "de@example.org", "--name", "B",
                                  "--language", "de", "--password-env", "K_PASSWORD"])
    assert refused.exit_code == 2 and "'de' is not one of en, es, fr, pt" in refused.output
