"""Browser fixtures: Playwright for Python driving the system Chromium, plus axe-core."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("ECAMPUS_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package")
        pytest.skip(f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab with no cookies, at a phone's width."""
    context = browser.new_context(base_url=live_server, viewport={"width": 360, "height": 740},
                                  locale="en-GB")
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def axe():
    """Run axe-core on the current page and fail with the violations listed."""
    from axe_playwright_python.sync_playwright import Axe

    checker = Axe()

    def check(tab):
        results = checker.run(tab)
        violations = results.response["violations"]
        assert not violations, results.generate_report()

    return check
