"""A site grown to scale: `scale` x 1,000 learners, each enrolled in 10 of 20 courses, with
2 modules completed in each (20 completions), a certificate for each enrolment (10), and
a graded quiz attempt for one learner in four. At scale 100: 100,000 users, 1,000,000
enrolments and certificates, 2,000,000 module completions.

Loaded in bulk (COPY on PostgreSQL, see bench/_bulk.py); used by bench/growth.py and by
tests/test_query_plans.py, which needs enough rows for the planner to choose as it would
in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from ecampus.auth.models import User
from ecampus.auth.services import create_user, start_session
from ecampus.catalog.models import Course, Module
from ecampus.catalog.publishing import publish_courses
from ecampus.certificates import codes
from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.learning import services as learning
from ecampus.learning.models import Enrolment, ModuleCompletion
from ecampus.quizzes.models import GRADED, Attempt
from ecampus.textsearch import person_key
from ecampus.timeutil import utcnow

from . import _bulk as bulk

COURSES = 20
LESSONS = 5
PER_LEARNER = 10
QUIZ = """---
title: Check
kind: quiz
---
Answer.

## Name the principle that forbids returning a refugee to persecution. {#principle}

= non-refoulement
"""


@dataclass(frozen=True)
class Site:
    """What a bench or a test needs to request the pages of one real learner."""

    learner_email: str
    session_id: str
    course_slug: str
    lesson_slug: str
    certificate_code: str


def code_of(n: int) -> str:
    """A well-formed certificate code, the same for the same n (its check symbol is 0)."""
    number = (n + 1) * 37 * 1_000_003
    return codes._group(codes._encode(number) + codes.CHECK_ALPHABET[number % 37])


def write_courses(root: Path) -> None:
    """COURSES open courses of LESSONS lessons each, the last of them with a quiz."""
    for c in range(1, COURSES + 1):
        folder = root / f"growth-course-{c:02d}"
        folder.mkdir(parents=True)
        (folder / "course.md").write_text(
            f"---\ntitle: Growth course {c}\nsummary: For the benchmark.\n"
            "certificate: true\n---\nA course.\n")
        for m in range(1, LESSONS + 1):
            (folder / f"{m:02d}-lesson-{m}.md").write_text(
                f"---\ntitle: Lesson {m}\nduration: 10m\n---\nText of lesson {m}.\n")
        (folder / f"{LESSONS + 1:02d}-check.md").write_text(QUIZ)


def grow(root: Path, scale: int) -> Site:
    """Publish the courses, load scale x 1,000 learners and their learning, and make one
    more learner through the real services; inside an app context. Returns that learner."""
    write_courses(root)
    publish_courses(root)
    modules = db.session.execute(
        select(Module.id, Module.course_id, Module.current_version_id, Module.kind)
        .order_by(Module.course_id, Module.position)).all()
    course_ids = sorted({row.course_id for row in modules})
    lessons: dict[int, list] = {}
    quizzes: dict[int, tuple[int, int]] = {}
    for module_id, course_id, version_id, kind in modules:
        if kind == "quiz":
            quizzes[course_id] = (module_id, version_id)
        else:
            lessons.setdefault(course_id, []).append((module_id, version_id))
    first = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    ids = range(first, first + scale * 1000)
    password_hash = generate_password_hash("a long password!", "pbkdf2:sha256:1000")
    now = utcnow()
    start = now - timedelta(days=400)

    def courses_of(i: int) -> list[int]:
        return [course_ids[(i + k) % len(course_ids)] for k in range(PER_LEARNER)]

    def name(i: int) -> str:
        return f"Learner Número {i:07d}"

    bulk.load(User.__table__, (
        {"id": i, "email": f"g{i}@growth.example", "full_name": name(i),
         "search_key": person_key(name(i), f"g{i}@growth.example"),
         "password_hash": password_hash, "language": "en", "role": "learner",
         "active": True, "created_at": start} for i in ids))
    bulk.load(Enrolment.__table__, (
        {"user_id": i, "course_id": c, "active": True,
         "enrolled_at": start + timedelta(minutes=i % 50_000), "source": "self",
         "modules_done": 2, "last_module_id": lessons[c][1][0], "last_visited_at": now}
        for i in ids for c in courses_of(i)))
    bulk.load(ModuleCompletion.__table__, (
        {"user_id": i, "module_id": m, "version_id": v, "completed_at": now}
        for i in ids for c in courses_of(i) for m, v in lessons[c][:2]))
    bulk.load(Certificate.__table__, (
        {"code": code_of(i * PER_LEARNER + k), "user_id": i, "course_id": c, "sequence": 1,
         "learner_name": name(i), "course_title": "Growth course", "certificate_title":
         "Certificate of completion", "course_version": 1, "hours": 1.0, "language": "en",
         "issued_on": date(2026, 1, 1), "status": "valid",
         "status_list": (i * PER_LEARNER + k) // 100_000,
         "status_index": (i * PER_LEARNER + k) % 100_000, "credential": {},
         "credential_id": f"urn:uuid:growth-{i}-{k}", "created_at": now}
        for i in ids for k, c in enumerate(courses_of(i))))
    bulk.load(Attempt.__table__, (
        {"user_id": i, "module_id": quizzes[c][0], "version_id": quizzes[c][1], "number": 1,
         "language": "en", "status": GRADED, "started_at": now, "submitted_at": now,
         "questions": [], "settings": {}, "responses": {}, "question_scores": {},
         "score": 100.0, "passed": True}
        for i in ids if i % 4 == 0 for c in courses_of(i)[:1]))
    bulk.finish([User.__table__, Enrolment.__table__, ModuleCompletion.__table__,
                 Certificate.__table__, Attempt.__table__])
    return _real_learner(ids[len(ids) // 2])


def _real_learner(sample_id: int) -> Site:
    """A learner signed up, enrolled and part-way through a course by the real services,
    and a certificate code of a loaded learner for the verification page."""
    user = create_user("reader@growth.example", "Reader", "a long password!")
    start_session(user)
    course = db.session.scalar(select(Course).order_by(Course.slug))
    learning.enrol(user.id, course)
    lesson_modules = [m for m in sorted(course.modules, key=lambda m: m.position)
                      if m.kind == "lesson"]
    learning.complete_module(user.id, lesson_modules[0])
    code = db.session.scalar(select(Certificate.code).where(Certificate.user_id == sample_id)
                             .order_by(Certificate.id).limit(1))
    db.session.commit()
    return Site(user.email, user.get_id(), course.slug, lesson_modules[1].slug, code)


def pages(site: Site) -> dict[str, str]:
    """The pages whose latency must not grow with the data, by name."""
    return {"lesson page": f"/courses/{site.course_slug}/{site.lesson_slug}/",
            "dashboard": "/learning/",
            "verify page": f"/verify/{site.certificate_code}",
            "catalog": "/courses/"}
