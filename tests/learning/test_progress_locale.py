"""Course progress is written as the learner's language writes a percentage."""

from __future__ import annotations

import pytest

from tests.helpers import publish, simple_course

NBSP = "\u00a0"


@pytest.fixture
def course(app, tmp_path):
    """A published three-lesson course."""
    simple_course(tmp_path, "migration-basics", modules=3, title="Migration basics")
    publish(app, tmp_path)
    return tmp_path


@pytest.mark.parametrize(("language", "expected"), [("es", f"33{NBSP}%"), ("fr", f"33{NBSP}%"),
                                                    ("en", "33%")])
def test_progress_percentage_follows_the_learners_language(client, course, make_user,
                                                           language, expected):
    client.sign_in(make_user(language=language).email)
    client.submit("/learning/courses/migration-basics/enrol")
    done = client.submit("/learning/courses/migration-basics/lesson-1/done",
                         follow_redirects=True).get_data(as_text=True)
    assert expected in done
    page = client.get("/courses/migration-basics/").get_data(as_text=True)
    assert f"{expected} (1 " in page
    dashboard = client.get("/learning/").get_data(as_text=True)
    assert expected in dashboard
