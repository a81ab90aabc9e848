"""The live preview: a throwaway site on a temporary SQLite database that mirrors a folder.

`make_preview_app` builds an ordinary E-Campus app (so pages render exactly as learners see
them) on a fresh database in a temporary folder, migrates it, publishes the courses and
creates the preview account; `refresh` re-checks and republishes after every change.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from .. import create_app
from ..auth import services as accounts
from ..auth.models import Role
from ..catalog import courseformat as cf
from ..catalog.history import PublishOrigin
from ..catalog.publishing import publish_courses
from ..catalog.services import clear_caches
from ..extensions import db

PREVIEW_EMAIL = "preview.author@example.org"
PREVIEW_ORIGIN = PublishOrigin(source="preview", actor_email=PREVIEW_EMAIL)
STATE_KEY = "ecampus.preview"


@dataclass
class PreviewState:
    """What the preview pages show: the folder, its problems, and a version bumped on change."""

    root: Path
    version: int = 0
    problems: list[cf.Problem] = field(default_factory=list)
    #: {slug: [language, ...]} of the courses that read without errors.
    courses: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def preview_state(app: Flask) -> PreviewState:
    """The running preview's state (the app must be a preview app)."""
    return app.extensions[STATE_KEY]


def make_preview_app(root: Path, workdir: Path, *, port: int = 5050) -> Flask:
    """A preview site for the courses under `root`, its database in `workdir`."""
    root = Path(root).resolve()
    Path(workdir).mkdir(parents=True, exist_ok=True)
    database = Path(workdir) / "preview.sqlite3"
    app = create_app({
        "ENV_NAME": "development",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "COURSES_DIR": str(root),
        "PREVIEW_DIR": str(root),
    })
    app.instance_path = str(Path(workdir) / "instance")
    app.extensions[STATE_KEY] = PreviewState(root)
    # Page snapshots are keyed by row ids, which a fresh database hands out again.
    clear_caches()
    with app.app_context():
        upgrade()
        if accounts.find_user_by_email(PREVIEW_EMAIL) is None:
            accounts.create_user(PREVIEW_EMAIL, "Preview author", None, role=Role.ADMIN.value)
    refresh(app)
    return app


def refresh(app: Flask) -> PreviewState:
    """Check the folder again, publish what is valid, and tell the pages to reload."""
    state = preview_state(app)
    with state.lock, app.app_context():
        results = cf.read_courses(state.root)
        try:
            publish_courses(state.root, origin=PREVIEW_ORIGIN)
        except Exception as error:  # a half-saved file must not stop the preview
            db.session.rollback()
            problems = [cf.Problem(state.root.name, 1, "error", f"publishing failed: {error}")]
        else:
            problems = []
        state.problems = sorted([p for r in results for p in r.problems] + problems)
        state.courses = {r.slug: r.course.languages for r in results if r.course is not None}
        state.version += 1
    return state


def preview_account():
    """The account every preview visitor is signed in as."""
    return accounts.find_user_by_email(PREVIEW_EMAIL)
