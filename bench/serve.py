"""Serving speed under gunicorn (2 workers, SQLite): health check, lesson page, dashboard.

Starts the app with the sample courses published and a signed-in learner, drives it from a
separate process with wrk (apt-get install wrk) for a fixed time per page, and prints
requests per second, latency percentiles, and each page's throughput relative to /healthz.

Run: .venv/bin/python bench/serve.py [--seconds 10] [--connections 8]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EMAIL, PASSWORD = "bench@example.org", "bench-password-2026"
LESSON = "/courses/migration-governance-101/who-governs-migration/"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], env: dict) -> None:
    subprocess.run(args, env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def sign_in(base: str) -> str:
    """Sign in through the real form and enrol; returns the session cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def token(path: str) -> str:
        page = opener.open(base + path).read().decode()
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post(path: str, data: dict) -> None:
        opener.open(base + path, urllib.parse.urlencode(data).encode())

    post("/account/login", {"csrf_token": token("/account/login"), "email": EMAIL,
                            "password": PASSWORD})
    post("/learning/courses/migration-governance-101/enrol",
         {"csrf_token": token("/courses/migration-governance-101/")})
    opener.open(base + LESSON).read()
    cookie = next(c for c in jar if c.name == "session")
    return f"session={cookie.value}"


def wrk(url: str, seconds: int, connections: int, cookie: str | None) -> dict:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "90", "99"):
        value, unit = re.search(rf"\s{percentile}%\s+([\d.]+)(us|ms|s)", output).groups()
        figures[percentile] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    figures["errors"] = int(non_2xx.group(1)) if non_2xx else 0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "ECAMPUS_ENV": "production",
               "SECRET_KEY": secrets.token_urlsafe(48),
               "DATABASE_URL": f"sqlite:///{folder}/serve.sqlite3",
               "ECAMPUS_COURSES_DIR": str(ROOT / "courses"), "BENCH_PASSWORD": PASSWORD,
               "ECAMPUS_PUBLIC_URL": "http://127.0.0.1"}  # any port: hosts match without one
        env.pop("ECAMPUS_RATELIMIT_STORAGE", None)
        run([str(BIN / "ecampus"), "db", "upgrade"], env)
        run([str(BIN / "ecampus"), "courses", "publish"], env)
        run([str(BIN / "ecampus"), "users", "create", "--email", EMAIL, "--name",
             "Bench Learner", "--password-env", "BENCH_PASSWORD"], env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            cookie = sign_in(base)
            pages = [("healthz", "/healthz", None), ("lesson page", LESSON, cookie),
                     ("dashboard", "/learning/", cookie)]
            results = {name: wrk(base + path, args.seconds, args.connections, c)
                       for name, path, c in pages}
        finally:
            server.terminate()
            server.wait(timeout=10)
    baseline = results["healthz"]["rps"]
    print(f"gunicorn 2 workers, SQLite, wrk -t2 -c{args.connections} -d{args.seconds}s, "
          f"{os.cpu_count()} cores shared with the load generator")
    print(f"{'page':12} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
          f"{'vs healthz':>10} {'errors':>7}")
    for name, figures in results.items():
        print(f"{name:12} {figures['rps']:9.1f} {figures['50']:8.2f} {figures['90']:8.2f} "
              f"{figures['99']:8.2f} {figures['rps'] / baseline:10.2f} {figures['errors']:7d}")


if __name__ == "__main__":
    main()
