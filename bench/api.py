"""API speed: reading progress and results of a 10,000-learner cohort through the API (every
page), and adding 10,000 members in one request, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/api.py [--database-url URL] [--learners 10000] [--rounds 3]
Without --database-url it uses a temporary SQLite file; with a PostgreSQL URL it creates a
fresh database next to the one named and drops it afterwards. Pass --database-url twice to
bench both. The cohort is bench/cohorts.py's (loaded in bulk: a third finished, a third
started, a third did nothing; every fifth passed a quiz), in one course. Requests go through
the Flask test client with a real institution token, so each figure includes routing,
authentication, JSON and the queries. Rounds are interleaved (read, add, read, add ...).
Printed: the median and worst of each (wall clock), its share of the 5 s aim, and the CPU
time of this process (the app and, on SQLite, the database), which a busy machine inflates
less than the wall clock.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from bench._common import fresh_database, make_app  # noqa: E402
from bench.cohorts import load_cohort, write_report_courses  # noqa: E402
from ecampus.api import tokens  # noqa: E402
from ecampus.auth.models import User  # noqa: E402
from ecampus.catalog.models import Course  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.institutions import services  # noqa: E402

AIM_SECONDS = 5.0
PAGE = 500


def read_everything(client, headers, cohort_id: int) -> tuple[int, int]:
    """Every page of the cohort's progress; returns (rows, pages)."""
    rows, pages, cursor = 0, 0, None
    while True:
        address = f"/api/v1/cohorts/{cohort_id}/progress?limit={PAGE}"
        response = client.get(address + (f"&cursor={cursor}" if cursor else ""),
                              headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        body = response.get_json()
        rows, pages, cursor = rows + len(body["items"]), pages + 1, body["next_cursor"]
        if cursor is None:
            return rows, pages


def add_everyone(client, headers, cohort_id: int, learners: int, round_number: int) -> dict:
    people = [{"email": f"new{round_number}.{n:05d}@bench.example",
               "full_name": f"Nova Pessoa {n}", "language": ("en", "es", "fr")[n % 3],
               "external_id": f"NEW-{round_number}-{n}"} for n in range(learners)]
    response = client.post(f"/api/v1/cohorts/{cohort_id}/members", json={"people": people},
                           headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_json()["counts"]


def bench(url: str | None, learners: int, rounds: int) -> dict:
    with tempfile.TemporaryDirectory() as folder, fresh_database(url) as database:
        root = Path(folder)
        write_report_courses(root / "courses", 1)
        app = make_app(database, MAIL_OUTBOX=str(root / "outbox"))
        with app.test_request_context("/"):
            publish_courses(root / "courses")
            cohort_id, _session = load_cohort(learners, 1)
            manager = db.session.scalar(select(User).where(
                User.email == "manager@bench.example"))
            institution_id = services.managed_institution_id(manager)
            _token, secret = tokens.create_token(manager, kind="institution", name="bench",
                                                 scopes=["read", "enrol"], days=30,
                                                 institution_id=institution_id)
            course_id = db.session.scalar(select(Course.id))
            targets = []
            for n in range(rounds):
                cohort = services.create_cohort(institution_id, f"Intake {n}", "", manager.id)
                services.assign_course(cohort, course_id, None)
                targets.append(cohort.id)
            db.session.remove()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        reads, adds, read_cpu, add_cpu = [], [], [], []
        for n in range(rounds):
            start, cpu = time.perf_counter(), time.process_time()
            rows, pages = read_everything(client, headers, cohort_id)
            reads.append(time.perf_counter() - start)
            read_cpu.append(time.process_time() - cpu)
            assert rows == learners, rows
            start, cpu = time.perf_counter(), time.process_time()
            counts = add_everyone(client, headers, targets[n], learners, n)
            adds.append(time.perf_counter() - start)
            add_cpu.append(time.process_time() - cpu)
            assert counts["invited"] == learners, counts
    return {"database": database.split(":", 1)[0], "reads": reads, "adds": adds,
            "read_cpu": read_cpu, "add_cpu": add_cpu, "pages": pages}


def show(result: dict, learners: int) -> None:
    def line(label: str, values: list[float], cpu: list[float]) -> str:
        median = statistics.median(values)
        return (f"    {label:58} median {median:6.2f} s, worst {max(values):6.2f} s "
                f"({median / AIM_SECONDS:4.0%} of the {AIM_SECONDS:.0f} s aim); "
                f"this process's CPU {statistics.median(cpu):5.2f} s")

    print(f"{result['database']}: cohort of {learners:,} learners, "
          f"{len(result['reads'])} interleaved rounds; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(line(f"read progress and results, {result['pages']} pages of {PAGE}",
               result["reads"], result["read_cpu"]))
    print(line(f"add {learners:,} new members in one request (all or nothing)",
               result["adds"], result["add_cpu"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", action="append")
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for url in args.database_url or [None]:
        show(bench(url, args.learners, args.rounds), args.learners)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
