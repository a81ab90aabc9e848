"""Queue speed: a 10,000-person CSV import through the web pages, then the time until every
invitation has been delivered to a local SMTP server (aiosmtpd) by 1 and by 2 `ecampus
worker` processes; and certificates issued per second when 32 learners finish at once.

Run: .venv/bin/python bench/jobs.py [--database-url URL] [--learners 10000] [--workers 1,2]
         [--finishers 32]
Without --database-url it uses a temporary SQLite file; with a PostgreSQL URL it creates a
fresh database next to the one named and drops it afterwards. Aims: the import request
under 3 s, all invitations delivered under 60 s after it.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.auth.services import create_user, start_session  # noqa: E402
from ecampus.catalog.models import Course, Module  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.certificates.models import Certificate  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.institutions import services  # noqa: E402
from ecampus.learning import services as learning  # noqa: E402

LANGUAGES = ("en", "es", "fr")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Counter:
    """aiosmtpd handler that only counts what it accepts, and on how many connections."""

    def __init__(self):
        self.count = 0
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_course(root: Path) -> None:
    folder = root / "bench-course"
    folder.mkdir(parents=True)
    (folder / "course.md").write_text("---\ntitle: Bench course\nsummary: S.\n"
                                      "duration: 1h\n---\nA course.\n")
    (folder / "01-only.md").write_text("---\ntitle: The only lesson\n---\nText.\n")


def csv_of(learners: int) -> bytes:
    lines = ["email;full_name;language;external_id"]
    lines += [f"learner{n:05d}@bench.example;Learner Número {n};{LANGUAGES[n % 3]};EMP-{n}"
              for n in range(learners)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def start_workers(count: int, url: str, port: int, folder: Path) -> list[subprocess.Popen]:
    env = dict(os.environ, DATABASE_URL=url, ECAMPUS_ENV="development",
               ECAMPUS_MAIL_SERVER="127.0.0.1", ECAMPUS_MAIL_PORT=str(port),
               ECAMPUS_MAIL_USE_TLS="0", ECAMPUS_MAIL_OUTBOX=str(folder / "outbox"))
    command = str(Path(sys.executable).parent / "ecampus")
    return [subprocess.Popen([command, "worker", "--poll", "0.2"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(count)]


def mail_round(base_url: str | None, learners: int, workers: int) -> dict:
    """One import of `learners` new people and their invitations through `workers`."""
    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as folder, fresh_database(base_url) as url:
        root = Path(folder)
        write_course(root / "courses")
        app = make_app(url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                       MAIL_OUTBOX=str(root / "outbox"), PUBLIC_URL="https://campus.example")
        with app.test_request_context("/"):
            publish_courses(root / "courses")
            manager = create_user("manager@bench.example", "Bench Manager", "a long password!")
            start_session(manager)
            cookie_id = manager.get_id()
            institution = services.create_institution("Benchmark Ministry")
            services.make_manager(institution.id, manager.email)
            cohort = services.create_cohort(institution.id, "Everyone", "", manager.id)
            for course_id in db.session.scalars(select(Course.id)):
                services.assign_course(cohort, course_id, date(2031, 6, 30))
            cohort_id = cohort.id
            db.session.remove()
        processes = start_workers(workers, url, port, root)
        try:
            client = app.test_client()
            with client.session_transaction() as session:
                session["_user_id"] = cookie_id
                session["_fresh"] = True
            page = client.get(f"/institutions/cohorts/{cohort_id}/import")
            token = _CSRF.search(page.get_data(as_text=True)).group(1)

            start = time.perf_counter()
            response = client.post(f"/institutions/cohorts/{cohort_id}/import", data={
                "csrf_token": token, "encoding": "auto",
                "file": (io.BytesIO(csv_of(learners)), "people.csv")},
                content_type="multipart/form-data")
            upload_seconds = time.perf_counter() - start
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            preview = response.headers["Location"]
            start = time.perf_counter()
            response = client.post(preview + "/confirm", data={"csrf_token": token})
            confirm_seconds = time.perf_counter() - start
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            after = time.perf_counter()
            deadline = after + 600
            while counter.count < learners and time.perf_counter() < deadline:
                time.sleep(0.05)
            delivered_seconds = time.perf_counter() - after
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(30)
            controller.stop()
    return {"upload": upload_seconds, "confirm": confirm_seconds,
            "delivered": delivered_seconds, "count": counter.count,
            "connections": counter.connections}


def certificate_round(base_url: str | None, finishers: int) -> tuple[float, int]:
    """`finishers` learners complete the last module of a course at the same moment."""
    with tempfile.TemporaryDirectory() as folder, fresh_database(base_url) as url:
        root = Path(folder)
        write_course(root / "courses")
        app = make_app(url, PUBLIC_URL="https://campus.example", MAIL_OUTBOX=str(root / "o"),
                       SQLALCHEMY_ENGINE_OPTIONS={"pool_size": finishers + 4})
        app.instance_path = folder
        with app.app_context():
            publish_courses(root / "courses")
            course = db.session.scalar(select(Course))
            module_id = db.session.scalar(select(Module.id))
            users = [create_user(f"f{n}@bench.example", f"Finisher {n}", "x" * 12).id
                     for n in range(finishers)]
            for user_id in users:
                learning.enrol(user_id, course)
            db.session.remove()
        barrier = threading.Barrier(finishers + 1)
        errors: list[BaseException] = []

        def finish(user_id: int) -> None:
            with app.app_context():
                module = db.session.get(Module, module_id)
                barrier.wait()
                try:
                    learning.mark_done(user_id, module)
                except BaseException as error:  # noqa: BLE001 - counted and reported
                    errors.append(error)
                db.session.remove()

        threads = [threading.Thread(target=finish, args=(u,)) for u in users]
        for thread in threads:
            thread.start()
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - start
        with app.app_context():
            issued = db.session.scalar(select(func.count()).select_from(Certificate))
            db.session.remove()
        if errors:
            print(f"  {len(errors)} finisher(s) failed: {errors[0]!r}")
        return seconds, issued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--finishers", type=int, default=32)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    database = (args.database_url or "sqlite").split(":", 1)[0]
    print(f"database: {database}")
    for workers in [int(n) for n in args.workers.split(",")]:
        result = mail_round(args.database_url, args.learners, workers)
        print(f"{args.learners} invitations, {workers} worker process(es):")
        print(f"  upload and preview request: {result['upload']:7.2f} s")
        print(f"  import (confirm) request:   {result['confirm']:7.2f} s")
        print(f"  delivered after the import: {result['delivered']:7.2f} s "
              f"({result['count']} messages, {result['count'] / result['delivered']:.0f} per "
              f"second, {result['connections']} SMTP connections)")
    seconds, issued = certificate_round(args.database_url, args.finishers)
    print(f"{args.finishers} learners finishing at once: {issued} certificates in "
          f"{seconds:.2f} s ({issued / seconds:.1f} per second)")


if __name__ == "__main__":
    main()
