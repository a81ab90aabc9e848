"""Publishing from a git source: real repositories, the real CLI and the real worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from ecampus.catalog.models import Course, Module, ModuleVersion, PublishRecord
from ecampus.extensions import db
from ecampus.sources import git, services
from ecampus.sources.models import CourseSource
from tests.helpers import lesson, publish, simple_course
from tests.sources.conftest import AUTHOR, AUTHOR_EMAIL


def _records(app, slug: str) -> list[PublishRecord]:
    with app.app_context():
        rows = db.session.scalars(select(PublishRecord).where(PublishRecord.slug == slug)
                                  .order_by(PublishRecord.id)).all()
        db.session.expunge_all()
        return list(rows)


def _live(app) -> dict[str, bool]:
    with app.app_context():
        return {slug: retired is None for slug, retired in db.session.execute(
            select(Course.slug, Course.retired_at)).all()}


def test_sync_command_publishes_every_course_with_its_commit(app, runner, repository,
                                                             make_source):
    repository.course("first-course")
    repository.course("second-course")
    commit = repository.commit_and_push("Add two courses\n\nReviewed by the unit.")
    make_source(repository.bare)
    result = runner.invoke(args=["courses", "sync", "ministry-courses"])
    assert result.exit_code == 0, result.output
    assert commit[:12] in result.output and "added" in result.output
    assert _live(app) == {"first-course": True, "second-course": True}
    record = _records(app, "first-course")[-1]
    assert (record.source, record.outcome, record.commit_id) == ("git", "published", commit)
    assert record.commit_author == f"{AUTHOR} <{AUTHOR_EMAIL}>"
    assert record.commit_message == "Add two courses\n\nReviewed by the unit."
    with app.app_context():
        source = db.session.scalar(select(CourseSource))
        assert source.last_commit == commit and source.last_error is None
        assert source.course_slugs == ["first-course", "second-course"]


def test_the_same_commit_twice_publishes_nothing(app, runner, repository, make_source):
    repository.course("first-course")
    repository.commit_and_push("Add a course")
    make_source(repository.bare)
    assert runner.invoke(args=["courses", "sync"]).exit_code == 0
    records = len(_records(app, "first-course"))
    again = runner.invoke(args=["courses", "sync"])
    assert again.exit_code == 0 and "already published" in again.output
    assert len(_records(app, "first-course")) == records
    with app.app_context():
        assert db.session.scalar(select(Course.version)) == 1


def test_a_changed_module_gets_one_new_version_from_the_new_commit(app, repository,
                                                                    make_source):
    folder = repository.course("first-course")
    repository.commit_and_push("Add a course")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        services.sync_source(source_id)
    (folder / "02-lesson-2.md").write_text(lesson("Lesson 2", "Rewritten.", duration="10m"))
    commit = repository.commit_and_push("Rewrite lesson 2")
    with app.app_context():
        result = services.sync_source(source_id)
        assert result.report.courses[0].modules == {
            "lesson-1": "unchanged", "lesson-2": "changed", "lesson-3": "unchanged"}
        versions = dict(db.session.execute(
            select(Module.slug, func.count(ModuleVersion.id))
            .join(ModuleVersion, ModuleVersion.module_id == Module.id)
            .group_by(Module.slug)).all())
        assert versions == {"lesson-1": 1, "lesson-2": 2, "lesson-3": 1}
    record = _records(app, "first-course")[-1]
    assert record.commit_id == commit and record.changes["modules"]["changed"] == ["lesson-2"]


def test_a_course_removed_from_the_repository_is_retired_and_others_stay(
        app, repository, make_source, tmp_path):
    simple_course(tmp_path / "elsewhere", "cli-course")
    publish(app, tmp_path / "elsewhere")
    repository.course("first-course")
    second = repository.course("second-course")
    repository.commit_and_push("Two courses")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        services.sync_source(source_id)
    for path in sorted(second.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    second.rmdir()
    repository.commit_and_push("Drop the second course")
    with app.app_context():
        result = services.sync_source(source_id)
    assert result.retired == ["second-course"]
    assert _live(app) == {"cli-course": True, "first-course": True, "second-course": False}


def test_a_course_with_errors_stays_unpublished_and_the_source_says_why(app, repository,
                                                                       make_source):
    repository.course("good-course")
    (repository.work / "broken-course").mkdir()
    (repository.work / "broken-course" / "course.md").write_text("---\ntitle: No summary\n---\n")
    repository.commit_and_push("One good, one broken")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        services.sync_source(source_id)
        source = db.session.get(CourseSource, source_id)
        assert "broken-course/course.md:" in source.last_error
    assert _live(app) == {"good-course": True}
    assert _records(app, "broken-course")[-1].outcome == "refused"


def test_only_the_sources_branch_is_published(app, repository, make_source):
    repository.course("main-course")
    repository.commit_and_push("Main")
    repository.course("draft-course")
    repository.commit_and_push("Work in progress", branch="next")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        services.sync_source(source_id)
    assert _live(app) == {"main-course": True}


def test_a_missing_branch_is_an_error_kept_on_the_source(app, repository, make_source):
    repository.course("main-course")
    repository.commit_and_push("Main")
    source_id, _secret = make_source(repository.bare, branch="release")
    with app.app_context():
        with pytest.raises(git.GitError):
            services.sync_source(source_id)
        db.session.remove()
        source = db.session.get(CourseSource, source_id)
        assert "no branch release" in source.last_error
    assert _live(app) == {}


def test_a_link_in_the_repository_is_not_followed(app, repository, make_source, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(lesson("Secret", "The server's own file."))
    folder = repository.course("first-course", modules=1)
    (folder / "02-secret.md").symlink_to(secret)
    repository.commit_and_push("A link out of the repository")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        services.sync_source(source_id)
        slugs = set(db.session.scalars(select(Module.slug)))
    assert "secret" not in slugs


@pytest.mark.parametrize("url", [
    "ext::sh -c touch% /tmp/ecampus-pwned", "file::/tmp/repo", "-uhttps://example.org/x.git",
    "relative/path", "http+evil://host/x", "file:///tmp/repo"])
def test_dangerous_addresses_are_refused(app, instance, url):
    assert git.check_url(url) is not None
    with pytest.raises(git.GitError):
        git.fetch(url, "main", instance / "mirror.git", timeout=10)
    assert not (instance / "mirror.git").exists()
    with app.app_context(), pytest.raises(services.SourceError):
        services.create_source("bad-source", url, "main")


@pytest.mark.parametrize("url", ["/srv/courses.git", "https://git.example.gov/courses.git",
                                 "ssh://git@git.example.gov/courses.git",
                                 "git@git.example.gov:ministry/courses.git"])
def test_paths_https_and_ssh_addresses_are_accepted(url):
    assert git.check_url(url) is None


@pytest.mark.parametrize("branch", ["-x", "a..b", "main.lock", "", "with space", "a@{1}"])
def test_malformed_branch_names_are_refused(branch):
    assert git.check_branch(branch) is not None


def test_the_worker_runs_a_queued_sync(app, repository, make_source):
    from ecampus.jobs.worker import run_pending_jobs

    repository.course("first-course")
    repository.commit_and_push("A course")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        assert services.request_sync(source_id)
        assert services.request_sync(source_id)
        assert run_pending_jobs() == 1
    assert _live(app) == {"first-course": True}


def test_sync_of_an_unknown_source_is_a_usage_error(runner):
    result = runner.invoke(args=["courses", "sync", "nowhere"])
    assert result.exit_code == 2 and "no course source called nowhere" in result.output


def test_add_source_command_prints_the_secret_once(app, runner, repository, instance):
    result = runner.invoke(args=["courses", "add-source", "cli-source", str(repository.bare)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        source = db.session.scalar(select(CourseSource))
        assert source.webhook_secret in result.output and source.branch == "main"
    assert Path(repository.bare).is_dir()


def test_no_hook_runs_while_fetching(app, repository, make_source, instance, tmp_path):
    repository.course("first-course")
    repository.commit_and_push("A course")
    source_id, _secret = make_source(repository.bare)
    with app.app_context():
        services.sync_source(source_id)
    witness = tmp_path / "hook-ran"
    mirror = instance / "course-sources" / f"{source_id}.git"
    for hook in ("reference-transaction", "post-checkout", "post-merge"):
        script = mirror / "hooks" / hook
        script.parent.mkdir(exist_ok=True)
        script.write_text(f"#!/bin/sh\ntouch {witness}\n")
        script.chmod(0o755)
    repository.course("second-course")
    repository.commit_and_push("Another course")
    with app.app_context():
        services.sync_source(source_id)
    assert _live(app) == {"first-course": True, "second-course": True}
    assert not witness.exists()
