"""Several nodes, proven: two gunicorn nodes behind nginx on loopback, sharing only
PostgreSQL and Redis, and each claim of docs/deploy.md checked by talking to each node
directly and through nginx. Prints PASS or FAIL per claim; exits non-zero on any FAIL.

Run: .venv/bin/python bench/nodes.py [--database-url postgresql+psycopg://postgres@127.0.0.1/postgres]
                                     [--redis redis://127.0.0.1:6379/12]
(nginx from the distribution, /usr/sbin/nginx, started with its own configuration and ports.)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cluster import (  # noqa: E402
    BIN,
    COURSE,
    ECAMPUS,
    OTHER_HOST,
    PUBLIC_HOST,
    ROOT,
    Client,
    Cluster,
    take_course,
    write_course,
)

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
_KEY = re.compile(r"/issuer/keys/(z6Mk[1-9A-HJ-NP-Za-km-z]+)")


def round_robin(cluster: Cluster) -> str:
    served = Counter()
    for _ in range(10):
        client = Client(PUBLIC_HOST)
        assert client.request(cluster.front + "/healthz") == 200
        served[client.headers.get("X-Upstream")] += 1
    expected = {f"127.0.0.1:{port}" for port in cluster.ports}
    assert set(served) == expected, served
    return f"10 requests through nginx: {dict(served)}"


def sessions(cluster: Cluster) -> str:
    first, second = cluster.nodes[:2]
    email = cluster.create_learners(1, prefix="session")[0]
    client = Client()
    assert client.sign_in(first, email) == 302, client.page[:300]
    assert client.request(second + "/learning/") == 200, "the other node asked to sign in"
    assert client.request(cluster.front + "/learning/") == 200
    client.submit(second, "/account/logout", form_page="/learning/")
    assert client.request(first + "/learning/") == 302, "signed out on one, still in on other"
    return "signed in on node 1, served on node 2 and through nginx; signed out on node 2, " \
           "refused on node 1"


def rate_limits(cluster: Cluster) -> str:
    email = cluster.create_learners(1, prefix="limited")[0]
    statuses = []
    for attempt in range(7):
        client = Client()
        statuses.append(client.sign_in(cluster.nodes[attempt % 2], email, "wrong password"))
    assert 429 in statuses[5:] and 429 not in statuses[:5], statuses
    return f"wrong passwords alternating nodes: {statuses} (5 per minute allowed)"


def publishing(cluster: Cluster) -> str:
    first, second = cluster.nodes[:2]
    lesson = f"/courses/{COURSE}/one/"
    reader = Client()
    assert reader.request(second + lesson) == 200 and "first edition" in reader.page
    write_course(cluster.courses, marker="second edition")
    cluster.ecampus("courses", "publish")
    published = time.monotonic()
    while "second edition" not in reader.page:
        assert time.monotonic() - published < 1.0, "node 2 still serves the old version"
        reader.request(second + lesson)
    seen = time.monotonic() - published
    assert reader.request(first + lesson) == 200 and "second edition" in reader.page
    return f"republished with node 1's command; node 2 served it after {seen * 1000:.0f} ms"


def media(cluster: Cluster) -> str:
    reader = Client()
    reader.request(cluster.nodes[0] + f"/courses/{COURSE}/two/")
    path = re.search(rf'src="(/courses/{COURSE}/files/[^"]+)"', reader.page).group(1)
    bodies = set()
    for base in (*cluster.nodes, cluster.front):
        other = Client(PUBLIC_HOST if base == cluster.front else None)
        assert other.request(base + path) == 200, (base, other.page[:200])
        bodies.add(other.page)
    assert len(bodies) == 1
    return f"{path} served alike by every node and nginx"


def _key_of(client: Client, base: str, code: str) -> str:
    assert client.request(f"{base}/certificates/{code}.json") == 200, client.page[:200]
    return _KEY.search(client.page).group(1)


def signing_keys(cluster: Cluster) -> str:
    first, second = cluster.nodes[:2]
    learners = cluster.create_learners(2, prefix="signed")
    owner, other_owner, reader = Client(), Client(), Client()
    earlier = take_course(owner, first, learners[0])
    key = _key_of(owner, first, earlier)
    assert _key_of(owner, second, earlier) == key
    cluster.ecampus("certificates", "rotate-key")
    later = take_course(other_owner, second, learners[1])
    rotated = _key_of(other_owner, second, later)
    assert rotated != key, "node 2 signed with the old key after the rotation"
    for base in cluster.nodes:
        for multikey in (key, rotated):
            assert reader.request(f"{base}/issuer/keys/{multikey}") == 200
        for code in (earlier, later):
            assert reader.request(f"{base}/verify/{code}") == 200, reader.page[:200]
    for client, code in ((owner, earlier), (other_owner, later)):
        client.request(f"{second}/certificates/{code}.json")
        document = cluster.folder / f"{code}.json"
        document.write_text(client.page, encoding="utf-8")
        verdict = cluster.ecampus("certificates", "verify", str(document))
        assert verdict.startswith("OK:"), verdict
    return (f"node 1 signed with {key[:12]}…; after `rotate-key` on node 1, node 2 signed "
            f"with {rotated[:12]}…; both keys published by each node, both credentials "
            "verified")


def mail(cluster: Cluster) -> str:
    before = len(cluster.collector.messages)
    email = cluster.create_learners(1, prefix="mail")[0]
    for base, host in ((cluster.nodes[0], None), (cluster.nodes[1], None),
                       (cluster.front, OTHER_HOST)):
        client = Client(host)
        assert client.submit(base, "/account/reset", {"email": email},
                             form_page="/account/reset") in (302, 303), client.page[:300]
    cluster.workers_once()
    received = cluster.collector.messages[before:]
    assert len(received) == 3, f"{len(received)} messages"
    links = [re.search(r"https?://\S+/account/reset/\S+", m.get_payload(decode=True).decode())
             .group(0) for m in received]
    wanted = cluster.public_url + "/account/reset/"
    assert all(link.startswith(wanted) for link in links), links
    return (f"3 reset requests (node 1, node 2, nginx with Host {OTHER_HOST}) reached the one "
            f"SMTP server; every link starts with {wanted}")


def jobs_once(cluster: Cluster, count: int = 300) -> str:
    """Queue `count` messages in small batches and let a worker on each node drain them."""
    script = (
        "import os\nfrom ecampus import create_app\nfrom ecampus.extensions import db\n"
        "from ecampus.mail import Letter, queue_letters\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        f"    queue_letters([Letter(f'job{{n}}@example.org', 'Once', 'Body') "
        f"for n in range({count})])\n"
        "    db.session.commit()\n")
    subprocess.run([str(BIN / "python"), "-c", script], cwd=ROOT, env=cluster.env, check=True)
    before = len(cluster.collector.messages)
    env = {**cluster.env, "ECAMPUS_MAIL_BATCH_SIZE": "10"}
    runs = [subprocess.Popen([*ECAMPUS, "worker", "--once"], cwd=ROOT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for _ in cluster.nodes]
    for run in runs:
        _out, error = run.communicate(timeout=300)
        assert run.returncode == 0, error
    received = Counter(m["To"] for m in cluster.collector.messages[before:])
    assert len(received) == count and set(received.values()) == {1}, \
        f"{len(received)} addresses, most copies {max(received.values(), default=0)}"
    return f"{count} messages in batches of 10, two workers at once: each sent exactly once"


def refusals(cluster: Cluster) -> str:
    env = {k: v for k, v in cluster.env.items() if k != "ECAMPUS_MAIL_SERVER"}
    done = subprocess.run([str(BIN / "python"), "-c", "from ecampus import create_app; "
                           "create_app()"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "ECAMPUS_SINGLE_NODE=true" in done.stderr, done.stderr
    single = subprocess.run([str(BIN / "python"), "-c", "from ecampus import create_app; "
                             "create_app()"], cwd=ROOT, capture_output=True, text=True,
                            env={**env, "ECAMPUS_SINGLE_NODE": "true"})
    assert single.returncode == 0, single.stderr
    instance = ROOT / "instance"
    local = [p for p in ("keys", "outbox") if (instance / p).exists()]
    assert not local, f"node-local files in {instance}: {local}"
    return ("production without an SMTP server refuses to start unless ECAMPUS_SINGLE_NODE; "
            f"no keys/ or outbox/ in {instance}")


def node_down(cluster: Cluster) -> str:
    cluster.stop_node(1)
    try:
        statuses = Counter()
        for _ in range(20):
            client = Client(PUBLIC_HOST)
            statuses[client.request(cluster.front + f"/courses/{COURSE}/")] += 1
        assert statuses == Counter({200: 20}), statuses
    finally:
        cluster.start_node(1)
    return "node 2 stopped: 20 of 20 requests through nginx served by node 1; node 2 back"


CLAIMS: list[tuple[str, Callable[[Cluster], str]]] = [
    ("nginx balances the nodes round robin", round_robin),
    ("a session started on one node works on the other", sessions),
    ("rate limits are counted together", rate_limits),
    ("a course published through one node is served by the other within a second",
     publishing),
    ("course media are served by every node", media),
    ("one signing key for every node, rotation seen by all", signing_keys),
    ("mail from every node goes to the one SMTP server, links from PUBLIC_URL", mail),
    ("jobs run once across nodes", jobs_once),
    ("node-local mail files are refused in production", refusals),
    ("one node down, the site still serves", node_down),
]


def run_checks(cluster: Cluster) -> list[tuple[str, bool, str]]:
    """Each claim, whether it held, and what was seen."""
    results = []
    for claim, check in CLAIMS:
        try:
            results.append((claim, True, check(cluster)))
        except Exception as error:  # noqa: BLE001 - reported as FAIL with the reason
            results.append((claim, False, f"{type(error).__name__}: {error}"))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL",
                                                                 DEFAULT_DATABASE))
    parser.add_argument("--redis", default=DEFAULT_REDIS)
    args = parser.parse_args()
    started = time.monotonic()
    with Cluster(args.database_url, args.redis) as cluster:
        print(f"nginx {cluster.front} -> nodes {', '.join(cluster.nodes)}; PostgreSQL "
              f"{cluster.database_url.rpartition('/')[2]}; Redis {args.redis}")
        results = run_checks(cluster)
    for claim, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'}  {claim}\n      {detail}")
    failed = sum(not ok for _claim, ok, _detail in results)
    print(f"{len(results) - failed} of {len(results)} claims hold "
          f"({time.monotonic() - started:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
