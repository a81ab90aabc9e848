"""Fixtures of the queue tests: handlers registered for a test, a real SMTP server."""

from __future__ import annotations

import pytest


@pytest.fixture
def handlers(app, monkeypatch):
    """The running app's job handler table; handlers set on it vanish after the test."""
    table = app.extensions["ecampus.features"].job_handlers
    original = dict(table)
    yield table
    table.clear()
    table.update(original)


