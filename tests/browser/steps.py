"""Steps that several browser tests share: signing in through the form, checking the width."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in the way a person does: the header link, then the form."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def assert_fits_width(page) -> None:
    """Nothing makes the page scroll sideways (WCAG 1.4.10 Reflow at 320 CSS px)."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth")
    assert not overflow, f"{page.url} scrolls horizontally"
