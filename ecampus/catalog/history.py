"""Publish history: one record per course per publish attempt, whatever started it.

Publishing calls `record_publish` inside the transaction that publishes the course, so a
record exists exactly when the publish it describes does; a refused or failed attempt is
recorded in a transaction of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..timeutil import utcnow
from . import courseformat as cf
from .models import Course, PublishRecord

PUBLISHED, UNCHANGED, REFUSED, FAILED, RETIRED = (
    "published", "unchanged", "refused", "failed", "retired")
SOURCES = ("cli", "upload", "git", "preview")
HISTORY_PAGE_SIZE = 25


@dataclass(frozen=True)
class PublishOrigin:
    """What started a publish: the command line, an upload, a git commit or the preview."""

    source: str = "cli"
    actor_user_id: int | None = None
    actor_email: str | None = None
    commit_id: str | None = None
    commit_author: str | None = None
    commit_message: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"unknown publish source {self.source!r}")


CLI = PublishOrigin()


def changes_summary(modules: dict[str, str], *, course_version: int | None = None,
                    quiz_versions: dict[str, int] | None = None) -> dict:
    """The JSON kept for one attempt: modules by outcome, and the new quiz versions."""
    by_outcome: dict[str, list[str]] = {"added": [], "changed": [], "retired": []}
    for slug, outcome in sorted(modules.items()):
        if outcome in by_outcome:
            by_outcome[outcome].append(slug)
    return {"course_version": course_version, "modules": by_outcome,
            "quiz_versions": dict(sorted((quiz_versions or {}).items()))}


def report_text(problems: Iterable[cf.Problem]) -> str:
    """The checker's problems as the `courses check` command prints them."""
    return "\n".join(str(problem) for problem in problems)


def record_publish(slug: str, outcome: str, *, origin: PublishOrigin = CLI,
                   course_id: int | None = None, started_at: datetime | None = None,
                   changes: dict | None = None, problems: Iterable[cf.Problem] = ()
                   ) -> PublishRecord:
    """Add the record of one attempt to the caller's transaction (never commits)."""
    now = utcnow()
    if course_id is None:
        course_id = db.session.scalar(select(Course.id).where(Course.slug == slug))
    record = PublishRecord(
        course_id=course_id, slug=slug, started_at=started_at or now, finished_at=now,
        actor_user_id=origin.actor_user_id, actor_email=origin.actor_email,
        source=origin.source, commit_id=origin.commit_id,
        commit_author=(origin.commit_author or None) and origin.commit_author[:300],
        commit_message=origin.commit_message, outcome=outcome,
        changes=changes or changes_summary({}), report=report_text(problems),
    )
    db.session.add(record)
    return record


def record_in_own_transaction(slug: str, outcome: str, **fields) -> None:
    """Record a refused or failed attempt, which has no publish transaction to join."""
    try:
        record_publish(slug, outcome, **fields)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def history(slug: str, *, page: int = 1) -> tuple[list[PublishRecord], int]:
    """A page of the course's attempts, newest first, and how many there are in all."""
    where = PublishRecord.slug == slug
    total = db.session.scalar(select(func.count()).select_from(PublishRecord).where(where))
    rows = db.session.scalars(
        select(PublishRecord).where(where)
        .order_by(PublishRecord.started_at.desc(), PublishRecord.id.desc())
        .limit(HISTORY_PAGE_SIZE).offset((max(page, 1) - 1) * HISTORY_PAGE_SIZE)
    ).all()
    return list(rows), total or 0
