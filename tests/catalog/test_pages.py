"""Catalog, course and lesson pages; drafts, retired courses, translations and files."""

from __future__ import annotations

import shutil

import pytest

from tests.helpers import course_md, lesson, publish, simple_course, write_course


@pytest.fixture
def courses(app, tmp_path):
    simple_course(tmp_path, "migration-basics", title="Migration basics",
                  summary="Actors and agreements.", tags="[governance, policy]")
    write_course(tmp_path, "border-data", {
        "course.md": course_md("Border data", "Counting crossings.", tags="[statistics]"),
        "course.es.md": "---\ntitle: Datos de frontera\nsummary: Contar cruces.\n---\nCurso.\n",
        "01-counting.md": lesson("Counting", "How to count. [Next](02-sources.md)"),
        "01-counting.es.md": "---\ntitle: Contar\n---\nCómo contar.\n",
        "02-sources.md": lesson("Sources", "Where data comes from."),
    })
    write_course(tmp_path, "secret-draft", {
        "course.md": course_md("Draft course", "Not ready.", status="draft"),
        "01-a.md": lesson("A"),
    })
    publish(app, tmp_path)
    return tmp_path


def test_catalog_lists_published_courses(client, courses):
    page = client.get("/courses/").get_data(as_text=True)
    assert "Migration basics" in page and "Border data" in page
    assert "Draft course" not in page


@pytest.mark.parametrize("query, expected, absent", [
    ("agreements", "Migration basics", "Border data"),    # summary
    ("BORDER", "Border data", "Migration basics"),        # title, any case
    ("statistics", "Border data", "Migration basics"),    # tag
])
def test_catalog_search(client, courses, query, expected, absent):
    page = client.get("/courses/", query_string={"q": query}).get_data(as_text=True)
    assert expected in page and absent not in page


def test_catalog_filters_by_language(client, courses):
    page = client.get("/courses/?lang=es").get_data(as_text=True)
    assert "Datos de frontera" in page and "Migration basics" not in page


def test_catalog_search_with_no_result_says_so(client, courses):
    page = client.get("/courses/?q=zzzz").get_data(as_text=True)
    assert "No course matches your search." in page


def test_course_page_shows_modules_durations_and_languages(client, courses):
    page = client.get("/courses/border-data/").get_data(as_text=True)
    assert "Counting" in page and "Sources" in page
    assert "Español" in page
    page = client.get("/courses/migration-basics/").get_data(as_text=True)
    assert "10 min" in page and "Lesson 3" in page


def test_lesson_page_has_previous_next_and_module_list(client, courses):
    page = client.get("/courses/migration-basics/lesson-2/").get_data(as_text=True)
    assert 'rel="prev" href="/courses/migration-basics/lesson-1/"' in page
    assert 'rel="next" href="/courses/migration-basics/lesson-3/"' in page
    assert 'aria-current="page"' in page


def test_link_to_sibling_file_becomes_module_url(client, courses):
    page = client.get("/courses/border-data/counting/").get_data(as_text=True)
    assert 'href="/courses/border-data/sources/"' in page


def test_reading_a_course_in_spanish(client, courses):
    page = client.get("/courses/border-data/counting/?lang=es").get_data(as_text=True)
    assert "Cómo contar." in page
    # The choice is remembered for the next module, which has no translation.
    page = client.get("/courses/border-data/sources/").get_data(as_text=True)
    assert "Where data comes from." in page
    assert "not yet translated" in page


def test_interface_language_picks_course_language(client, courses):
    page = client.get("/courses/border-data/", headers={"Accept-Language": "es"})
    assert "Datos de frontera" in page.get_data(as_text=True)


def test_draft_is_hidden_from_learners(client, courses, learner):
    assert client.get("/courses/secret-draft/").status_code == 404
    client.sign_in(learner.email)
    assert client.get("/courses/secret-draft/").status_code == 404


def test_draft_is_visible_to_its_authors_and_admins(app, courses, author, admin):
    write_course(courses, "secret-draft", {
        "course.md": course_md("Draft course", "Not ready.", status="draft",
                               authors=f"[Drafting Unit, {author.email}]")})
    publish(app, courses)
    for user in (author, admin):
        client = app.test_client()
        client.sign_in(user.email)
        assert client.get("/courses/secret-draft/").status_code == 200
        assert "Draft course" in client.get("/courses/").get_data(as_text=True)


def test_retired_course_explains_itself(app, client, courses):
    shutil.rmtree(courses / "migration-basics")
    publish(app, courses)
    assert "Migration basics" not in client.get("/courses/").get_data(as_text=True)
    for url in ("/courses/migration-basics/", "/courses/migration-basics/lesson-1/"):
        response = client.get(url)
        assert response.status_code == 200
        assert "has been retired" in response.get_data(as_text=True)


def test_unknown_course_and_module_are_404(client, courses):
    assert client.get("/courses/nope/").status_code == 404
    assert client.get("/courses/migration-basics/nope/").status_code == 404


def test_course_files_are_served_with_hash_and_long_cache(app, client, tmp_path):
    png = bytes.fromhex("89504e470d0a1a0a") + b"image"
    write_course(tmp_path, "with-media", {
        "course.md": course_md(),
        "01-a.md": lesson("A", "![Routes map](media/map.png)\n\n[Checklist](media/list.txt)"),
        "media/map.png": png,
        "media/list.txt": "one\ntwo\n",
    })
    publish(app, tmp_path)
    page = client.get("/courses/with-media/a/").get_data(as_text=True)
    src = page.split('<img alt="Routes map" src="')[1].split('"')[0]
    assert src.startswith("/courses/with-media/files/")
    response = client.get(src)
    assert response.data == png and response.mimetype == "image/png"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    href = page.split('>Checklist</a>')[0].rsplit('href="', 1)[1].split('"')[0]
    download = client.get(href)
    assert download.data == b"one\ntwo\n" and "attachment" in download.headers[
        "Content-Disposition"]
    assert client.get(src.replace("/files/", "/files/0000")).status_code == 404


XSS = """
<script>alert('s')</script>
[click](javascript:alert(1))
<a href="JaVaScRiPt:alert(2)">x</a>
<img src="x" onerror="alert(3)" alt="x">
<iframe src="https://evil.example"></iframe>
<svg><script>alert(4)</script></svg>
<p style="background:url(javascript:alert(5))" onclick="alert(6)">styled</p>
<object data="x"></object><embed src="x">
<form action="https://evil.example"><input name="p"></form>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==">d</a>
"""


def test_xss_payloads_are_harmless_in_the_rendered_page(app, client, tmp_path):
    write_course(tmp_path, "hostile", {
        "course.md": course_md(body=XSS),
        "01-a.md": lesson("A", XSS),
    })
    publish(app, tmp_path)
    for url in ("/courses/hostile/", "/courses/hostile/a/"):
        page = client.get(url).get_data(as_text=True).lower()
        body = page.split('<main id="main"')[1]
        for needle in ("<script", "javascript:", "onerror", "onclick", "<iframe", "<svg",
                       "style=", "<object", "<embed", "<form action=\"https://evil",
                       "data:text/html"):
            assert needle not in body, (url, needle)
