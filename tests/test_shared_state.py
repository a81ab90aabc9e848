"""Production refuses state that would differ from node to node (mail written to one node's
folder) unless told that one node serves the site alone."""

from __future__ import annotations

import pytest

from ecampus import create_app
from ecampus.config import ConfigError


def _production(monkeypatch, **environment):
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("ECAMPUS_PUBLIC_URL", "https://campus.example.gov")
    for name in ("ECAMPUS_ENV", "ECAMPUS_MAIL_SERVER", "ECAMPUS_SINGLE_NODE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_without_a_mail_server_refuses_to_start_and_names_the_fix(monkeypatch):
    with pytest.raises(ConfigError, match="(?s)ECAMPUS_MAIL_SERVER=.*ECAMPUS_SINGLE_NODE=true"):
        _production(monkeypatch)


def test_production_on_a_single_node_may_write_mail_to_its_folder(monkeypatch):
    app = _production(monkeypatch, ECAMPUS_SINGLE_NODE="true")
    assert app.config["SINGLE_NODE"] is True and not app.config["MAIL_SERVER"]


def test_production_with_a_mail_server_starts_on_any_number_of_nodes(monkeypatch):
    app = _production(monkeypatch, ECAMPUS_MAIL_SERVER="smtp.example.gov")
    assert app.config["SINGLE_NODE"] is False


def test_single_node_must_be_a_switch(monkeypatch):
    with pytest.raises(ConfigError, match="ECAMPUS_SINGLE_NODE must be on or off"):
        _production(monkeypatch, ECAMPUS_SINGLE_NODE="maybe")


def test_development_writes_mail_to_its_folder_without_being_told(monkeypatch):
    app = _production(monkeypatch, ECAMPUS_ENV="development")
    assert not app.config["MAIL_SERVER"]


def test_pool_settings_size_each_process_pool_on_postgresql(monkeypatch):
    from ecampus.extensions import db

    monkeypatch.setenv("ECAMPUS_DATABASE_POOL_SIZE", "8")
    monkeypatch.setenv("ECAMPUS_DATABASE_MAX_OVERFLOW", "0")
    app = create_app({"ENV_NAME": "testing",
                      "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@127.0.0.1:9/none"})
    with app.app_context():
        assert (db.engine.pool.size(), db.engine.pool._max_overflow) == (8, 0)


def test_pool_size_must_be_a_positive_number(monkeypatch):
    monkeypatch.setenv("ECAMPUS_DATABASE_POOL_SIZE", "0")
    with pytest.raises(ConfigError, match="ECAMPUS_DATABASE_POOL_SIZE must be a whole number"):
        create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
