"""An administrator finds a learner, opens their account and deactivates it, in a real
browser at a phone's width: the learner is signed out and told why at the next sign-in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width, sign_in

pytestmark = pytest.mark.browser


def test_admin_deactivates_a_learner(page, axe, browser, live_server, admin, make_user):
    learner = make_user("learner", name="Iñés Ñúñez", email="ines@example.org")
    learner_context = browser.new_context(base_url=live_server)
    learner_tab = learner_context.new_page()
    learner_tab.goto("/")
    sign_in(learner_tab, learner.email)

    page.goto("/")
    sign_in(page, admin.email)
    page.goto("/admin/users")
    page.get_by_label("Search by name or email").fill("ines nunez")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Iñés Ñúñez").click()
    expect(page.get_by_role("heading", name="Iñés Ñúñez", level=1)).to_be_visible()
    axe(page)
    assert_fits_width(page)

    page.get_by_role("link", name="Deactivate this account").click()
    expect(page.get_by_role(
        "heading", name="Deactivate the account of Iñés Ñúñez?")).to_be_visible()
    axe(page)
    assert_fits_width(page)
    page.get_by_role("button", name="Deactivate the account of Iñés Ñúñez").click()
    expect(page.get_by_text(
        "Iñés Ñúñez's account is deactivated and signed out everywhere.")).to_be_visible()
    expect(page.get_by_text("Deactivated", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate this account")).to_be_visible()
    axe(page)

    learner_tab.goto("/account/profile")
    assert "/account/login" in learner_tab.url
    learner_tab.get_by_label("Email address").fill(learner.email)
    learner_tab.get_by_label("Password", exact=True).fill("correct horse battery")
    learner_tab.get_by_role("button", name="Sign in").click()
    expect(learner_tab.get_by_text("This account is deactivated.")).to_be_visible()
    learner_context.close()
