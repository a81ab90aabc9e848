"""Cohort speed: preview and apply a CSV of 10,000 new learners, then (once they have all
accepted by choosing a password) the report of a cohort of 10,000 learners in 5 courses and
its CSV export.

Run: .venv/bin/python bench/cohorts.py [--database-url URL] [--learners 10000] [--courses 5]
Without --database-url it uses a temporary SQLite file; with a PostgreSQL URL it creates a
fresh database next to the one named and drops it afterwards. Aims: apply in under 5 s,
report page under 300 ms.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, update  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.auth.models import User  # noqa: E402
from ecampus.auth.services import INVITE, create_user, revoke_tokens, start_session  # noqa: E402
from ecampus.catalog.models import Course, Module  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.institutions import (  # noqa: E402
    imports,
    invitations,
    membership,
    reports,
    services,
)
from ecampus.institutions.models import CohortMember  # noqa: E402
from ecampus.learning import services as learning  # noqa: E402
from ecampus.learning.models import Enrolment, ModuleCompletion  # noqa: E402
from ecampus.mail import send_queued_mail_now  # noqa: E402
from ecampus.timeutil import utcnow  # noqa: E402

LANGUAGES = ("en", "es", "fr")


def write_courses(root: Path, count: int) -> None:
    for c in range(1, count + 1):
        folder = root / f"cohort-course-{c}"
        folder.mkdir(parents=True)
        (folder / "course.md").write_text(
            f"---\ntitle: Cohort course {c}\nsummary: For the benchmark.\nenrolment: invite\n"
            "---\nA course.\n")
        for m in range(1, 5):
            (folder / f"{m:02d}-lesson-{m}.md").write_text(
                f"---\ntitle: Lesson {m}\nduration: 10m\n---\nText of lesson {m}.\n")


def csv_of(learners: int) -> bytes:
    lines = ["email;full_name;language;external_id"]
    lines += [f"learner{n:05d}@bench.example;Learner Número {n};{LANGUAGES[n % 3]};EMP-{n}"
              for n in range(learners)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def timed(action):
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def choose_passwords(cohort_id: int) -> None:
    """Every new learner accepts, in bulk, as following the invitation link does (a password,
    the link spent): the report then covers learners, not people still invited."""
    members = list(db.session.scalars(
        select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)))
    password_hash = generate_password_hash("a long password!")
    for chunk in membership.chunks(members, 5000):
        db.session.execute(update(User).where(User.id.in_(chunk), User.password_hash.is_(None))
                           .values(password_hash=password_hash))
    revoke_tokens(members, INVITE)
    db.session.commit()


def simulate_progress(cohort_id: int) -> None:
    """A third of the learners finished each course, a third started; written in bulk."""
    modules = db.session.execute(select(Module.id, Module.course_id, Module.current_version_id)
                                 .order_by(Module.position)).all()
    members = [row[0] for row in db.session.execute(
        select(CohortMember.user_id).where(CohortMember.cohort_id == cohort_id)
        .order_by(CohortMember.user_id)).all()]
    now = utcnow()
    finished = members[::3]
    started = members[1::3]
    rows = []
    by_course: dict[int, list] = {}
    for module_id, course_id, version_id in modules:
        by_course.setdefault(course_id, []).append((module_id, version_id))
    for course_modules in by_course.values():
        for user_id in finished:
            rows += [{"user_id": user_id, "module_id": m, "version_id": v, "completed_at": now}
                     for m, v in course_modules]
        for user_id in started:
            module_id, version_id = course_modules[0]
            rows.append({"user_id": user_id, "module_id": module_id, "version_id": version_id,
                         "completed_at": now})
    for chunk in membership.chunks(rows, 5000):
        db.session.execute(insert(ModuleCompletion), list(chunk))
    for chunk in membership.chunks(finished, 5000):
        db.session.execute(update(Enrolment).where(Enrolment.user_id.in_(chunk))
                           .values(completed_at=now))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--courses", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database_url) as url:
        root = Path(folder)
        write_courses(root / "courses", args.courses)
        app = make_app(url, MAIL_OUTBOX=str(root / "outbox"))
        data = csv_of(args.learners)
        with app.test_request_context("/"):
            publish_courses(root / "courses")
            manager = create_user("manager@bench.example", "Bench Manager", "a long password!")
            start_session(manager)
            manager_cookie_id = manager.get_id()
            institution = services.create_institution("Benchmark Ministry")
            services.make_manager(institution.id, manager.email)
            cohort = services.create_cohort(institution.id, "Everyone", "", manager.id)
            for course_id in db.session.scalars(select(Course.id)):
                services.assign_course(cohort, course_id, date(2031, 6, 30))
            manager_id, cohort_id = manager.id, cohort.id

            def preview():
                record = imports.preview_import(cohort, data, filename="bench.csv",
                                                created_by=manager_id, default_language="en")
                return imports.load_preview(cohort, record.id)

            preview_seconds, result = timed(preview)
            assert not result.problems and result.counts["invite"] == args.learners
            apply_seconds, outcome = timed(lambda: imports.apply_import(cohort,
                                                                        result.record.id))
            assert outcome.invited == args.learners
            mail_seconds, (sent, unsent) = timed(send_queued_mail_now)
            assert (sent, unsent) == (args.learners, 0)
            choose_passwords(cohort_id)
            simulate_progress(cohort_id)
            options = reports.Options()
            assert reports.cohort_report(cohort_id, reports.Options(), language="en",
                                         today=date.today()).learners == args.learners
            service_seconds = min(timed(lambda: reports.cohort_report(
                cohort_id, options, language="en", today=date.today()))[0] for _ in range(3))
            course_ids = list(db.session.scalars(select(Course.id)))
            members = invitations.learner_ids(cohort_id)
            progress_seconds = min(timed(lambda: learning.report_rows(course_ids, members))[0]
                                   for _ in range(3))
            db.session.remove()

        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = manager_cookie_id
            session["_fresh"] = True
        page_times, export_times = [], []
        for _ in range(5):
            seconds, response = timed(lambda: client.get(
                f"/institutions/cohorts/{cohort_id}/report"))
            assert response.status_code == 200
            page_times.append(seconds)
            seconds, response = timed(lambda: client.get(
                f"/institutions/cohorts/{cohort_id}/report.csv"))
            assert response.status_code == 200
            export_times.append(seconds)
        rows = response.get_data(as_text=True).count("\n") - 1
        print(f"database: {url.split(':', 1)[0]}")
        print(f"CSV: {args.learners} new learners, {len(data) / 1e6:.2f} MB; "
              f"{args.courses} courses assigned")
        print(f"preview (parse, store, classify): {preview_seconds:7.2f} s")
        print(f"apply (accounts, members, enrolments, queued mail; one transaction): "
              f"{apply_seconds:7.2f} s")
        print(f"invitations sent from the queue after the commit (outbox files, one worker): "
              f"{mail_seconds:7.2f} s")
        print(f"report data for {args.learners} learners x {args.courses} courses: "
              f"{1000 * service_seconds:7.0f} ms (best of 3), of which "
              f"learning.report_rows {1000 * progress_seconds:.0f} ms")
        print(f"report page (100 rows, figures and chart for all): "
              f"{1000 * statistics.median(page_times):7.0f} ms (median of 5)")
        print(f"CSV export ({rows} rows): {1000 * statistics.median(export_times):7.0f} ms "
              f"(median of 5)")


if __name__ == "__main__":
    main()
