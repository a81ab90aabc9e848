"""An author keeps the live preview open while editing: the page follows each save."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from ecampus.preview.services import make_preview_app, refresh
from ecampus.preview.watch import start_watching
from tests.browser.steps import assert_fits_width
from tests.helpers import course_md, lesson, write_course

pytestmark = pytest.mark.browser


@pytest.fixture
def preview_server(tmp_path):
    """A preview of one course folder served over HTTP, watching the folder."""
    root = tmp_path / "courses"
    write_course(root, "field-guide", {
        "course.md": course_md("Field guide", "For the field."),
        "01-arrival.md": lesson("Arrival", "The first text."),
    })
    app = make_preview_app(root, tmp_path / "work")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = start_watching(root, lambda: refresh(app), interval=0.2)
    yield f"http://127.0.0.1:{server.server_port}", root
    stop.set()
    server.shutdown()


def test_the_open_page_reloads_itself_after_a_save(browser, axe, preview_server):
    base, root = preview_server
    context = browser.new_context(base_url=base, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        page.goto("/courses/field-guide/arrival/")
        expect(page.get_by_text("The first text.")).to_be_visible()
        expect(page.get_by_text("No problems found.")).to_be_visible()
        assert_fits_width(page)
        axe(page)

        (root / "field-guide" / "01-arrival.md").write_text(
            "---\ntitle: Arrival\nduration: soon\n---\nThe second text.\n", encoding="utf-8")
        expect(page.get_by_text("field-guide/01-arrival.md:3")).to_be_visible(timeout=60_000)
        (root / "field-guide" / "01-arrival.md").write_text(
            lesson("Arrival", "The second text."), encoding="utf-8")
        expect(page.get_by_text("The second text.")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("No problems found.")).to_be_visible()
    finally:
        context.close()
