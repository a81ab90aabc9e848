"""A person signs up, signs out, signs in and switches to Spanish, in a real browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_signup_signout_signin_and_spanish(page, axe):
    page.goto("/account/signup")
    axe(page)
    page.get_by_label("Email address").fill("lucia@example.org")
    page.get_by_label("Full name, as it should appear on certificates").fill("Lucía Peña")
    page.get_by_label("Password (at least 10 characters)").fill("a long password")
    page.get_by_label("Repeat the password").fill("a long password")
    page.get_by_role("button", name="Create my account").click()
    assert "Welcome, Lucía Peña" in page.content()
    axe(page)

    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("link", name="Sign in").first.is_visible()

    page.get_by_role("link", name="Sign in").first.click()
    axe(page)
    page.get_by_label("Email address").fill("LUCIA@example.org ")
    page.get_by_label("Password", exact=True).fill("a long password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("button", name="Sign out").is_visible()

    page.get_by_role("button", name="Español").click()
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.get_by_role("button", name="Cerrar sesión").is_visible()
    axe(page)


def test_signin_error_is_announced_and_page_is_accessible(page, axe):
    page.goto("/account/login")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()
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
