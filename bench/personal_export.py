"""A person's copy of their data: how long the worker takes to build the archive of a long
history (graded quiz attempts of 7 questions, and a certificate), and how large it is,
against the instant "Prepare my data" request that only queues it.

Run: .venv/bin/python bench/personal_export.py [--database-url URL] [--attempts 10,100,1000]
     [--rounds 3]
Without --database-url it uses a temporary SQLite file; with a PostgreSQL URL it creates a
fresh database next to the one named and drops it afterwards.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import delete, insert, select, update  # noqa: E402

from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.auth import services as accounts  # noqa: E402
from ecampus.catalog.models import Course, Module  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.certificates import services as certificates  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.learning import services as learning  # noqa: E402
from ecampus.personal import exports  # noqa: E402
from ecampus.personal.models import DataExport  # noqa: E402
from ecampus.quizzes import services as quizzes  # noqa: E402
from ecampus.quizzes.grading import grade_attempt  # noqa: E402
from ecampus.quizzes.models import GRADED, Attempt  # noqa: E402
from tests.helpers import course_md, lesson, write_course  # noqa: E402
from tests.quizzes.conftest import QUIZ, correct_form  # noqa: E402


def _history(app, folder: Path, attempts: int) -> int:
    """A learner with `attempts` graded attempts and one certificate; returns their id."""
    write_course(folder, "long-course", {
        "course.md": course_md("Long course", "Many attempts.", certificate="true"),
        "01-reading.md": lesson("Reading"),
        "02-check.md": QUIZ.format(settings=""),
    })
    with app.app_context():
        publish_courses(folder)
        user = accounts.create_user("long.history@example.org", "Long History", "x" * 12)
        course = db.session.scalar(select(Course).where(Course.slug == "long-course"))
        module = db.session.scalar(select(Module).where(Module.course_id == course.id,
                                                        Module.kind == "quiz"))
        learning.enrol(user.id, course)
        first = quizzes.start_attempt(user.id, module, "en")
        questions = first.questions
        form = correct_form(questions)
        quizzes.submit_attempt(user.id, first.id, {k: v for k, v in form.items()})
        graded = db.session.get(Attempt, first.id)
        responses = graded.responses
        result = grade_attempt(questions, responses, 70)
        rows = [{"user_id": user.id, "module_id": module.id, "version_id": graded.version_id,
                 "number": n, "language": "en", "status": GRADED,
                 "started_at": graded.started_at, "submitted_at": graded.submitted_at,
                 "questions": questions, "settings": graded.settings,
                 "responses": responses, "question_scores": result.question_scores,
                 "score": result.score_percent, "passed": result.passed}
                for n in range(2, attempts + 1)]
        for start in range(0, len(rows), 1000):
            db.session.execute(insert(Attempt), rows[start:start + 1000])
        db.session.commit()
        if not certificates.certificates_for(user.id):
            certificates.issue_certificate(user.id, course.id)
        return user.id


def _round(app, user_id: int) -> tuple[float, float, int]:
    """(seconds to queue the request, seconds to build the archive, archive bytes)."""
    with app.app_context():
        db.session.execute(delete(DataExport))
        db.session.commit()
        started = time.perf_counter()
        exports.request_export(user_id)
        queued = time.perf_counter() - started
        export_id = db.session.scalar(select(DataExport.id))
        db.session.remove()
    with app.app_context():
        started = time.perf_counter()
        exports.build_export(export_id)
        built = time.perf_counter() - started
        size = db.session.scalar(select(DataExport.size).where(DataExport.id == export_id))
        db.session.execute(update(DataExport).values(data=None))
        db.session.commit()
        db.session.remove()
    return queued, built, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--attempts", default="10,100,1000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    print("attempts  request ms  build s (median)  archive kB  build/request")
    for attempts in [int(n) for n in args.attempts.split(",")]:
        with fresh_database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
            app = make_app(url, MAIL_OUTBOX=f"{tmp}/outbox", PUBLIC_URL="http://localhost",
                           SERVER_NAME="localhost")
            user_id = _history(app, Path(tmp) / "courses", attempts)
            results = [_round(app, user_id) for _ in range(args.rounds)]
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        queued = statistics.median(r[0] for r in results)
        built = statistics.median(r[1] for r in results)
        print(f"{attempts:8d}  {queued * 1000:10.1f}  {built:16.2f}  {results[0][2] / 1024:10.0f}"
              f"  {built / queued:13.0f}x")


if __name__ == "__main__":
    main()
