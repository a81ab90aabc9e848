"""A person's copy of their data: asked for on a page, built by the worker, kept a few days.

This feature sits above every other one (like admin): it reads the rows each feature keeps
about a person, because it is the one place that must know all of them.
"""

from __future__ import annotations

import json
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..auth.models import User, UserSession
from ..catalog.models import Course, Module
from ..certificates import services as certificates
from ..extensions import db
from ..institutions.models import Cohort, CohortMember, Institution, InstitutionMember
from ..jobs import enqueue
from ..learning import services as learning
from ..learning.models import Enrolment, ModuleCompletion
from ..mail import queue_mail
from ..quizzes.models import Attempt
from ..timeutil import utcnow
from ..urls import public_url
from . import archive
from .models import FAILED, PENDING, READY, DataExport

EXPORT_JOB = "personal.export"
#: A request still pending after this is taken for lost (its job failed for good): it is
#: marked failed, so the person may ask again.
STALE_AFTER = timedelta(hours=24)


def request_export(user_id: int) -> bool:
    """Ask the worker for a fresh archive; False when one is already being prepared.

    The partial unique index on pending requests decides a double click: the second insert
    fails and nothing more is queued.
    """
    db.session.execute(update(DataExport).where(
        DataExport.user_id == user_id, DataExport.status == PENDING,
        DataExport.requested_at < utcnow() - STALE_AFTER).values(status=FAILED))
    if db.session.scalar(select(DataExport.id).where(DataExport.user_id == user_id,
                                                     DataExport.status == PENDING)):
        db.session.commit()
        return False
    export = DataExport(user_id=user_id, status=PENDING, requested_at=utcnow())
    db.session.add(export)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return False
    enqueue(EXPORT_JOB, {"export_id": export.id}, key=f"{EXPORT_JOB}:{export.id}")
    db.session.commit()
    return True


def exports_for(user_id: int) -> list[DataExport]:
    """The person's requests still worth showing: pending, failed, or ready and unexpired."""
    now = utcnow()
    rows = db.session.scalars(select(DataExport).where(DataExport.user_id == user_id)
                              .order_by(DataExport.requested_at.desc(), DataExport.id.desc()))
    return [row for row in rows if row.status != READY or row.expires_at > now]


def archive_for(user_id: int, export_id: int) -> DataExport | None:
    """The ready, unexpired archive `export_id` if it is `user_id`'s own, else None."""
    return db.session.scalar(select(DataExport).where(
        DataExport.id == export_id, DataExport.user_id == user_id,
        DataExport.status == READY, DataExport.expires_at > utcnow()))


def purge_expired() -> int:
    """Delete archives past their expiry (the caller commits); returns how many."""
    return db.session.execute(delete(DataExport).where(
        DataExport.status == READY, DataExport.expires_at <= utcnow())).rowcount


def build_export(export_id: int) -> None:
    """The "personal.export" job: build the archive, store it, tell its owner.

    Idempotent: a request that is no longer pending (built, or its account erased) is left
    alone, and the conditional update lets only one run store the archive and queue the mail.
    """
    export = db.session.get(DataExport, export_id)
    if export is None or export.status != PENDING:
        return
    user = db.session.get(User, export.user_id)
    now = utcnow()
    data = archive.zip_files(collect_files(user, now), now)
    days = current_app.config["DATA_EXPORT_DAYS"]
    stored = db.session.execute(update(DataExport).where(
        DataExport.id == export_id, DataExport.status == PENDING).values(
        status=READY, data=data, size=len(data), ready_at=now,
        expires_at=now + timedelta(days=days))).rowcount
    if stored == 1:
        with force_locale(user.language):
            queue_mail(user.email, _("Your data from %(site)s is ready",
                                     site=current_app.config["SITE_NAME"]),
                       render_template("personal/email/ready.txt", user=user, days=days,
                                       link=public_url("personal.my_data")),
                       key=f"{EXPORT_JOB}:{export_id}")
    purge_expired()
    db.session.commit()


def collect_files(user: User, now) -> dict[str, bytes]:
    """Every file of the archive, by name: JSON for machines, index.html for people."""
    data = person_data(user)
    files = {
        "profile.json": archive.as_json(data["profile"]),
        "learning.json": archive.as_json(data["learning"]),
        "attempts.json": archive.as_json(data["attempts"]),
        "certificates.json": archive.as_json(data["certificates"]),
    }
    for certificate in certificates.certificates_for(user.id):
        name = f"certificates/certificate-{certificate.code}"
        files[f"{name}.pdf"] = certificates.pdf_for(certificate)
        # Exactly the bytes the credential download serves, as verifiers receive it.
        files[f"{name}.json"] = json.dumps(certificate.credential, indent=2,
                                           ensure_ascii=False).encode()
    with force_locale(user.language):
        index = render_template("personal/archive_index.html", data=data, user=user,
                                generated_at=now, files=sorted(files))
    return {"index.html": index.encode(), **files}


def person_data(user: User) -> dict:
    """What E-Campus keeps about `user`, as plain data."""
    language = user.language
    return {
        "profile": _profile(user),
        "learning": _learning(user.id, language),
        "attempts": _attempts(user.id, language),
        "certificates": [
            {"code": c.code, "course": c.course_title, "certificate": c.certificate_title,
             "name_printed": c.learner_name, "issued_on": c.issued_on,
             "expires_on": c.expires_on, "status": c.status, "revoked_reason": c.revoked_reason,
             "pdf": f"certificates/certificate-{c.code}.pdf",
             "credential": f"certificates/certificate-{c.code}.json"}
            for c in certificates.certificates_for(user.id)],
    }


def _profile(user: User) -> dict:
    institutions = db.session.execute(
        select(Institution.name, InstitutionMember.joined_at)
        .join(InstitutionMember, InstitutionMember.institution_id == Institution.id)
        .where(InstitutionMember.user_id == user.id).order_by(Institution.name))
    cohorts = db.session.execute(
        select(Institution.name, Cohort.name, CohortMember.external_id, CohortMember.added_at)
        .join(Cohort, Cohort.id == CohortMember.cohort_id)
        .join(Institution, Institution.id == Cohort.institution_id)
        .where(CohortMember.user_id == user.id).order_by(Institution.name, Cohort.name))
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)
                                  .order_by(UserSession.created_at))
    return {
        "account": {"id": user.id, "full_name": user.full_name, "email": user.email,
                    "language": user.language, "role": user.role,
                    "created_at": user.created_at, "last_login_at": user.last_login_at},
        "institutions": [{"institution": name, "joined_at": joined}
                         for name, joined in institutions],
        "cohorts": [{"institution": institution, "cohort": cohort, "staff_number": staff,
                     "added_at": added} for institution, cohort, staff, added in cohorts],
        "sessions": [{"started_at": s.created_at, "last_seen_at": s.last_seen_at,
                      "ended_at": s.ended_at, "browser": s.user_agent} for s in sessions],
    }


def _learning(user_id: int, language: str) -> list[dict]:
    enrolments = db.session.scalars(select(Enrolment).where(Enrolment.user_id == user_id)
                                    .order_by(Enrolment.enrolled_at, Enrolment.id))
    done = db.session.execute(
        select(Module.course_id, Module.slug, ModuleCompletion.completed_at)
        .join(Module, Module.id == ModuleCompletion.module_id)
        .where(ModuleCompletion.user_id == user_id).order_by(ModuleCompletion.completed_at))
    by_course: dict[int, list[dict]] = {}
    for course_id, slug, completed_at in done:
        by_course.setdefault(course_id, []).append({"module": slug,
                                                    "completed_at": completed_at})
    result = []
    for enrolment in enrolments:
        progress = learning.course_progress(user_id, enrolment.course_id)
        course = enrolment.course
        result.append({
            "course": course.slug, "title": course.text(language).title,
            "enrolled_at": enrolment.enrolled_at, "active": enrolment.active,
            "left_at": enrolment.left_at, "completed_at": enrolment.completed_at,
            "due_on": enrolment.due_on, "source": enrolment.source,
            "modules_done": progress.done, "modules_required": progress.total,
            "completed_modules": by_course.get(enrolment.course_id, []),
        })
    return result


def _attempts(user_id: int, language: str) -> list[dict]:
    attempts = db.session.scalars(select(Attempt).where(Attempt.user_id == user_id)
                                  .order_by(Attempt.started_at, Attempt.id))
    titles: dict[int, str] = {}
    result = []
    for attempt in attempts:
        module = attempt.module
        if attempt.version_id not in titles:
            text = attempt.version.text(attempt.language)
            titles[attempt.version_id] = text.title if text else module.slug
        course: Course = module.course
        result.append({
            "course": course.slug, "course_title": course.text(language).title,
            "quiz": module.slug, "quiz_title": titles[attempt.version_id],
            "number": attempt.number, "language": attempt.language,
            "status": attempt.status, "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at, "score_percent": attempt.score,
            "passed": attempt.passed,
            "questions": [archive.question_record(q, attempt.responses,
                                                  attempt.question_scores)
                          for q in attempt.questions],
        })
    return result
