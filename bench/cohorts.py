"""Cohort speed: the report of a cohort of 1,000, 10,000 and 100,000 learners in 5 courses,
on SQLite and PostgreSQL, and (with --import) the preview and apply of a CSV of new learners.

Run: .venv/bin/python bench/cohorts.py [--database-url URL] [--sizes 1000,10000,100000]
     [--courses 5] [--rounds 5]
     .venv/bin/python bench/cohorts.py --import [--learners 10000]
Without --database-url it uses a temporary SQLite file; with a PostgreSQL URL it creates a
fresh database next to the one named and drops it afterwards. Pass --database-url twice to
bench both. The cohort is loaded in bulk (COPY on PostgreSQL): a third of the learners
finished every course, a third started, a third did nothing; every fifth learner passed a
quiz. Printed per size: the report page through the Flask test client (100 rows, figures and
chart over everyone), the figures alone (on SQLite read from the tallies the database keeps,
and for comparison counted by the GROUP BY PostgreSQL runs), a search page, the streamed CSV
export of every line and the export's peak memory above the process's resident size before it.
Pages also show their CPU time (this process plus the PostgreSQL backends, mean per
request), which does not grow when other programs share the cores as wall time does.
Aims: report page under 150 ms at 10,000 x 5 and under 300 ms at 100,000 x 5; an export of
500,000 lines in under 10 s with flat memory.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from bench import _bulk as bulk  # noqa: E402
from bench._clock import CpuClock  # noqa: E402
from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.auth.models import User  # noqa: E402
from ecampus.auth.services import create_user, start_session  # noqa: E402
from ecampus.catalog.models import Course, Module  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.institutions import (  # noqa: E402
    imports,
    invitations,
    reports,
    services,
    tallies,
)
from ecampus.institutions.models import CohortMember, InstitutionMember  # noqa: E402
from ecampus.learning.models import Enrolment, ModuleCompletion  # noqa: E402
from ecampus.mail import send_queued_mail_now  # noqa: E402
from ecampus.quizzes.models import GRADED, Attempt  # noqa: E402
from ecampus.textsearch import person_key  # noqa: E402
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


QUIZ = """---
title: Check
kind: quiz
---
Answer.

## Name the principle that forbids returning a refugee to persecution. {#principle}

= non-refoulement
"""


def write_report_courses(root: Path, count: int) -> None:
    """`count` courses of 4 lessons; the first also ends with a quiz."""
    write_courses(root, count)
    (root / "cohort-course-1" / "05-check.md").write_text(QUIZ)


def load_cohort(learners: int, courses: int) -> tuple[int, str]:
    """A manager's cohort of `learners` learners in every course, loaded in bulk; returns
    the cohort id and the manager's session id."""
    manager = create_user("manager@bench.example", "Bench Manager", "a long password!")
    start_session(manager)
    institution = services.create_institution("Benchmark Ministry")
    services.make_manager(institution.id, manager.email)
    cohort = services.create_cohort(institution.id, "Everyone", "", manager.id)
    course_ids = list(db.session.scalars(select(Course.id).order_by(Course.slug)))
    for course_id in course_ids:
        services.assign_course(cohort, course_id, date(2031, 6, 30) if course_id % 2
                               else date(2020, 1, 31))
    modules = db.session.execute(
        select(Module.id, Module.course_id, Module.current_version_id, Module.kind)
        .order_by(Module.course_id, Module.position)).all()
    lessons: dict[int, list] = {}
    quizzes = []
    for module_id, course_id, version_id, kind in modules:
        if kind == "quiz":
            quizzes.append((module_id, version_id, course_id))
        else:
            lessons.setdefault(course_id, []).append((module_id, version_id))
    first_id = db.session.scalar(select(func.max(User.id))) + 1
    ids = range(first_id, first_id + learners)
    password_hash = generate_password_hash("a long password!")
    now = utcnow()
    started = now - timedelta(days=60)

    def when(n: int, spread: int = 50) -> datetime:
        return started + timedelta(days=n % spread, minutes=n % 1440)

    def name(n: int) -> str:
        return f"{('Ana', 'Bruno', 'Célia', 'Dário', 'Élodie')[n % 5]} Número {n:06d}"

    bulk.load(User.__table__, (
        {"id": i, "email": f"learner{i}@bench.example", "full_name": name(i),
         "search_key": person_key(name(i), f"learner{i}@bench.example"),
         "password_hash": password_hash, "language": LANGUAGES[i % 3], "role": "learner",
         "active": True, "created_at": started} for i in ids))
    bulk.load(InstitutionMember.__table__, (
        {"institution_id": institution.id, "user_id": i, "joined_at": started} for i in ids))
    bulk.load(CohortMember.__table__, (
        {"cohort_id": cohort.id, "user_id": i, "external_id": f"EMP-{i}", "added_at": started}
        for i in ids))

    def done_count(i: int, course_id: int) -> int:
        return {0: len(lessons[course_id]), 1: 1, 2: 0}[i % 3]

    # Every fifth learner took the first quiz (score i % 100); the enrolment keeps the
    # course's result, the mean over its live quizzes (the others count 0).
    quiz_id, quiz_version, quiz_course = quizzes[0] if quizzes else (None, None, None)
    quiz_count = sum(1 for *_ids, course_id in quizzes if course_id == quiz_course)

    def quiz_score(i: int, course_id: int) -> float | None:
        if course_id != quiz_course or i % 5:
            return None
        return float(i % 100) / quiz_count

    bulk.load(Enrolment.__table__, (
        {"user_id": i, "course_id": c, "active": True, "enrolled_at": started,
         "source": "cohort", "due_on": date(2031, 6, 30) if c % 2 else date(2020, 1, 31),
         "modules_done": done_count(i, c), "quiz_score": quiz_score(i, c),
         "completed_at": when(i) if i % 3 == 0 else None,
         "last_module_id": lessons[c][0][0] if i % 3 != 2 else None,
         "last_visited_at": when(i) if i % 3 != 2 else None,
         "updated_at": when(i) if i % 3 != 2 else started}
        for i in ids for c in course_ids))
    bulk.load(ModuleCompletion.__table__, (
        {"user_id": i, "module_id": m, "version_id": v, "completed_at": when(i)}
        for i in ids for c in course_ids for m, v in lessons[c][:done_count(i, c)]))
    if quizzes:
        bulk.load(Attempt.__table__, (
            {"user_id": i, "module_id": quiz_id, "version_id": quiz_version, "number": 1,
             "language": "en", "status": GRADED, "started_at": when(i),
             "submitted_at": when(i), "questions": [], "settings": {}, "responses": {},
             "question_scores": {}, "score": float(i % 100), "passed": i % 100 >= 50}
            for i in ids if i % 5 == 0))
    bulk.finish([User.__table__, CohortMember.__table__, Enrolment.__table__,
                 ModuleCompletion.__table__, Attempt.__table__])
    return cohort.id, manager.get_id()


class PeakMemory:
    """The process's resident size, sampled every 5 ms while the block runs."""

    def __enter__(self):
        self.before = self.peak = _rss()
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.peak = max(self.peak, _rss())
            time.sleep(0.005)

    def __exit__(self, *_exc):
        self._running = False
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.before) / 1024


def _rss() -> int:
    """Resident set size in KiB, from /proc."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def report_bench(url: str, learners: int, courses: int, rounds: int) -> dict:
    """Load a cohort on a fresh database and time its report; returns the figures."""
    with tempfile.TemporaryDirectory() as folder, fresh_database(url) as database:
        root = Path(folder)
        write_report_courses(root / "courses", courses)
        app = make_app(database, MAIL_OUTBOX=str(root / "outbox"))
        with app.test_request_context("/"):
            publish_courses(root / "courses")
            load_seconds, (cohort_id, session_id) = timed(lambda: load_cohort(learners,
                                                                               courses))
            today = date.today()
            lines = reports._Lines(cohort_id, today)
            courses_of = reports._courses(cohort_id, "en")

            def figures():
                return reports._figures(lines, courses_of, reports._learner_count(cohort_id),
                                        today)

            def counted():
                return reports._count(lines, invitations.learner_ids(cohort_id), today)

            kept = tallies.kept()
            figures_times, counted_times = [], []
            for _ in range(rounds):  # interleaved
                figures_times.append(timed(figures)[0])
                counted_times.append(timed(counted)[0])
            by_course, _chart, _start = figures()
            assert by_course[reports.ALL].lines == learners * courses
            first = db.session.scalar(select(func.min(CohortMember.user_id))
                                      .where(CohortMember.cohort_id == cohort_id))
            scores = [i % 100 for i in range(first, first + learners) if i % 5 == 0]
            assert by_course[reports.ALL].mean_score == round(sum(scores) / len(scores), 1)
            db.session.remove()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True
        base = f"/institutions/cohorts/{cohort_id}/report"
        pages = {"page": base, "sorted by progress": base + "?sort=progress&order=desc",
                 "search": base + "?q=elodie+numero+0001", "overdue, page 50":
                 base + "?show=overdue&page=50"}
        times: dict[str, list[float]] = {key: [] for key in pages}
        cpu: dict[str, float] = dict.fromkeys(pages, 0.0)
        clock = CpuClock(database)
        for address in pages.values():  # warm up: connections, template compilation
            assert client.get(address).status_code == 200
        clock.find_backends()
        for _ in range(rounds):  # interleaved, so noise falls on every kind alike
            for key, address in pages.items():
                before = clock()
                seconds, response = timed(lambda address=address: client.get(address))
                cpu[key] += clock() - before
                assert response.status_code == 200, response.status_code
                times[key].append(seconds)
        export_times, memory, size, export_cpu = [], [], 0, 0.0
        for _ in range(max(1, rounds // 2)):
            with PeakMemory() as peak:
                before = clock()
                start = time.perf_counter()
                response = client.get(base + ".csv")
                size = 0
                for piece in response.response:
                    size += piece.count(b"\n") if isinstance(piece, bytes) else piece.count("\n")
                response.close()
                export_times.append(time.perf_counter() - start)
                export_cpu += clock() - before
            memory.append(peak.growth_mb)
        assert size == learners * courses + 1, size
    return {"load": load_seconds, "figures": figures_times, "counted": counted_times,
            "kept": kept, "pages": times,
            "cpu": {key: total / rounds for key, total in cpu.items()},
            "export": export_times, "export_cpu": export_cpu / len(export_times),
            "memory": memory, "lines": size - 1}


def print_report(database: str, learners: int, courses: int, result: dict) -> None:
    def ms(values):
        return f"{1000 * statistics.median(values):7.0f} ms"

    print(f"{database:10} {learners:>7} x {courses}: loaded in {result['load']:.1f} s")
    how = "kept by the database" if result["kept"] else "one GROUP BY"
    print(f"    figures ({how:20}) {ms(result['figures'])}")
    if result["kept"]:
        print(f"    figures counted (one GROUP BY)  {ms(result['counted'])}")
    for key, values in result["pages"].items():
        print(f"    report {key:25}{ms(values)}   CPU {1000 * result['cpu'][key]:6.0f} ms")
    print(f"    CSV export ({result['lines']} lines)  "
          f"{statistics.median(result['export']):8.2f} s   CPU {result['export_cpu']:.2f} s, "
          f"peak memory +{max(result['memory']):.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", action="append")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--courses", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--import", dest="import_bench", action="store_true")
    parser.add_argument("--learners", type=int, default=10_000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    if args.import_bench:
        import_bench((args.database_url or [None])[0], args.learners, args.courses)
        return
    print("report of one cohort, median of", args.rounds, "rounds")
    for url in args.database_url or [None]:
        database = "sqlite" if url is None or url.startswith("sqlite") else "postgresql"
        for learners in (int(size) for size in args.sizes.split(",")):
            result = report_bench(url, learners, args.courses, args.rounds)
            print_report(database, learners, args.courses, result)
            sys.stdout.flush()


def import_bench(url: str | None, learners: int, courses: int) -> None:
    """Preview and apply a CSV of new learners, then send their invitations."""
    with tempfile.TemporaryDirectory() as folder, fresh_database(url) as database:
        root = Path(folder)
        write_courses(root / "courses", courses)
        app = make_app(database, MAIL_OUTBOX=str(root / "outbox"))
        data = csv_of(learners)
        with app.test_request_context("/"):
            publish_courses(root / "courses")
            manager = create_user("manager@bench.example", "Bench Manager", "a long password!")
            institution = services.create_institution("Benchmark Ministry")
            services.make_manager(institution.id, manager.email)
            cohort = services.create_cohort(institution.id, "Everyone", "", manager.id)
            for course_id in db.session.scalars(select(Course.id)):
                services.assign_course(cohort, course_id, date(2031, 6, 30))

            def preview():
                record = imports.preview_import(cohort, data, filename="bench.csv",
                                                created_by=manager.id, default_language="en")
                return imports.load_preview(cohort, record.id)

            preview_seconds, result = timed(preview)
            assert not result.problems and result.counts["invite"] == learners
            apply_seconds, outcome = timed(lambda: imports.apply_import(cohort,
                                                                        result.record.id))
            assert outcome.invited == learners
            mail_seconds, (sent, unsent) = timed(send_queued_mail_now)
            assert (sent, unsent) == (learners, 0)
    print(f"database: {database.split(':', 1)[0]}")
    print(f"CSV: {learners} new learners, {len(data) / 1e6:.2f} MB; {courses} courses assigned")
    print(f"preview (parse, store, classify): {preview_seconds:7.2f} s")
    print(f"apply (accounts, members, enrolments, queued mail; one transaction): "
          f"{apply_seconds:7.2f} s")
    print(f"invitations sent from the queue after the commit (outbox files, one worker): "
          f"{mail_seconds:7.2f} s")


if __name__ == "__main__":
    main()
