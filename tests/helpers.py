"""Small builders shared by tests: course folders on disk, published through the real code."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ecampus.catalog.publishing import publish_courses


def write_course(root: Path, slug: str, files: dict[str, str | bytes]) -> Path:
    """Write a course folder; text values are dedented so tests can indent them."""
    folder = root / slug
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return folder


def lesson(title: str, body: str = "Some text.", **front) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in front.items())
    return f"---\ntitle: {title}\n{extra}---\n{body}\n"


def course_md(title: str = "Migration basics", summary: str = "What officials need to know.",
              body: str = "A course.", **front) -> str:
    extra = "".join(f"{key}: {value}\n" for key, value in front.items())
    return f"---\ntitle: {title}\nsummary: {summary}\n{extra}---\n{body}\n"


def simple_course(root: Path, slug: str = "migration-basics", modules: int = 3,
                  **front) -> Path:
    """A course of `modules` lessons, each 10 minutes long."""
    files = {"course.md": course_md(**front)}
    for n in range(1, modules + 1):
        files[f"{n:02d}-lesson-{n}.md"] = lesson(f"Lesson {n}", f"Text of lesson {n}.",
                                                 duration="10m")
    return write_course(root, slug, files)


def publish(app, root: Path):
    """Publish a folder of courses through the real service, as the CLI does."""
    with app.app_context():
        return publish_courses(root)


def count_statements(app, action) -> int:
    """How many SQL statements `action()` sends: proves a page or import has no N+1."""
    from sqlalchemy import event

    from ecampus.extensions import db

    statements = []

    def count(*_args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def count_page_queries(app, client, url: str) -> int:
    """SQL statements needed to serve `url` successfully."""
    def get():
        assert client.get(url).status_code == 200

    return count_statements(app, get)


def scratch_app(tmp_path: Path):
    """An app on its own new SQLite file, for tests that migrate a database step by step."""
    from ecampus import create_app

    return create_app({
        "ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "test-secret-" + "x" * 40,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'upgrade.sqlite3'}",
        "PUBLIC_URL": "http://localhost", "MAIL_OUTBOX": str(tmp_path / "outbox"),
    })
