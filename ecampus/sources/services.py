"""Course sources and uploads: publishing courses that arrive from git or from a zip.

A sync runs in the worker ("catalog.sync" job): it fetches the source's branch, exports its
tree into a temporary folder and publishes every course in it through the catalog's
publishing service, each new version recorded with the commit it came from. The same commit
twice publishes nothing. An upload is checked in full, and published only when it is
valid and its author owns the course or creates it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..audit import record
from ..catalog import courseformat as cf
from ..catalog import history
from ..catalog import services as catalog
from ..catalog.history import PublishOrigin
from ..catalog.models import Course
from ..catalog.publishing import (
    SKIPPED,
    PublishReport,
    publish_course,
    publish_courses,
    retire_course,
)
from ..extensions import db
from ..jobs import enqueue
from ..timeutil import utcnow
from . import git
from .archive import ArchiveRefused, ZipLimits, extract_zip
from .models import CourseSource

SYNC_JOB = "catalog.sync"
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class SourceError(Exception):
    """A request about a course source that cannot be carried out; the message says why,
    and `field` names the form field it is about."""

    def __init__(self, message: str, field: str = "slug") -> None:
        super().__init__(message)
        self.field = field


class UploadRefused(Exception):
    """An uploaded course that is not published; `problems` lists the checker's findings."""

    def __init__(self, message: str, problems: list[cf.Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


def list_sources() -> list[CourseSource]:
    """Every registered source, by name, for the admins' page."""
    return list(db.session.scalars(select(CourseSource).order_by(CourseSource.slug)))


def get_source(slug: str) -> CourseSource | None:
    """The source called `slug`, or None."""
    return db.session.scalar(select(CourseSource).where(CourseSource.slug == slug))


def create_source(slug: str, url: str, branch: str) -> tuple[CourseSource, str]:
    """Register a repository and branch; returns the source and its new webhook secret,
    which is shown to the admin this once."""
    slug, url, branch = slug.strip(), url.strip(), branch.strip()
    if not _SLUG.match(slug):
        raise SourceError(_("A name is made of lowercase letters, digits and dashes."))
    if git.check_url(url):
        raise SourceError(_("Give the repository as an absolute path on the server, an "
                            "https:// address or an ssh address."), "url")
    if git.check_branch(branch):
        raise SourceError(_("Give a branch name such as main."), "branch")
    taken = SourceError(_("A source called %(name)s already exists.", name=slug))
    if get_source(slug) is not None:
        db.session.rollback()
        raise taken
    secret = secrets.token_urlsafe(32)
    source = CourseSource(slug=slug, url=url, branch=branch, webhook_secret=secret,
                          course_slugs=[])
    db.session.add(source)
    try:
        db.session.flush()
        record("source.created", target=("source", source.id),
               after={"name": slug, "url": url, "branch": branch})
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise taken from None
    return source, secret


def new_secret(source_id: int) -> tuple[CourseSource, str] | None:
    """Give the source a new webhook secret (the old one stops working at once); returns it
    to show this once, or None when there is no such source."""
    source = db.session.get(CourseSource, source_id)
    if source is None:
        db.session.rollback()
        return None
    source.webhook_secret = secret = secrets.token_urlsafe(32)
    record("source.secret_renewed", target=("source", source.id))
    db.session.commit()
    return source, secret


def request_sync(source_id: int) -> bool:
    """Queue a sync of the source; several requests before it runs make one sync.

    False when there is no such source."""
    if db.session.get(CourseSource, source_id) is None:
        db.session.rollback()
        return False
    enqueue(SYNC_JOB, {"source_id": source_id}, key=f"{SYNC_JOB}:{source_id}")
    db.session.commit()
    return True


# Webhooks -----------------------------------------------------------------------------------

#: Headers carrying a hex HMAC-SHA256 of the body: GitHub (prefixed "sha256="), Gitea, Forgejo.
_HMAC_HEADERS = ("X-Hub-Signature-256", "X-Gitea-Signature", "X-Forgejo-Signature")


def signature_status(secret: str, body: bytes, headers) -> str:
    """"valid", "missing" or "invalid": the push's signature checked against `secret`."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = [headers.get(name) for name in _HMAC_HEADERS if headers.get(name)]
    token = headers.get("X-Gitlab-Token")
    if not given and not token:
        return "missing"
    if token and hmac.compare_digest(token.encode(), secret.encode()):
        return "valid"
    for value in given:
        value = value.strip()
        if value.startswith("sha256="):
            value = value[len("sha256="):]
        if hmac.compare_digest(value.lower().encode(), expected.encode()):
            return "valid"
    return "invalid"


def is_other_ref(payload, branch: str) -> bool:
    """Whether a push event names a ref other than `branch` (another branch, a tag).

    GitHub, GitLab, Gitea and Forgejo all send the pushed ref as `ref`; a call without one
    (GitHub's ping, a hand-made call) asks for a sync of the source's branch.
    """
    ref = payload.get("ref") if isinstance(payload, dict) else None
    return isinstance(ref, str) and ref != f"refs/heads/{branch}"


# Syncing ------------------------------------------------------------------------------------

@dataclass
class SyncResult:
    """What one sync did: the commit it read and the publishing report (None if unchanged)."""

    commit: git.Commit
    report: PublishReport | None = None
    retired: list[str] = field(default_factory=list)


def _mirror_path(source_id: int) -> Path:
    return Path(current_app.instance_path) / "course-sources" / f"{source_id}.git"


def _timeout() -> float:
    return float(current_app.config["GIT_TIMEOUT_SECONDS"])


def sync_source(source_id: int, *, force: bool = False) -> SyncResult | None:
    """Publish every course on the source's branch as of its newest commit.

    The "catalog.sync" job handler. The commit last published is remembered, so the same
    commit publishes nothing unless `force`; a failure is kept on the source for the
    admins and raised, so the worker tries again later.
    """
    source = db.session.get(CourseSource, source_id)
    if source is None:
        db.session.rollback()
        return None
    url, branch, last_commit = source.url, source.branch, source.last_commit
    known_slugs = list(source.course_slugs or [])
    db.session.commit()
    try:
        commit = git.fetch(url, branch, _mirror_path(source_id), timeout=_timeout())
        if commit.id == last_commit and not force:
            _record_sync(source_id, error=None, commit=commit.id)
            return SyncResult(commit)
        with tempfile.TemporaryDirectory(prefix="ecampus-source-") as folder:
            git.export_tree(_mirror_path(source_id), commit.id, Path(folder), timeout=_timeout())
            origin = PublishOrigin(source="git", commit_id=commit.id,
                                   commit_author=commit.author,
                                   commit_message=commit.message[:5000])
            report = publish_courses(folder, origin=origin, retire_missing=False)
            present = [change.slug for change in report.courses]
            retired = _retire_gone(set(known_slugs) - set(present), origin)
    except Exception as error:
        db.session.rollback()
        message = str(error) if isinstance(error, git.GitError) else (
            f"{type(error).__name__}: {error}")
        _record_sync(source_id, error=message)
        raise
    skipped = [change for change in report.courses if change.outcome == SKIPPED]
    error = None
    if skipped:
        error = "\n".join(str(p) for change in skipped for p in change.problems
                          if p.severity == "error")
    _record_sync(source_id, error=error, commit=commit.id, slugs=present)
    return SyncResult(commit, report, retired)


def _retire_gone(slugs: set[str], origin: PublishOrigin) -> list[str]:
    if not slugs:
        return []
    gone = db.session.scalars(select(Course).where(Course.slug.in_(slugs),
                                                   Course.retired_at.is_(None))).all()
    for course in gone:
        retire_course(course, origin=origin)
    return sorted(course.slug for course in gone)


def _record_sync(source_id: int, *, error: str | None, commit: str | None = None,
                 slugs: list[str] | None = None) -> None:
    source = db.session.get(CourseSource, source_id)
    if source is None:
        db.session.rollback()
        return
    source.last_error = error[:10_000] if error else None
    source.last_synced_at = utcnow()
    if commit is not None:
        source.last_commit = commit
    if slugs is not None:
        source.course_slugs = sorted(slugs)
    db.session.commit()


# Uploads ------------------------------------------------------------------------------------

def upload_limits() -> ZipLimits:
    """The zip limits from the settings (COURSE_UPLOAD_MAX_*)."""
    config = current_app.config
    return ZipLimits(max_files=config["COURSE_UPLOAD_MAX_FILES"],
                     max_file_bytes=config["COURSE_UPLOAD_MAX_FILE_BYTES"],
                     max_total_bytes=config["COURSE_UPLOAD_MAX_TOTAL_BYTES"],
                     max_ratio=config["COURSE_UPLOAD_MAX_RATIO"])


def _record_refused_upload(slug: str, user, problems: list[cf.Problem]) -> None:
    """A refused upload of a course the uploader may author goes into its publish history,
    with the checker's report; anyone else's refused upload leaves no trace in a history
    they may not read or write."""
    try:
        existing = catalog.get_course(slug, include_drafts=True)
    except catalog.CourseNotFound:
        return
    if catalog.can_author(user, existing):
        history.record_in_own_transaction(
            slug, history.REFUSED, problems=problems,
            origin=PublishOrigin(source="upload", actor_user_id=user.id, actor_email=user.email))


def publish_upload(data: bytes, user) -> tuple[str, str, list[cf.Problem]]:
    """Check an uploaded zip of one course folder and publish it if the uploader may.

    Returns (slug, outcome, warnings). Raises UploadRefused, with every problem at
    path:line, when the zip is hostile, the course has errors, or the uploader owns
    neither the course nor the right to create it; nothing is written then.
    """
    with tempfile.TemporaryDirectory(prefix="ecampus-upload-") as folder:
        root = Path(folder)
        try:
            extract_zip(data, root, upload_limits())
        except ArchiveRefused as refused:
            raise UploadRefused(str(refused)) from None
        entries = [p for p in root.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        if len(entries) != 1 or not entries[0].is_dir():
            raise UploadRefused(_("The zip must hold one folder, the course folder, named "
                                  "after the course (for example my-course/course.md)."))
        course_folder = entries[0]
        result = cf.read_course(course_folder)
        if result.course is None:
            _record_refused_upload(course_folder.name, user, result.problems)
            raise UploadRefused(_("The course has errors: nothing was published."),
                                result.problems)
        try:
            existing = catalog.get_course(result.course.slug, include_drafts=True)
        except catalog.CourseNotFound:
            existing = None
        if existing is not None and not catalog.can_author(user, existing):
            raise UploadRefused(_("You are not an author of the course %(slug)s: its "
                                  "authors must list your email.", slug=result.course.slug))
        if not user.has_role("admin") and user.email.casefold() not in result.course.owners:
            raise UploadRefused(_("Add your email to authors: in course.md; without it you "
                                  "could not update the course afterwards."), result.problems)
        origin = PublishOrigin(source="upload", actor_user_id=user.id, actor_email=user.email)
        change = publish_course(result.course, source_hash=cf.source_fingerprint(course_folder),
                                origin=origin, problems=result.problems)
    return change.slug, change.outcome, [p for p in change.problems if p.severity == "warning"]
