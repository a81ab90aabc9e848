"""The CSV import's language column accepts exactly the configured interface languages."""

from __future__ import annotations

import pytest

from tests.institutions.conftest import csv_bytes, preview_url, upload


@pytest.fixture
def english_and_portuguese(app, monkeypatch):
    """The app configured for two interface languages only."""
    monkeypatch.setitem(app.config, "LANGUAGES", ["en", "pt"])


def test_csv_import_reads_the_language_column_from_the_setting(manager_client, cohort,
                                                                english_and_portuguese):
    url = preview_url(upload(manager_client, cohort, csv_bytes("new@example.org,Nova,pt,")))
    assert "Unknown language" not in manager_client.get(url).get_data(as_text=True)
    url = preview_url(upload(manager_client, cohort, csv_bytes("other@example.org,Otra,es,")))
    page = manager_client.get(url).get_data(as_text=True)
    assert "Unknown language &#39;es&#39;; use one of en, pt." in page
