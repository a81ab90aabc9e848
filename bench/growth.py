"""Growth: do the pages a learner and the public use keep their latency as the data grows?

Builds the site of bench/_dataset.py at 1x, 10x and 100x (100x: 100,000 users, 1,000,000
enrolments and certificates, 2,000,000 module completions), each in a fresh database, and
times the lesson page, the dashboard, the certificate verification page and the catalog
through the Flask test client, signed in as a learner: median of the rounds, the pages
interleaved so the machine's noise falls on each alike; and the CPU time per request
(this process plus the PostgreSQL backends, bench/_clock.py) with its ratio to 1x, which
other programs sharing the cores do not inflate.

Run: .venv/bin/python bench/growth.py [--database-url URL ...] [--scales 1,10,100]
     [--rounds 15]
Without --database-url it uses a temporary SQLite file; a PostgreSQL URL makes a fresh
database next to the one named and drops it afterwards. Pass --database-url twice to bench
both.
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

from sqlalchemy import func, select  # noqa: E402

from bench import _dataset as dataset  # noqa: E402
from bench._clock import CpuClock  # noqa: E402
from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.certificates.models import Certificate  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.learning.models import ModuleCompletion  # noqa: E402


def bench_scale(url: str | None, scale: int, rounds: int) -> tuple[float, dict, dict]:
    with tempfile.TemporaryDirectory() as folder, fresh_database(url) as database:
        app = make_app(database, MAIL_OUTBOX=str(Path(folder) / "outbox"))
        with app.test_request_context("/"):
            start = time.perf_counter()
            site = dataset.grow(Path(folder) / "courses", scale)
            load_seconds = time.perf_counter() - start
            sizes = {"certificates": db.session.scalar(
                select(func.count()).select_from(Certificate)),
                "completions": db.session.scalar(
                    select(func.count()).select_from(ModuleCompletion))}
            db.session.remove()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = site.session_id
            session["_fresh"] = True
        addresses = dataset.pages(site)
        times: dict[str, list[float]] = {name: [] for name in addresses}
        cpu = dict.fromkeys(addresses, 0.0)
        for name, address in addresses.items():  # warm up: caches, first compile
            assert client.get(address).status_code == 200, (name, address)
        clock = CpuClock(database)
        clock.find_backends()
        for _ in range(rounds):
            for name, address in addresses.items():
                before = clock()
                start = time.perf_counter()
                response = client.get(address)
                times[name].append(time.perf_counter() - start)
                cpu[name] += clock() - before
                assert response.status_code == 200
    return load_seconds, sizes, {name: (statistics.median(t), cpu[name] / rounds)
                                 for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", action="append")
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    for url in args.database_url or [None]:
        database = "sqlite" if url is None or url.startswith("sqlite") else "postgresql"
        base: dict[str, float] = {}
        for scale in (int(s) for s in args.scales.split(",")):
            load_seconds, sizes, medians = bench_scale(url, scale, args.rounds)
            print(f"{database} {scale:>3}x: {scale * 1000} users, {sizes['certificates']} "
                  f"certificates, {sizes['completions']} completions "
                  f"(loaded in {load_seconds:.1f} s); median of {args.rounds}")
            for name, (seconds, cpu) in medians.items():
                base.setdefault(name, cpu)
                print(f"    {name:14} {1000 * seconds:7.1f} ms   CPU {1000 * cpu:6.1f} ms, "
                      f"x{cpu / base[name]:.2f} of 1x")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
