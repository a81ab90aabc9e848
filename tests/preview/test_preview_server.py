"""`ecampus courses preview DIR`: a real server on a temporary database that follows the folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecampus.preview.services import make_preview_app, refresh
from ecampus.preview.watch import folder_fingerprint
from tests.helpers import course_md, lesson, write_course
from tests.live import Browser
from tests.quizzes.conftest import QUIZ

#: How long a slow, shared machine may take to start the server or notice a save.
PATIENCE_SECONDS = 90


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _until(check, what: str):
    deadline = time.monotonic() + PATIENCE_SECONDS
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"the preview never {what}")


def _course(root: Path, text: str = "The first text.") -> None:
    write_course(root, "field-guide", {
        "course.md": course_md("Field guide", "For the field."),
        "course.es.md": "---\ntitle: Guía de campo\nsummary: Para el terreno.\n---\nCurso.\n",
        "01-arrival.md": lesson("Arrival", text),
        "01-arrival.es.md": "---\ntitle: Llegada\n---\nEl primer texto.\n",
        "02-check.md": QUIZ.format(settings=""),
    })


def test_preview_reloads_after_a_file_change_and_shows_problems(tmp_path):
    root = tmp_path / "courses"
    _course(root)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"ECAMPUS_ENV", "SECRET_KEY"}}
    server = subprocess.Popen(
        [sys.executable, "-c", "from ecampus.cli import main; main()", "courses", "preview",
         str(root), "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        version = _until(lambda: browser.get("/preview/version")[0] == 200
                         and browser.page, "started")
        status, _location, page = browser.get("/courses/field-guide/arrival/")
        assert status == 200 and "The first text." in page
        assert 'src="/static/preview.js' in page and "No problems found." in page

        (root / "field-guide" / "01-arrival.md").write_text(
            lesson("Arrival", "The second text."), encoding="utf-8")
        _until(lambda: browser.get("/preview/version")[2] != version, "noticed the save")
        assert "The second text." in browser.get("/courses/field-guide/arrival/")[2]

        version = browser.get("/preview/version")[2]
        (root / "field-guide" / "01-arrival.md").write_text(
            "---\ntitle: Arrival\nduration: soon\n---\nThe third text.\n", encoding="utf-8")
        _until(lambda: browser.get("/preview/version")[2] != version, "noticed the error")
        page = browser.get("/courses/field-guide/arrival/")[2]
        assert "<code>field-guide/01-arrival.md:3</code>" in page
        assert "The second text." in page  # the last valid version stays on show
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def preview(tmp_path):
    """A preview app over a course folder, driven through its test client."""
    root = tmp_path / "courses"
    _course(root)
    app = make_preview_app(root, tmp_path / "work")
    return app, root


def _client(app, address: str = "127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_preview_signs_the_author_in_and_shows_drafts(preview):
    app, root = preview
    write_course(root, "in-progress", {
        "course.md": course_md("In progress", "Not yet.", status="draft"),
        "01-a.md": lesson("A")})
    refresh(app)
    page = _client(app).get("/courses/in-progress/").get_data(as_text=True)
    assert "In progress" in page and "Sign out" in page


def test_preview_offers_every_language_of_the_course(preview):
    app, _root = preview
    client = _client(app)
    assert "/courses/field-guide/?lang=es" in client.get("/preview/").get_data(as_text=True)
    page = client.get("/courses/field-guide/arrival/?lang=es").get_data(as_text=True)
    assert "El primer texto." in page


def test_answer_key_is_shown_only_when_asked_with_the_grading_of_a_model_answer(preview):
    app, _root = preview
    client = _client(app)
    hidden = client.get("/courses/field-guide/check/").get_data(as_text=True)
    assert "Show the answer key" in hidden and "Right answer:" not in hidden
    shown = client.get("/courses/field-guide/check/?answers=1").get_data(as_text=True)
    assert "Right answer:" in shown
    assert "A model answer scores 100%" in shown and "an empty answer scores 0%" in shown


def test_preview_answers_this_machine_only(preview):
    app, _root = preview
    remote = _client(app, "192.0.2.7")
    assert remote.get("/preview/").status_code == 403


def test_preview_pages_work_without_the_script(preview):
    app, _root = preview
    response = _client(app).get("/preview/version")
    assert response.get_json() == {"version": 1}
    assert "no-store" in response.headers["Cache-Control"]


def test_fingerprint_changes_when_a_file_is_saved(tmp_path):
    _course(tmp_path)
    before = folder_fingerprint(tmp_path)
    target = tmp_path / "field-guide" / "01-arrival.md"
    target.write_text(lesson("Arrival", "Longer text than before."), encoding="utf-8")
    assert folder_fingerprint(tmp_path) != before
