"""Real git repositories for the course-source tests: a working copy pushed to a bare one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ecampus.extensions import db
from tests.helpers import simple_course

AUTHOR = "Ana Writer"
AUTHOR_EMAIL = "ana.writer@example.org"


class Repository:
    """A working copy whose pushes land in `bare`, the address a source is given."""

    def __init__(self, root: Path) -> None:
        self.work = root / "work"
        self.bare = root / "bare.git"
        self.work.mkdir(parents=True)
        self._git("init", "--quiet", "--bare", "--initial-branch=main", str(self.bare),
                  cwd=root)
        self._git("init", "--quiet", "--initial-branch=main")
        self._git("remote", "add", "origin", str(self.bare))

    def _git(self, *args: str, cwd: Path | None = None) -> str:
        env = {**os.environ, "GIT_AUTHOR_NAME": AUTHOR, "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
               "GIT_COMMITTER_NAME": AUTHOR, "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
               "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.work.parent)}
        done = subprocess.run(["git", *args], cwd=cwd or self.work, env=env, check=True,
                              capture_output=True, text=True)
        return done.stdout.strip()

    def commit_and_push(self, message: str, branch: str = "main") -> str:
        """Commit everything in the working copy, push it to `branch`, return the commit id."""
        self._git("add", "--all")
        self._git("commit", "--quiet", "--allow-empty", "-m", message)
        self._git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}")
        return self._git("rev-parse", "HEAD")

    def course(self, slug: str, modules: int = 3, **front) -> Path:
        """Write a course folder of `modules` lessons into the working copy."""
        return simple_course(self.work, slug, modules=modules, **front)


@pytest.fixture
def repository(tmp_path) -> Repository:
    """An empty repository with a bare remote on branch main."""
    return Repository(tmp_path / "repo")


@pytest.fixture
def instance(app, tmp_path, monkeypatch):
    """The app's instance folder (where git mirrors are cached) in this test's own folder."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return Path(app.instance_path)


@pytest.fixture
def make_source(app, instance):
    """Factory: register a course source through the real service; returns (id, secret)."""
    from ecampus.sources import services

    def factory(url, slug: str = "ministry-courses", branch: str = "main"):
        with app.app_context():
            source, secret = services.create_source(slug, str(url), branch)
            source_id = source.id
            db.session.remove()
        return source_id, secret

    return factory
