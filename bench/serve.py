"""Serving cost under gunicorn (2 sync workers): worker CPU per request, page by page.

Starts the app with the sample courses and a generated course of `--modules` modules
published and a signed-in learner, and beside it a bare Flask page doing two queries on the
same database (bench/_bare.py). wrk drives every page in turn, interleaved with `/healthz`
and the bare page, for several rounds, sending the same User-Agent as the sign-in (without
one, Flask-Login would take the session for a stolen one and resend the cookie every time).

The figure is the CPU time the gunicorn workers spent (utime + stime from /proc) divided by
the requests wrk completed: it does not depend on what else the machine is doing, unlike
requests per second. Each page's cost is also given as a ratio to the bare page and to
`/healthz`, median over the rounds with the lowest and highest round. Last, the bytes sent
for a cold lesson page and its stylesheet, plain and compressed.

Run: .venv/bin/python bench/serve.py [--database-url postgresql+psycopg://.../postgres]
     [--rounds 3] [--seconds 2] [--modules 200]
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fresh_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EMAIL, PASSWORD = "bench@example.org", "bench-password-2026"
USER_AGENT = "ecampus-bench/1.0"
COURSE = "/courses/migration-governance-101/"
LESSON = COURSE + "who-governs-migration/"
BIG = "/courses/bench-big-course/"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], env: dict) -> None:
    subprocess.run(args, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def big_course(root: Path, modules: int) -> None:
    """A course of `modules` short lessons, to see how pages grow with the module list."""
    folder = root / "bench-big-course"
    folder.mkdir()
    (folder / "course.md").write_text(
        "---\ntitle: A long course\nsummary: Many modules.\nduration: 20h\nenrolment: open\n"
        "---\nA course with many modules.\n")
    for number in range(1, modules + 1):
        (folder / f"{number:03d}-lesson-{number}.md").write_text(
            f"---\ntitle: Lesson {number}, a module of the long course\nduration: 10m\n---\n"
            f"# Lesson {number}\n\nA short lesson about migration governance.\n")


class Session:
    """A browser that signs in through the real forms, with a fixed User-Agent."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> str:
        return self.opener.open(self.base + path).read().decode()

    def token(self, path: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get(path)).group(1)

    def post(self, path: str, data: dict) -> None:
        self.opener.open(self.base + path, urllib.parse.urlencode(data).encode())

    def sign_in(self) -> str:
        self.post("/account/login", {"csrf_token": self.token("/account/login"),
                                     "email": EMAIL, "password": PASSWORD})
        for course in (COURSE, BIG):
            self.post(f"/learning{course}enrol",
                      {"csrf_token": self.token(course)})
        # Some progress, so the pages show marks and the dashboard has something to count.
        for course, module in ((COURSE, "welcome"), (BIG, "lesson-1")):
            page = course + module + "/"
            self.post(f"/learning{course}{module}/done",
                      {"csrf_token": self.token(page)})
        self.get(LESSON)
        cookie = next(c for c in self.jar if c.name == "session")
        return f"session={cookie.value}"


def workers(master: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                children.append(int(entry.name))
    return children


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def wrk(url: str, seconds: int, cookie: str | None) -> tuple[int, int]:
    """Requests completed and those that were not 2xx/3xx. A URL ending in `#br` is asked
    for with `Accept-Encoding: br`, to count the cost of compressing."""
    url, _hash, encoding = url.partition("#")
    args = ["wrk", "-t1", "-c4", f"-d{seconds}s", "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    if encoding:
        args[1:1] = ["-H", f"Accept-Encoding: {encoding}"]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return requests, int(non_2xx.group(1)) if non_2xx else 0


def measure(url: str, seconds: int, cookie: str | None, pids: list[int]) -> float:
    """CPU milliseconds per request spent by the workers `pids` serving `url`."""
    before = cpu_seconds(pids)
    requests, errors = wrk(url, seconds, cookie)
    spent = cpu_seconds(pids) - before
    if errors:
        sys.exit(f"{url}: {errors} of {requests} answers were errors")
    return 1000 * spent / max(requests, 1)


def wire_bytes(base: str, path: str, cookie: str, encoding: str | None) -> int:
    """Bytes of the answer as sent (status line, headers and body, compressed or not)."""
    host = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(host.hostname, host.port)
    headers = {"User-Agent": USER_AGENT, "Cookie": cookie}
    if encoding:
        headers["Accept-Encoding"] = encoding
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    head = sum(len(k) + len(v) + 4 for k, v in response.getheaders()) + 17
    connection.close()
    return head + len(body)


def start(args: list[str], env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "2", "--bind",
                               f"127.0.0.1:{port}", "--log-level", "warning", *args],
                              cwd=ROOT, env=env)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except urllib.error.HTTPError:
            break  # the bare app has no /healthz: it answers, so it is up
        except OSError:
            time.sleep(0.1)
        else:
            break
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--modules", type=int, default=200)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database_url) as url:
        courses = Path(folder) / "courses"
        shutil.copytree(ROOT / "courses", courses)
        big_course(courses, args.modules)
        env = {**os.environ, "ECAMPUS_ENV": "production",
               "SECRET_KEY": secrets.token_urlsafe(48), "DATABASE_URL": url,
               "ECAMPUS_COURSES_DIR": str(courses), "BENCH_PASSWORD": PASSWORD,
               "ECAMPUS_PUBLIC_URL": "http://127.0.0.1",  # any port: hosts match without one
               "ECAMPUS_SINGLE_NODE": "true"}  # one node, its mail written to files
        env.pop("ECAMPUS_RATELIMIT_STORAGE", None)
        run([str(BIN / "ecampus"), "db", "upgrade"], env)
        run([str(BIN / "ecampus"), "courses", "publish"], env)
        run([str(BIN / "ecampus"), "users", "create", "--email", EMAIL, "--name",
             "Bench Learner", "--password-env", "BENCH_PASSWORD"], env)
        port, bare_port = free_port(), free_port()
        base = f"http://127.0.0.1:{port}"
        servers = [start(["wsgi:app"], env, port), start(["bench._bare:app"], env, bare_port)]
        try:
            cookie = Session(base).sign_in()
            app_pids, bare_pids = workers(servers[0].pid), workers(servers[1].pid)
            big_lesson = f"{BIG}lesson-{args.modules // 2}/"
            pages = [("healthz", base + "/healthz", None, app_pids),
                     ("bare page", f"http://127.0.0.1:{bare_port}/bare", None, bare_pids),
                     ("lesson", base + LESSON, cookie, app_pids),
                     ("lesson, br", base + LESSON + "#br", cookie, app_pids),
                     ("course", base + COURSE, cookie, app_pids),
                     ("catalog", base + "/courses/", cookie, app_pids),
                     ("dashboard", base + "/learning/", cookie, app_pids),
                     (f"lesson {args.modules} mod", base + big_lesson, cookie, app_pids),
                     (f"course {args.modules} mod", base + BIG, cookie, app_pids)]
            for _name, page_url, page_cookie, _pids in pages:  # warm every cache first
                wrk(page_url, 1, page_cookie)
            rounds: dict[str, list[float]] = {name: [] for name, *_ in pages}
            for _ in range(args.rounds):
                for name, page_url, page_cookie, pids in pages:
                    rounds[name].append(measure(page_url, args.seconds, page_cookie, pids))
            wire = {(path, enc): wire_bytes(base, path, cookie, enc)
                    for path in (LESSON, big_lesson, "/static/ecampus.css")
                    for enc in (None, "gzip", "br")}
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    database = url.split(":", 1)[0].split("+")[0]
    print(f"gunicorn 2 sync workers, {database}, wrk -c4, {args.rounds} rounds of "
          f"{args.seconds:g} s per page, interleaved; {os.cpu_count()} cores")
    print(f"{'page':18} {'CPU ms/req':>10} {'x bare':>16} {'x healthz':>16}")
    for name, costs in rounds.items():
        versus = {}
        for floor in ("bare page", "healthz"):
            ratios = [cost / base_cost for cost, base_cost in zip(costs, rounds[floor],
                                                                   strict=True)]
            versus[floor] = (f"{statistics.median(ratios):5.2f} "
                             f"({min(ratios):.2f}-{max(ratios):.2f})")
        # Throughput relative to /healthz is the inverse of the cost ratio.
        print(f"{name:18} {statistics.median(costs):10.3f} {versus['bare page']:>16} "
              f"{versus['healthz']:>16}")
    print("bytes on the wire (headers + body), cold, no conditional request:")
    print(f"{'':28} {'plain':>8} {'gzip':>8} {'br':>8}")
    for path, label in ((LESSON, "lesson page"), (big_lesson, f"lesson, {args.modules} modules"),
                        ("/static/ecampus.css", "ecampus.css")):
        print(f"{label:28} " + " ".join(f"{wire[(path, e)]:8d}" for e in (None, "gzip", "br")))
    lesson_total = wire[(LESSON, "br")] + wire[("/static/ecampus.css", "br")]
    print(f"lesson page with its stylesheet, br: {lesson_total} bytes")


if __name__ == "__main__":
    main()
