"""The administrator's list of accounts, filtered as people type a name or an address."""

from __future__ import annotations

import pytest

from ecampus.auth import services as accounts
from ecampus.auth.models import User
from ecampus.extensions import db


@pytest.fixture
def people(make_user):
    return {"françois": make_user(name="François Mœller", email="fm@example.org"),
            "maria": make_user(name="María José Peña", email="mjp@example.org")}


def _listed(client, query):
    page = client.get("/admin/users", query_string={"q": query}).get_data(as_text=True)
    return {name for name in ("François Mœller", "María José Peña") if name in page}


@pytest.mark.parametrize("query, found", [
    ("francois", {"François Mœller"}),
    ("MOELLER", {"François Mœller"}),
    ("pena", {"María José Peña"}),
    ("maria jose", {"María José Peña"}),
    ("MJP@EXAMPLE", {"María José Peña"}),
    ("example.org", {"François Mœller", "María José Peña"}),
    ("peña françois", set()),
])
def test_admin_user_filter_ignores_case_and_accents(client, admin, people, query, found):
    client.sign_in(admin.email)
    assert _listed(client, query) == found


def test_a_renamed_account_is_found_by_its_new_name(app, client, admin, people):
    with app.app_context():
        user = db.session.get(User, people["maria"].id)
        accounts.update_profile(user, full_name="Zoë Ibáñez", language="es")
    client.sign_in(admin.email)
    page = client.get("/admin/users", query_string={"q": "zoe ibanez"}).get_data(as_text=True)
    assert "Zoë Ibáñez" in page
    assert "María José Peña" not in client.get(
        "/admin/users", query_string={"q": "pena"}).get_data(as_text=True)
