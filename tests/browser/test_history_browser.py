"""A course's author reads its publish history on a phone: what changed, and why a publish
was refused."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import assert_fits_width, sign_in
from tests.helpers import lesson, publish, simple_course

pytestmark = pytest.mark.browser


def test_author_reads_the_publish_history_of_their_course(page, axe, app, tmp_path, author):
    folder = simple_course(tmp_path, modules=2, authors=f"[Field Unit, {author.email}]")
    publish(app, tmp_path)
    (folder / "02-lesson-2.md").write_text(lesson("Lesson 2", "Changed text."), encoding="utf-8")
    publish(app, tmp_path)
    (folder / "01-lesson-1.md").write_text(
        "---\ntitle: Lesson 1\nduration: a-very-long-and-unbroken-value-" + "x" * 60 +
        "\n---\nText\n", encoding="utf-8")
    publish(app, tmp_path)

    page.goto("/courses/migration-basics/")
    sign_in(page, author.email)
    page.goto("/courses/migration-basics/")
    page.get_by_role("link", name="Publish history").click()
    expect(page.get_by_role("heading", level=1, name="Publish history")).to_be_visible()
    expect(page.get_by_text("3 publish attempts, newest first.")).to_be_visible()
    expect(page.get_by_text("Refused: the checker found errors")).to_be_visible()
    expect(page.get_by_text("migration-basics/01-lesson-1.md:3: error:")).to_be_visible()
    expect(page.get_by_text("Modules changed")).to_be_visible()
    assert_fits_width(page)
    axe(page)
