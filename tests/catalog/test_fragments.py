"""Parts of course, lesson and catalog pages drawn once per course version and language
(ecampus/catalog/fragments.py) and the site header drawn once per kind of reader
(ecampus/layout.py): always the published state, never one reader's data on another's page."""

from __future__ import annotations

import re

import pytest

from tests.helpers import course_md, lesson, publish, write_course

SLUG = "border-data"
LESSON_2 = f"/courses/{SLUG}/sources/"


def _write(root, *, second_title="Sources", first_title="Counting"):
    write_course(root, SLUG, {
        "course.md": course_md("Border data", "Counting crossings."),
        "course.es.md": "---\ntitle: Datos de frontera\nsummary: Contar cruces.\n---\nCurso.\n",
        "01-counting.md": lesson(first_title, "How to count.", duration="10m"),
        "01-counting.es.md": "---\ntitle: Contar\n---\nCómo contar.\n",
        "02-sources.md": lesson(second_title, "Where data comes from.", duration="15m"),
        "03-extra.md": lesson("Extra reading", "More.", required="false"),
    })


@pytest.fixture
def course(app, tmp_path):
    _write(tmp_path)
    publish(app, tmp_path)
    return tmp_path


def _module_list(page: str) -> str:
    return page.split('<ol class="module-list">', 1)[1].split("</ol>", 1)[0]


def _enrolled(client, email):
    client.sign_in(email)
    assert client.submit(f"/learning/courses/{SLUG}/enrol").status_code == 302
    return client


def test_republish_on_one_node_shows_on_the_next_request_of_another(app, other_node, course,
                                                                    learner):
    reader = _enrolled(other_node.test_client(), learner.email)
    assert "Counting</span></a>" in reader.get(LESSON_2).get_data(as_text=True)
    # Only the first lesson changes: the second lesson's own version stays the same, and
    # its page must still show the new title in its pager and module list.
    _write(course, first_title="Counting people")
    publish(app, course)  # on the first node: the other one is told nothing
    page = reader.get(LESSON_2).get_data(as_text=True)
    assert "Counting people</span></a>" in page  # the pager's link back
    assert "Counting people</a>" in _module_list(page)
    assert "Counting people</a>" in _module_list(reader.get(f"/courses/{SLUG}/").get_data(
        as_text=True))


def test_lesson_heading_shows_the_new_text_after_a_republish(app, client, course):
    assert ">Sources</h1>" in client.get(LESSON_2).get_data(as_text=True)
    _write(course, second_title="Sources of border data")
    publish(app, course)
    page = client.get(LESSON_2).get_data(as_text=True)
    assert ">Sources of border data</h1>" in page
    assert "Sources of border data</strong>" in _module_list(page)


def test_catalog_card_shows_the_new_title_after_a_republish(app, client, course):
    assert "Border data" in client.get("/courses/").get_data(as_text=True)
    write_course(course, SLUG, {"course.md": course_md("Border statistics", "Counting.")})
    publish(app, course)
    page = client.get("/courses/").get_data(as_text=True)
    assert "Border statistics" in page and "Border data" not in page


def test_reading_language_has_its_own_fragments(client, course):
    spanish = client.get(f"/courses/{SLUG}/counting/?lang=es").get_data(as_text=True)
    english = client.get(f"/courses/{SLUG}/counting/?lang=en").get_data(as_text=True)
    assert ">Contar</h1>" in spanish and ">Datos de frontera</a>" in spanish
    assert ">Counting</h1>" in english and ">Border data</a>" in english
    assert "Contar" not in _module_list(english)


def test_interface_language_has_its_own_fragments(client, course):
    english = client.get(f"/courses/{SLUG}/").get_data(as_text=True)
    client.submit("/language", {"language": "fr"})
    french = client.get(f"/courses/{SLUG}/").get_data(as_text=True)
    assert "optional" in _module_list(english) and "facultatif" not in _module_list(english)
    assert "facultatif" in _module_list(french)


def test_module_list_marks_only_this_readers_completions(app, client, course, learner,
                                                         make_user):
    _enrolled(client, learner.email)
    client.submit(f"/learning/courses/{SLUG}/counting/done")
    mine = _module_list(client.get(LESSON_2).get_data(as_text=True))
    assert mine.count('class="status-ok"') == 1
    other = _enrolled(app.test_client(), make_user().email)
    theirs = _module_list(other.get(LESSON_2).get_data(as_text=True))
    assert 'class="status-ok"' not in theirs
    client.submit(f"/learning/courses/{SLUG}/sources/done")
    assert _module_list(client.get(LESSON_2).get_data(as_text=True)).count(
        'class="status-ok"') == 2


def test_lesson_page_progress_follows_mark_as_done(client, course, learner):
    _enrolled(client, learner.email)
    assert "Mark as done" in client.get(LESSON_2).get_data(as_text=True)
    client.submit(f"/learning/courses/{SLUG}/sources/done")
    page = client.get(LESSON_2).get_data(as_text=True)
    assert "You have completed this module." in page and "Mark as done" not in page


def test_only_the_current_module_is_marked_current(client, course):
    listed = _module_list(client.get(LESSON_2).get_data(as_text=True))
    assert listed.count('aria-current="page"') == 1
    assert re.search(r'aria-current="page"[^>]*>Sources<', listed)


def test_history_link_is_drawn_per_reader_not_cached(app, client, course, make_user):
    author = make_user("admin")
    admin_client = app.test_client()
    admin_client.sign_in(author.email)
    assert "Publish history" in admin_client.get(f"/courses/{SLUG}/").get_data(as_text=True)
    assert "Publish history" not in client.get(f"/courses/{SLUG}/").get_data(as_text=True)


def test_header_links_follow_the_readers_role(app, client, course, learner, make_user):
    admin = app.test_client()
    admin.sign_in(make_user("admin").email)
    assert "Administration" in admin.get("/courses/").get_data(as_text=True)
    client.sign_in(learner.email)
    page = client.get("/courses/").get_data(as_text=True)
    assert "Administration" not in page and "Sign out" in page
    anonymous = app.test_client().get("/courses/").get_data(as_text=True)
    assert "Sign in" in anonymous and "Sign out" not in anonymous


def test_header_carries_each_readers_own_form_token(app, course, learner, make_user):
    tokens = []
    for email in (learner.email, make_user().email):
        reader = app.test_client()
        reader.sign_in(email)
        page = reader.get("/courses/").get_data(as_text=True)
        tokens.append(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))
        answer = reader.post("/language", data={"csrf_token": tokens[-1], "language": "es",
                                                "next": "/courses/"})
        assert answer.status_code == 302
    assert tokens[0] != tokens[1]


def test_header_comes_back_to_this_address_escaped(client, course):
    page = client.get("/courses/?q=a%22b&lang=es").get_data(as_text=True)
    assert 'name="next" value="/courses/?q=a%22b&amp;lang=es"' in page
