"""Counts, durations and mail are written in the reader's language, with the site's name."""

from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale

from ecampus.i18n import count, duration, ngettext
from tests.auth.helpers import mails, signup

NNBSP = "\u202f"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "12,345"), ("es", "12.345"), ("fr", f"12{NNBSP}345"), ("pt", "12.345"),
])
def test_counts_are_grouped_as_the_reader_groups_them(app, language, expected):
    with app.test_request_context(), force_locale(language):
        assert count(12345) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "12,345 courses"), ("es", "12.345 cursos"), ("fr", f"12{NNBSP}345 cours"),
])
def test_templates_write_plural_counts_in_the_readers_digits(app, language, expected):
    with app.test_request_context(), force_locale(language):
        page = render_template_string(
            '{{ ngettext("%(num)s course", "%(num)s courses", 12345) }}')
    assert page == expected


def test_template_plurals_still_choose_the_form_by_the_number(app):
    with app.test_request_context(), force_locale("fr"):
        page = render_template_string(
            '{{ ngettext("%(num)s course", "%(num)s courses", 1) }}|'
            '{{ ngettext("%(num)s person", "%(num)s people", 2) }}')
    assert page == "1 cours|2 personnes"


def test_template_plurals_escape_what_they_are_given(app):
    with app.test_request_context():
        page = render_template_string(
            '{{ ngettext("%(num)s course in %(name)s", "%(num)s courses in %(name)s", 2, '
            'name="<b>") }}')
    assert page == "2 courses in &lt;b&gt;"


def test_python_plurals_write_the_readers_digits(app):
    with app.test_request_context(), force_locale("es"):
        assert ngettext("%(num)s person invited.", "%(num)s people invited.",
                        25000) == "25.000 personas invitadas."


@pytest.mark.parametrize(("language", "minutes", "expected"), [
    ("en", 45, "45 min"), ("en", 120, "2 hr"), ("en", 150, "2 hr 30 min"),
    ("es", 150, "2 h 30 min"), ("fr", 90, "1 h 30 min"), ("pt", 60, "1 h"),
])
def test_durations_use_the_languages_own_units(app, language, minutes, expected):
    with app.test_request_context(), force_locale(language):
        assert duration(minutes).replace("\xa0", " ").replace(NNBSP, " ") == expected


def test_no_duration_is_written_as_nothing(app):
    with app.test_request_context():
        assert duration(None) == duration(0) == ""


def test_reset_mail_names_the_configured_site_in_the_readers_language(
        app, client, make_user, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_NAME", "Campus Migración")
    monkeypatch.setitem(app.config, "PASSWORD_RESET_HOURS", 1)
    user = make_user(language="es")
    client.submit("/account/reset", {"email": user.email})
    (mail,) = mails(outbox, to=user.email)
    assert mail["subject"] == "Restablezca su contraseña de Campus Migración"
    assert "su cuenta de Campus Migración" in mail["body"]
    assert "caduca en 1 hora." in mail["body"]
    assert "E-Campus" not in mail["subject"] + mail["body"]


def test_sign_up_mail_names_the_configured_site(app, client, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_NAME", "Formation migrations")
    signup(client, email="louise@example.org", language="fr")
    (mail,) = mails(outbox, to="louise@example.org")
    assert mail["subject"] == "Confirmez votre compte Formation migrations"
    assert "E-Campus" not in mail["subject"] + mail["body"]
