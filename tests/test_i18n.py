"""Numbers and percentages are written as the reader's language writes them."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from ecampus.i18n import number, percent

NBSP = "\u00a0"


@pytest.mark.parametrize(("language", "value", "expected"), [
    ("en", 100.0, "100%"), ("en", 87.54, "87.5%"), ("en", 66.666, "66.7%"),
    ("es", 100.0, f"100{NBSP}%"), ("es", 87.54, f"87,5{NBSP}%"),
    ("fr", 100.0, f"100{NBSP}%"), ("fr", 66.666, f"66,7{NBSP}%"),
    ("pt", 87.5, "87,5%"),
])
def test_percent_follows_the_language(app, language, value, expected):
    with app.test_request_context(), force_locale(language):
        assert percent(value) == expected


def test_percent_rounds_to_the_digits_asked(app):
    with app.test_request_context(), force_locale("fr"):
        assert percent(33.4, 0) == f"33{NBSP}%"


def test_missing_values_show_a_dash(app):
    with app.test_request_context():
        assert percent(None) == number(None) == "—"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1,234.57"), ("es", "1.234,57"), ("fr", f"1{chr(0x202f)}234,57"), ("pt", "1.234,57"),
])
def test_number_follows_the_language(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert number(1234.567, 2) == expected
