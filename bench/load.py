"""Load on two nodes behind nginx: Locust learners (headless, for a bounded time) each doing
the whole path of a short course, with a certificate at the end. Prints requests per second,
p50/p95/p99 per page and the error count.

The accounts are created first in one INSERT; the nodes, nginx, PostgreSQL database and
Redis counters are those of bench/cluster.py. Needs the bench extra: pip install -e '.[bench]'.

Run: .venv/bin/python bench/load.py [--users 200] [--seconds 90] [--spawn-rate 5]
                                    [--database-url postgresql+psycopg://...] [--redis URL]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._clock import CpuShares  # noqa: E402
from bench.cluster import BIN, PASSWORD, ROOT, Client, Cluster, take_course  # noqa: E402
from bench.nodes import DEFAULT_DATABASE, DEFAULT_REDIS  # noqa: E402


def warm_up(cluster: Cluster, learners: int) -> list[float]:
    """Walk the whole path with `learners` accounts of their own, one after the other,
    before the load: each process's first requests compile templates, parse the fonts of
    the first certificate and open connections, which a node pays once after it starts,
    not under a civil service's steady load. Returns the seconds each walk took."""
    seconds = []
    for email in cluster.create_learners(learners, prefix="warm"):
        start = time.perf_counter()
        take_course(Client(), cluster.front, email)
        seconds.append(time.perf_counter() - start)
    return seconds


def settle(cluster: Cluster) -> None:
    """Bring the new database to the state of one that has been running: statistics and
    visibility maps made (a production server's autovacuum would have; this machine's
    runs without it), and the setup's writes flushed by a checkpoint now rather than in
    the middle of the measurement."""
    cluster.psql("VACUUM ANALYZE", cluster.database_url.rpartition("/")[2])
    cluster.psql("CHECKPOINT")


def run_locust(cluster: Cluster, users: int, seconds: int, spawn_rate: float
               ) -> tuple[list[dict], CpuShares]:
    """Locust's per-page rows (and the Aggregated row last), from its CSV statistics, and
    where the machine's CPU went meanwhile."""
    accounts = cluster.folder / "accounts.txt"
    accounts.write_text("\n".join(cluster.create_learners(users, prefix="load")))
    settle(cluster)
    stats = cluster.folder / "locust"
    env = {**os.environ, "BENCH_ACCOUNTS": str(accounts), "BENCH_PASSWORD": PASSWORD}
    shares = CpuShares({"nodes": [p.pid for p in cluster.processes.values()],
                        "nginx": [cluster.nginx.pid], "PostgreSQL": "postgres",
                        "Redis": "redis-server"}, children="Locust")
    shares.start()
    with (cluster.folder / "locust.log").open("wb") as log:
        subprocess.run([str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"),
                        "--headless", "--users", str(users), "--spawn-rate", str(spawn_rate),
                        "--run-time", f"{seconds}s", "--stop-timeout", "10", "--host",
                        cluster.front, "--csv", str(stats), "--only-summary", "--loglevel",
                        "WARNING"], env=env, check=False, stdout=log, stderr=log)
    shares.stop()
    with open(f"{stats}_failures.csv", newline="") as handle:
        for failure in csv.DictReader(handle):
            print(f"failed {failure['Occurrences']:>5}x {failure['Method']} {failure['Name']}: "
                  f"{failure['Error']}")
    with open(f"{stats}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle)), shares


def report(rows: list[dict], users: int, seconds: int, workers: int, threads: int) -> None:
    print(f"{users} Locust learners for {seconds} s through nginx -> 2 nodes (gunicorn "
          f"{workers} workers x {threads} threads each), PostgreSQL + Redis, "
          f"{os.cpu_count()} cores shared with Locust, nginx and PostgreSQL")
    print(f"{'page':16} {'requests':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'p99 ms':>7} {'errors':>7}")
    for row in rows:
        name = "all pages" if row["Name"] == "Aggregated" else row["Name"]
        print(f"{name:16} {int(row['Request Count']):9d} {float(row['Requests/s']):7.1f} "
              f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
              f"{int(row['Failure Count']):7d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=90)
    # Each learner signs in once (an Argon2id hash, about 27 ms of CPU): 200 arrive over 40 s.
    parser.add_argument("--spawn-rate", type=float, default=5)
    # The nodes as docs/deploy.md runs them: 4 workers of 2 threads.
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers per node")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    parser.add_argument("--warm-up", type=int, default=8, metavar="LEARNERS",
                        help="learners who walk the path before the load (0: none)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                                 DEFAULT_DATABASE))
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()
    started = time.monotonic()
    with Cluster(args.database_url, args.redis, workers=args.workers,
                 threads=args.threads) as cluster:
        walks = warm_up(cluster, args.warm_up)
        rows, shares = run_locust(cluster, args.users, args.seconds, args.spawn_rate)
    if walks:
        print(f"warm-up: {len(walks)} learners walked the path one after the other before the "
              f"load; the first took {walks[0]:.2f} s, the last {walks[-1]:.2f} s")
    report(rows, args.users, args.seconds, args.workers, args.threads)
    print(shares.summary())
    errors = sum(int(row["Failure Count"]) for row in rows if row["Name"] == "Aggregated")
    print(f"errors: {errors}; finished in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
