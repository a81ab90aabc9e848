"""Compressed answers for browsers that accept them, and 304 answers to revalidations
(ecampus/compression.py)."""

from __future__ import annotations

import gzip

import brotli
import pytest

from tests.helpers import publish, simple_course, write_course

PNG = bytes.fromhex("89504e470d0a1a0a") + b"\x00" * 4000  # a PNG's signature, then padding


@pytest.fixture
def course(app, tmp_path):
    simple_course(tmp_path, "migration-basics")
    write_course(tmp_path, "migration-basics", {
        "media/map.png": PNG,
        "01-lesson-1.md": "---\ntitle: Lesson 1\n---\nA map: ![Map](media/map.png)\n",
    })
    publish(app, tmp_path)
    return "/courses/migration-basics/"


def _stylesheet(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return page.split('rel="stylesheet" href="')[1].split('"')[0]


def test_page_is_sent_with_brotli_when_the_browser_accepts_it(client, course):
    plain = client.get(course).get_data(as_text=True)
    response = client.get(course, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    body = brotli.decompress(response.get_data()).decode()
    assert "<h1>Migration basics</h1>" in body
    assert len(response.get_data()) < len(plain) / 2


def test_page_is_gzipped_for_a_browser_without_brotli(client, course):
    response = client.get(course, headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert "<h1>Migration basics</h1>" in gzip.decompress(response.get_data()).decode()


def test_page_is_sent_plain_when_nothing_is_accepted(client, course):
    response = client.get(course)
    assert "Content-Encoding" not in response.headers
    assert "<h1>Migration basics</h1>" in response.get_data(as_text=True)


def test_compressed_page_stays_private_and_varies_on_encoding_and_cookie(client, course):
    response = client.get(course, headers={"Accept-Encoding": "br"})
    assert response.headers["Cache-Control"] == "private, no-store"
    assert {"Accept-Encoding", "Cookie"} <= set(response.vary)


def test_stylesheet_is_compressed(client):
    response = client.get(_stylesheet(client), headers={"Accept-Encoding": "br"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "br"
    assert b".site-header" in brotli.decompress(response.get_data())


def test_already_compressed_image_is_sent_as_it_is(client, course):
    page = client.get(course + "lesson-1/").get_data(as_text=True)
    src = page.split('<img', 1)[1].split('src="', 1)[1].split('"', 1)[0]
    response = client.get(src, headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == PNG


@pytest.mark.parametrize("encoding", [None, "gzip", "br"])
def test_stylesheet_answers_a_revalidation_with_304(client, encoding):
    url = _stylesheet(client)
    headers = {"Accept-Encoding": encoding} if encoding else {}
    first = client.get(url, headers=headers)
    etag = first.headers["ETag"]
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_dynamic_answer_has_a_weak_etag_and_answers_304(client):
    first = client.get("/healthz")
    assert first.headers["ETag"].startswith('W/"')
    again = client.get("/healthz", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.headers["Cache-Control"] == "private, no-store"


def test_changed_answer_is_sent_whole_despite_an_old_etag(client, course):
    response = client.get(course, headers={"If-None-Match": 'W/"not-this-page"'})
    assert response.status_code == 200
    assert "<h1>Migration basics</h1>" in response.get_data(as_text=True)


def test_post_is_never_answered_304(client):
    response = client.post("/language", headers={"If-None-Match": "*"},
                           data={"language": "en"})
    assert response.status_code != 304
