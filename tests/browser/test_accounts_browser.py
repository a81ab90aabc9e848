"""A person signs up, signs out, signs in and switches to Spanish, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.auth.helpers import confirmation_link
from tests.browser.steps import assert_fits_width, sign_in

pytestmark = pytest.mark.browser


def test_signup_signout_signin_and_spanish(page, axe, outbox):
    page.goto("/account/signup")
    axe(page)
    page.get_by_label("Email address").fill("lucia@example.org")
    page.get_by_label("Full name, as it should appear on certificates").fill("Lucía Peña")
    page.get_by_label("Password (at least 10 characters)").fill("a long password")
    page.get_by_label("Repeat the password").fill("a long password")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role(
        "heading", name="Check your email to finish creating your account")).to_be_visible()
    axe(page)

    page.goto(confirmation_link(outbox, "lucia@example.org"))
    axe(page)
    page.get_by_role("button", name="Create my account and sign in").click()
    expect(page.get_by_text("Welcome, Lucía Peña")).to_be_visible()
    axe(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    page.get_by_role("link", name="Sign in").first.click()
    axe(page)
    page.get_by_label("Email address").fill("LUCIA@example.org ")
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("button", name="Español").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name="Cerrar sesión")).to_be_visible()
    axe(page)


def test_signin_error_is_announced_and_page_is_accessible(page, axe):
    page.goto("/account/login")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    axe(page)


def test_keyboard_user_can_skip_to_content(page):
    page.goto("/account/login")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to main content" in focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_no_horizontal_scroll_at_360px(page):
    for path in ("/", "/account/signup", "/account/login"):
        page.goto(path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth")
        assert not overflow, path


def test_admin_signs_a_learner_out_everywhere(page, axe, browser, live_server, admin, learner):
    learner_context = browser.new_context(base_url=live_server)
    learner_tab = learner_context.new_page()
    learner_tab.goto("/")
    sign_in(learner_tab, learner.email)

    page.goto("/")
    sign_in(page, admin.email)
    page.goto("/admin/users")
    axe(page)
    assert_fits_width(page)
    page.get_by_role("button", name=f"Sign out everywhere ({learner.full_name})").click()
    expect(page.get_by_text(
        f"{learner.full_name} is now signed out on every device.")).to_be_visible()

    learner_tab.goto("/account/profile")
    assert "/account/login" in learner_tab.url
    learner_context.close()
