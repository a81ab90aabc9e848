"""The signed webhook: GitHub, GitLab, Gitea and Forgejo pushes queue one background sync."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from sqlalchemy import func, select

from ecampus.catalog.models import Course
from ecampus.extensions import db
from ecampus.jobs.models import Job
from ecampus.jobs.worker import run_pending_jobs

URL = "/hooks/courses/ministry-courses"


def _push(branch: str = "main") -> bytes:
    return json.dumps({"ref": f"refs/heads/{branch}", "after": "0" * 40}).encode()


def _sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _jobs(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Job)
                                 .where(Job.kind == "catalog.sync"))


@pytest.fixture
def source(repository, make_source):
    """A registered source whose repository holds one course; yields its secret."""
    repository.course("first-course")
    repository.commit_and_push("A course")
    _source_id, secret = make_source(repository.bare)
    return secret


@pytest.mark.parametrize("headers", [
    lambda secret, body: {"X-Hub-Signature-256": "sha256=" + _sign(secret, body),
                          "X-GitHub-Event": "push"},
    lambda secret, body: {"X-Gitlab-Token": secret, "X-Gitlab-Event": "Push Hook"},
    lambda secret, body: {"X-Gitea-Signature": _sign(secret, body)},
    lambda secret, body: {"X-Forgejo-Signature": _sign(secret, body)},
], ids=["github", "gitlab", "gitea", "forgejo"])
def test_a_signed_push_is_accepted_and_published_by_the_worker(app, client, source, headers):
    body = _push()
    response = client.post(URL, data=body, headers=headers(source, body),
                           content_type="application/json")
    assert response.status_code == 202, response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Course)) == 0
        assert run_pending_jobs() == 1
        assert db.session.scalar(select(Course.slug)) == "first-course"


def test_a_push_without_a_signature_gets_401(app, client, source):
    response = client.post(URL, data=_push(), content_type="application/json")
    assert response.status_code == 401
    assert _jobs(app) == 0


@pytest.mark.parametrize("headers", [
    {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    {"X-Gitlab-Token": "not-the-secret"},
    {"X-Gitea-Signature": "deadbeef"},
], ids=["github", "gitlab", "gitea"])
def test_a_push_with_a_wrong_signature_gets_403(app, client, source, headers):
    response = client.post(URL, data=_push(), headers=headers, content_type="application/json")
    assert response.status_code == 403
    assert _jobs(app) == 0


def test_a_signature_of_another_body_gets_403(app, client, source):
    signature = "sha256=" + _sign(source, _push())
    response = client.post(URL, data=_push("main") + b" ", content_type="application/json",
                           headers={"X-Hub-Signature-256": signature})
    assert response.status_code == 403


def test_a_push_to_another_branch_is_ignored(app, client, source):
    body = _push("feature/draft")
    response = client.post(URL, data=body, content_type="application/json",
                           headers={"X-Gitea-Signature": _sign(source, body)})
    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert _jobs(app) == 0


def test_a_pushed_tag_is_ignored(app, client, source):
    body = json.dumps({"ref": "refs/tags/v1.0"}).encode()
    response = client.post(URL, data=body, content_type="application/json",
                           headers={"X-Hub-Signature-256": "sha256=" + _sign(source, body)})
    assert response.status_code == 200 and response.json["status"] == "ignored"
    assert _jobs(app) == 0


def test_many_pushes_before_the_worker_runs_make_one_sync(app, client, source):
    body = _push()
    for _ in range(3):
        response = client.post(URL, data=body, content_type="application/json",
                                headers={"X-Gitea-Signature": _sign(source, body)})
        assert response.status_code == 202
    assert _jobs(app) == 1


def test_an_unknown_source_gets_404(client):
    assert client.post("/hooks/courses/nowhere", data=b"{}").status_code == 404


def test_the_webhook_needs_no_csrf_token_but_the_signature(app, client, source):
    body = b"not json at all"
    response = client.post(URL, data=body, headers={"X-Gitea-Signature": _sign(source, body)})
    assert response.status_code == 202
