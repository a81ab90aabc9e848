"""Every page a role can open fits a 360 px phone: nothing scrolls sideways.

The pages come from the route x role table (tests/test_authorization.py) over the world of
real rows (tests/world.py), so a new page is measured as soon as it has its entry there.
"""

from __future__ import annotations

import pytest

from tests.browser.steps import sign_in
from tests.test_authorization import ACCESS, ALLOWED, _cases, _url
from tests.world import world_fixture

pytestmark = pytest.mark.browser

#: Roles whose pages differ; the "other_" roles see the same pages with other rows.
ROLES = ("anonymous", "learner", "author", "manager", "admin")
#: Endpoints that answer with something other than a page, or that end the session.
NOT_PAGES = {"static", "main.healthz", "main.set_language", "auth.logout"}


@pytest.fixture
def world(app, make_user, tmp_path, monkeypatch):
    """Real rows owned by different people (tests/world.py)."""
    yield from world_fixture(app, make_user, tmp_path, monkeypatch)


def _page_urls(app, world, role: str) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.endpoint not in ACCESS:
            continue
        for case in _cases(rule.endpoint):
            if case.policy[role] == ALLOWED:
                urls.append(_url(app, world, rule, case.values))
    return sorted(set(urls))


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_screen(app, world, page, role):
    if role != "anonymous":
        page.goto("/")
        sign_in(page, world.users[role].email)
    measured, too_wide = 0, []
    for url in _page_urls(app, world, role):
        # Files, feeds and exports are downloads, not pages: ask first what the URL is.
        kind = page.request.get(url, max_redirects=0).headers.get("content-type", "")
        if not kind.startswith("text/html"):
            continue
        page.goto(url)
        measured += 1
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if widths[0] > widths[1]:
            too_wide.append(f"{url}: {widths[0]} px")
    assert measured >= 3
    assert not too_wide, f"wider than a {page.viewport_size['width']} px screen: {too_wide}"


def test_a_wide_report_scrolls_by_keyboard_keeping_the_names_in_view(app, world, page, axe):
    page.goto("/")
    sign_in(page, world.users["manager"].email)
    page.goto(f"/institutions/cohorts/{world.cohort_id}/report")
    region = page.get_by_role("region", name="Learners")
    name_cell = region.locator("tbody tr td").first
    before = name_cell.bounding_box()["x"]
    region.focus()
    for _ in range(20):
        page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.scrollLeft") > 0
    assert abs(name_cell.bounding_box()["x"] - before) < 1
    axe(page)
