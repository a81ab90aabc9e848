"""The admins' course sources page: register a source, see its secret once, sync it now."""

from __future__ import annotations

from sqlalchemy import func, select

from ecampus.extensions import db
from ecampus.jobs.models import Job
from ecampus.sources.models import CourseSource


def _signed_in(app, user):
    client = app.test_client()
    client.sign_in(user.email)
    return client


def test_an_admin_registers_a_source_and_sees_its_secret_once(app, admin, repository,
                                                            instance):
    client = _signed_in(app, admin)
    response = client.submit("/admin/sources/", {"slug": "ministry-courses",
                                                 "url": str(repository.bare),
                                                 "branch": "main"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    with app.app_context():
        source = db.session.scalar(select(CourseSource))
        secret = source.webhook_secret
    assert secret in page and "http://localhost/hooks/courses/ministry-courses" in page
    assert secret not in client.get("/admin/sources/").get_data(as_text=True)


def test_an_unsafe_address_is_refused_with_a_message(app, admin, instance):
    client = _signed_in(app, admin)
    response = client.submit("/admin/sources/", {"slug": "evil", "url": "ext::sh -c id",
                                                 "branch": "main"})
    assert response.status_code == 400
    assert "https:// address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseSource)) == 0


def test_sync_now_queues_a_background_sync(app, admin, repository, make_source):
    source_id, _secret = make_source(repository.bare)
    client = _signed_in(app, admin)
    response = client.submit(f"/admin/sources/{source_id}/sync")
    assert response.status_code == 302
    with app.app_context():
        job = db.session.scalar(select(Job))
        assert (job.kind, job.payload) == ("catalog.sync", {"source_id": source_id})


def test_sync_now_without_a_csrf_token_is_refused(app, admin, repository, make_source):
    source_id, _secret = make_source(repository.bare)
    client = _signed_in(app, admin)
    assert client.post(f"/admin/sources/{source_id}/sync").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_the_page_shows_the_last_sync_and_its_problems(app, admin, repository, make_source):
    from ecampus.sources import services

    repository.course("good-course")
    (repository.work / "broken-course").mkdir()
    (repository.work / "broken-course" / "course.md").write_text("---\ntitle: T\n---\n")
    commit = repository.commit_and_push("Two courses")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        services.sync_source(source_id)
    page = _signed_in(app, admin).get("/admin/sources/").get_data(as_text=True)
    assert commit[:12] in page and "broken-course/course.md:" in page


def test_a_name_already_taken_is_refused(app, admin, repository, make_source):
    make_source(repository.bare)
    response = _signed_in(app, admin).submit("/admin/sources/", {
        "slug": "ministry-courses", "url": str(repository.bare), "branch": "main"})
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CourseSource)) == 1


def test_a_new_secret_replaces_the_old_one(app, admin, client, repository, make_source):
    source_id, old = make_source(repository.bare)
    response = _signed_in(app, admin).submit(f"/admin/sources/{source_id}/secret")
    assert response.status_code == 200
    with app.app_context():
        new = db.session.get(CourseSource, source_id).webhook_secret
    assert new != old and new in response.get_data(as_text=True)
    hook = "/hooks/courses/ministry-courses"
    assert client.post(hook, data=b"{}", headers={"X-Gitlab-Token": old}).status_code == 403
    assert client.post(hook, data=b"{}", headers={"X-Gitlab-Token": new}).status_code == 202
