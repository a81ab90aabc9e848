"""Caching: nothing personal is kept by a proxy or a shared computer's browser; what is the
same for everyone (static files, published course media, the issuer's documents) is."""

from __future__ import annotations

import pytest
from flask import url_for

from tests.world import ROLES, world_fixture

#: Endpoints whose successful answers are the same for everyone and carry no session.
PUBLIC_ENDPOINTS = frozenset({"static", "catalog.course_file", "certificates.issuer_profile",
                              "certificates.issuer_key", "certificates.status_list",
                              "certificates.revocation_list", "certificates.look_image"})


@pytest.fixture
def world(app, make_user, tmp_path, monkeypatch):
    """Real rows owned by different people (tests/world.py)."""
    yield from world_fixture(app, make_user, tmp_path, monkeypatch)


def _get_urls(app, values: dict) -> list[tuple[str, str]]:
    """(endpoint, URL) for every rule that answers GET, filled with the world's real ids."""
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods:
                continue
            urls.append((rule.endpoint, url_for(rule.endpoint, **{
                name: values[name] for name in rule.arguments})))
    return sorted(urls)


def test_every_page_is_private_unless_the_same_for_everyone(app, world):
    urls = _get_urls(app, world.values())
    public_seen = set()
    for role in ROLES:
        client = world.client(app, role)
        for endpoint, url in urls:
            response = client.get(url)
            response.close()
            cache = response.headers.get("Cache-Control", "")
            where = (role, url, response.status_code, cache)
            if endpoint in PUBLIC_ENDPOINTS and response.status_code == 200:
                assert "public" in cache and "max-age=" in cache, where
                assert "Set-Cookie" not in response.headers, where
                public_seen.add(endpoint)
                continue
            assert cache == "private, no-store", where
            assert "Cookie" in response.vary, where
    assert public_seen == PUBLIC_ENDPOINTS


def test_catalog_page_with_the_learners_progress_is_private(app, world):
    client = world.client(app, "learner")
    response = client.get(f"/courses/{world.course_slug}/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Cookie" in response.vary


@pytest.mark.parametrize("role", ["author", "admin"])
def test_draft_media_is_never_kept_by_a_shared_cache(app, world, role):
    response = world.client(app, role).get(world.draft_media)
    assert response.status_code == 200
    assert "public" not in response.headers["Cache-Control"]


def test_hashed_static_asset_is_cached_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    response = client.get(href)
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_published_course_media_is_cached_for_a_year(app, world):
    response = world.client(app, "anonymous").get(world.media)
    assert response.status_code == 200
    assert "public" in response.headers["Cache-Control"]
    assert "max-age=31536000" in response.headers["Cache-Control"]


def test_certificate_downloads_are_private(app, world):
    client = world.client(app, "learner")
    for suffix in (".pdf", ".json"):
        response = client.get(f"/certificates/{world.certificate_code}{suffix}")
        assert response.status_code == 200, suffix
        assert response.headers["Cache-Control"] == "private, no-store", suffix


def test_cache_and_vary_headers_are_read_by_their_names():
    from ecampus.security import _tokens

    assert _tokens("Private, max-age=60, PUBLIC") == {"private", "max-age", "public"}
    assert "public" not in _tokens('private, no-cache="public-thing"')
    assert "cookie" in _tokens("Accept-Encoding,  COOKIE")
    assert _tokens(None) == _tokens("") == set()
