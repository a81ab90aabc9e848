"""Authors upload a zip of a course folder: checked, then published only if it is theirs."""

from __future__ import annotations

import io
import stat
import zipfile

from sqlalchemy import func, select

from ecampus.catalog.models import Course, PublishRecord
from ecampus.extensions import db
from tests.helpers import course_md, lesson, publish, simple_course

URL = "/authoring/upload"


def course_zip(slug: str = "road-safety", *, authors: str, broken: bool = False,
               extra: dict | None = None) -> bytes:
    """A zip of one course folder, as an author's file manager would make it."""
    files = {
        "course.md": course_md("Road safety", authors=f"[{authors}]"),
        "01-basics.md": lesson("Basics", "Look both ways." if not broken
                               else "![map](media/missing.png)"),
        **(extra or {}),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{slug}/", b"")
        for name, text in files.items():
            archive.writestr(f"{slug}/{name}", text)
    return buffer.getvalue()


def _upload(client, data: bytes, name: str = "course.zip"):
    return client.post(URL, data={"csrf_token": client.csrf_token(),
                                  "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _signed_in(app, user):
    client = app.test_client()
    client.sign_in(user.email)
    return client


def _courses(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Course.slug, Course.version)).all())


def test_an_author_publishes_a_new_course_that_names_them(app, author):
    response = _upload(_signed_in(app, author), course_zip(authors=author.email))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _courses(app) == {"road-safety": 1}
    with app.app_context():
        record = db.session.scalar(select(PublishRecord))
        assert (record.source, record.actor_email, record.outcome) == (
            "upload", author.email, "published")


def test_errors_are_shown_at_path_and_line_and_nothing_is_published(app, author):
    response = _upload(_signed_in(app, author), course_zip(authors=author.email, broken=True))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "road-safety/01-basics.md:4" in page and "missing file" in page
    assert _courses(app) == {}


def test_an_author_cannot_replace_another_authors_course(app, author, make_user, tmp_path):
    owner = make_user("author")
    simple_course(tmp_path, "road-safety", authors=f"[{owner.email}]")
    publish(app, tmp_path)
    response = _upload(_signed_in(app, author), course_zip(authors=author.email))
    assert response.status_code == 400
    assert "not an author of the course road-safety" in response.get_data(as_text=True)
    assert _courses(app) == {"road-safety": 1}


def test_an_owner_publishes_a_new_version(app, author, tmp_path):
    simple_course(tmp_path, "road-safety", authors=f"[{author.email}]")
    publish(app, tmp_path)
    response = _upload(_signed_in(app, author), course_zip(authors=author.email))
    assert response.status_code == 302
    assert _courses(app) == {"road-safety": 2}


def test_an_owners_refused_upload_is_in_the_history_with_its_report(app, author, make_user,
                                                                   tmp_path):
    simple_course(tmp_path, "road-safety", authors=f"[{author.email}]")
    publish(app, tmp_path)
    broken = course_zip(authors=author.email, broken=True)
    assert _upload(_signed_in(app, author), broken).status_code == 400
    stranger = make_user("author")
    assert _upload(_signed_in(app, stranger), broken).status_code == 400
    with app.app_context():
        refused = db.session.scalars(select(PublishRecord).where(
            PublishRecord.outcome == "refused")).all()
    assert [(r.source, r.actor_email) for r in refused] == [("upload", author.email)]
    assert "road-safety/01-basics.md:4" in refused[0].report
    assert _courses(app) == {"road-safety": 1}


def test_a_new_course_must_name_its_uploader(app, author):
    response = _upload(_signed_in(app, author), course_zip(authors="someone@example.org"))
    assert response.status_code == 400
    assert "Add your email to authors" in response.get_data(as_text=True)
    assert _courses(app) == {}


def test_an_admin_may_publish_any_course(app, admin, make_user, tmp_path):
    owner = make_user("author")
    simple_course(tmp_path, "road-safety", authors=f"[{owner.email}]")
    publish(app, tmp_path)
    response = _upload(_signed_in(app, admin), course_zip(authors=owner.email))
    assert response.status_code == 302
    assert _courses(app) == {"road-safety": 2}


def test_a_hostile_zip_is_refused_with_a_message(app, author):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("road-safety/course.md", course_md(authors=f"[{author.email}]"))
        link = zipfile.ZipInfo("road-safety/01-basics.md")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    response = _upload(_signed_in(app, author), buffer.getvalue())
    assert response.status_code == 400
    assert "link or a special file" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PublishRecord)) == 0
    assert _courses(app) == {}


def test_a_zip_over_the_upload_limit_is_refused(app, author, monkeypatch):
    monkeypatch.setitem(app.config, "COURSE_UPLOAD_MAX_BYTES", 100)
    response = _upload(_signed_in(app, author), course_zip(authors=author.email))
    assert response.status_code == 400
    assert "larger than" in response.get_data(as_text=True)


def test_files_outside_a_course_folder_are_refused(app, author):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("course.md", course_md(authors=f"[{author.email}]"))
    response = _upload(_signed_in(app, author), buffer.getvalue())
    assert response.status_code == 400
    assert "must hold one folder" in response.get_data(as_text=True)


def test_the_upload_page_needs_a_csrf_token(app, author):
    client = _signed_in(app, author)
    response = client.post(URL, data={"file": (io.BytesIO(course_zip(authors=author.email)),
                                               "c.zip")}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert _courses(app) == {}


def test_learners_cannot_upload(app, learner):
    client = _signed_in(app, learner)
    assert client.get(URL).status_code == 403
