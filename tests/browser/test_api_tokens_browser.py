"""A manager makes an institution API token, copies it once, and revokes it, in a real
browser at a phone's width; the API documentation page reads from the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ecampus.extensions import db
from ecampus.institutions import services as institutions
from tests.browser.steps import assert_fits_width, sign_in

pytestmark = pytest.mark.browser


def test_manager_makes_copies_and_revokes_an_institution_token(app, page, axe, make_user,
                                                               client):
    manager = make_user("manager")
    with app.app_context():
        created = institutions.create_institution("Ministry of Justice", "")
        institutions.make_manager(created.id, manager.email)
        db.session.remove()
    page.goto("/")
    sign_in(page, manager.email)
    page.goto("/institutions/")
    page.get_by_role("link", name="API tokens: let your systems read and update your "
                                   "cohorts").click()
    expect(page.get_by_role("heading", name="Institution API tokens")).to_be_visible()
    expect(page.get_by_text("There is no token yet.")).to_be_visible()
    axe(page)
    assert_fits_width(page)

    page.get_by_label("Name of the token").fill("HR nightly sync")
    page.get_by_label("Expires after").select_option("30")
    page.get_by_label("May also change cohorts, their courses and members").check()
    page.get_by_role("button", name="Create the token").click()
    secret = page.get_by_label("Token “HR nightly sync”").input_value()
    assert secret.startswith("ecp_")
    axe(page)
    assert_fits_width(page)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.json["scopes"] == ["enrol", "read"]

    page.goto("/institutions/api-tokens")  # shown once: gone when the page is read again
    expect(page.get_by_label("Token “HR nightly sync”")).to_have_count(0)
    page.get_by_role("button", name="Revoke: HR nightly sync").click()
    expect(page.get_by_text("The token “HR nightly sync” is revoked")).to_be_visible()
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    axe(page)
    assert client.get("/api/v1/me",
                      headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_the_api_documentation_page_is_accessible(page, axe):
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="GET /api/v1/cohorts", exact=True)).to_be_visible()
    axe(page)
    assert_fits_width(page)
