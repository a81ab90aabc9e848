"""Two application nodes behind nginx, sharing only PostgreSQL and Redis, behave as one site:
each claim of bench/nodes.py (sessions, rate limits, publishing, media, signing keys, mail,
jobs run once, refusals, a node down), checked in CI's PostgreSQL pass."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.cluster import Cluster
from bench.nodes import CLAIMS
from ecampus.serving import SWITCH_INTERVAL

URL = os.environ.get("DATABASE_URL", "")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")

pytestmark = pytest.mark.skipif(
    not URL.startswith("postgres"),
    reason="nodes share a PostgreSQL database: runs with DATABASE_URL on PostgreSQL "
           "(CI's second pass)")


@pytest.fixture(scope="module")
def cluster():
    """Two gunicorn nodes and nginx on loopback ports, on a fresh database of their own."""
    if not NGINX:
        pytest.fail("the nodes test needs nginx (apt-get install nginx; .ci/run installs it)")
    with Cluster(URL, "redis://127.0.0.1:6379/13") as running:
        yield running


@pytest.mark.parametrize(("claim", "check"), CLAIMS, ids=[check.__name__ for _, check in CLAIMS])
def test_claim_holds_across_two_nodes(cluster, claim, check):
    print(f"{claim}: {check(cluster)}")


def test_every_worker_is_prepared_before_it_serves(cluster):
    """wsgi.py prepares each gunicorn worker (ecampus.serving): every worker of each node
    says so in the node's log."""
    for index in range(len(cluster.ports)):
        log = (cluster.folder / f"node{index + 1}.log").read_text(errors="replace")
        assert log.count("worker prepared in") >= cluster.workers, log[-2000:]
        switching = f"threads switch every {1000 * SWITCH_INTERVAL:g} ms"
        assert log.count(switching) >= cluster.workers, log[-2000:]
