"""Threads of one worker and the interpreter lock: how long a page takes in one thread while
another thread of the same process draws certificate PDFs, with Python's default switch
interval (5 ms) and with the 1 ms that ecampus.serving.prepare_worker sets.

A gunicorn worker with `--threads 2` or more serves requests side by side in one process.
A thread whose query has just returned needs the interpreter lock back; while another
thread runs Python (drawing a PDF, grading a quiz), it waits until that thread's turn ends.
This script measures that wait without a load generator or other processes: one process,
a signed-in learner's lesson and course pages requested one after the other through the
Flask test client, and a second thread drawing PDFs the whole time. The two intervals are
alternated round by round, so that the machine's own changes of speed fall on both alike.
Printed per interval: p50 and p95 of the pages, the PDFs the other thread drew per second,
and, for reference, the same pages with no other thread.

Run: .venv/bin/python bench/switch_interval.py [--database-url postgresql+psycopg://...]
     [--rounds 6] [--requests 100]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench._common import ROOT, fresh_database, make_app  # noqa: E402
from ecampus.auth.services import create_user, start_session  # noqa: E402
from ecampus.catalog.models import Course, Module  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.certificates.pdf import CertificateDocument, render_certificate_pdf  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.learning import services as learning  # noqa: E402
from ecampus.serving import SWITCH_INTERVAL  # noqa: E402

DEFAULT_INTERVAL = 0.005  # Python's own
USER_AGENT = "bench/switch_interval"
COURSE = "migration-governance-101"


class PdfThread(threading.Thread):
    """Draws certificates one after another until stopped; counts them."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.drawn = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stopping.is_set():
            n += 1
            render_certificate_pdf(CertificateDocument(
                learner_name=f"Élodie Número {n:06d}", course_title="Migration governance",
                hours=2.5, issued_on=date(2026, 12, 1), expires_on=None,
                issuer_name="E-Campus", code=f"K7QX-{n:06d}",
                verify_url=f"https://campus.example/certificates/K7QX-{n:06d}"))
            self.drawn += 1


def signed_in_client(app):
    """A learner enrolled in a sample course with one lesson done; the client and the
    lesson and course pages' addresses."""
    with app.test_request_context("/"):
        publish_courses(ROOT / "courses")
        user = create_user("switch@bench.example", "Bench Learner", "a long password!")
        start_session(user, USER_AGENT)
        course = db.session.scalars(select(Course).where(Course.slug == COURSE)).one()
        modules = db.session.scalars(select(Module).where(Module.course_id == course.id)
                                     .order_by(Module.position)).all()
        learning.enrol(user.id, course)
        learning.mark_done(user.id, modules[0])
        session_id, slug, lesson = user.get_id(), course.slug, modules[1].slug
        db.session.remove()
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client, [f"/courses/{slug}/{lesson}/", f"/courses/{slug}/"]


def page_times(client, pages: list[str], requests: int) -> list[float]:
    times = []
    for n in range(requests):
        start = time.perf_counter()
        response = client.get(pages[n % len(pages)])
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=100, help="pages per round")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    intervals = (DEFAULT_INTERVAL, SWITCH_INTERVAL)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database_url) as url:
        app = make_app(url, MAIL_OUTBOX=str(Path(folder) / "outbox"))
        client, pages = signed_in_client(app)
        page_times(client, pages, 20)  # warm up: connections, templates, statements
        quiet = page_times(client, pages, args.requests)
        busy = {interval: [] for interval in intervals}
        drawn = dict.fromkeys(intervals, 0.0)
        spent = dict.fromkeys(intervals, 0.0)
        pdfs = PdfThread()
        pdfs.start()
        try:
            for _ in range(args.rounds):
                for interval in intervals:
                    sys.setswitchinterval(interval)
                    before, start = pdfs.drawn, time.perf_counter()
                    busy[interval] += page_times(client, pages, args.requests)
                    drawn[interval] += pdfs.drawn - before
                    spent[interval] += time.perf_counter() - start
        finally:
            pdfs.stopping.set()
            pdfs.join()
            sys.setswitchinterval(DEFAULT_INTERVAL)
    database = url.split(":", 1)[0].split("+")[0]
    print(f"lesson and course pages of a signed-in learner, one after the other ({database}); "
          f"{args.rounds} rounds of {args.requests}, the intervals alternated")
    print(f"{'':34}{'p50 ms':>8}{'p95 ms':>8}{'PDFs/s drawn beside':>22}")
    print(f"{'no other thread':34}{1000 * statistics.median(quiet):8.1f}"
          f"{1000 * p95(quiet):8.1f}{'-':>22}")
    for interval in intervals:
        label = f"PDFs drawn beside, interval {1000 * interval:g} ms"
        print(f"{label:34}{1000 * statistics.median(busy[interval]):8.1f}"
              f"{1000 * p95(busy[interval]):8.1f}{drawn[interval] / spent[interval]:22.1f}")
    old, new = (statistics.median(busy[i]) for i in intervals)
    print(f"median page, {1000 * SWITCH_INTERVAL:g} ms / {1000 * DEFAULT_INTERVAL:g} ms: "
          f"{new / old:.2f}")


if __name__ == "__main__":
    main()
