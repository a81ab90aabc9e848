"""Two (or more) application nodes behind nginx on loopback, sharing only PostgreSQL and
Redis, as docs/deploy.md describes: the setting bench/nodes.py checks and bench/load.py loads.

Each node is a gunicorn server started from the project with its own environment, as on its
own machine; nginx balances them round robin with the proxy headers ProxyFix expects. Mail
goes to a real SMTP server on loopback (aiosmtpd) that keeps what it receives. Everything
lives in a temporary folder and a new database, removed by `close()`.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: `ecampus`, run from the checkout (like gunicorn's `wsgi:app`), whatever is installed.
ECAMPUS = [sys.executable, "-c", "from ecampus.cli import main; main()"]
PASSWORD = "bench-password-2026"  # noqa: S105 - throw-away bench accounts
#: The small course every bench learner takes: three lessons, an image and a one-question quiz.
COURSE = "node-check"
#: The host name of the site as the world reaches it, answered by nginx.
PUBLIC_HOST = "campus.example.gov"
#: Another host name the site answers to (an internal name of the front).
OTHER_HOST = "front.internal"

_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a7d9d4a10000000049454e44ae426082")

NGINX = """\
{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
    access_log off;
    client_body_temp_path {folder}/nginx-body;
    proxy_temp_path {folder}/nginx-proxy;
    fastcgi_temp_path {folder}/nginx-fastcgi;
    uwsgi_temp_path {folder}/nginx-uwsgi;
    scgi_temp_path {folder}/nginx-scgi;
    upstream ecampus {{
{servers}
        keepalive 32;
        keepalive_timeout 60s;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 32m;
        location / {{
            proxy_pass http://ecampus;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_course(folder: Path, *, marker: str = "first edition") -> None:
    """The bench course in `folder`/node-check; `marker` is written into its first lesson."""
    course = folder / COURSE
    (course / "media").mkdir(parents=True, exist_ok=True)
    (course / "media" / "dot.png").write_bytes(_PNG)
    (course / "course.md").write_text(
        "---\ntitle: Node check\nsummary: A short course the bench takes.\nlanguage: en\n"
        "duration: 30m\nenrolment: open\ncertificate:\n  title: Certificate of the node "
        "check\nstatus: published\n---\nA short course.\n", encoding="utf-8")
    for number, name in enumerate(("one", "two", "three"), start=1):
        text = f"This lesson is the {marker}." if number == 1 else f"Lesson {name}."
        (course / f"0{number}-{name}.md").write_text(
            f"---\ntitle: Lesson {name}\nduration: 5m\n---\n{text}\n\n"
            "![A single dot.](media/dot.png)\n", encoding="utf-8")
    (course / "04-check.md").write_text(
        "---\ntitle: Check\nkind: quiz\nduration: 5m\npass_mark: 50\nmax_attempts: 100\n---\n"
        "One question.\n\n## Which answer is right? {#right}\n\n- [x] The right answer\n"
        "- [ ] A wrong answer\n", encoding="utf-8")


class Cluster:
    """PostgreSQL database, Redis counters, SMTP server, `size` gunicorn nodes and nginx."""

    def __init__(self, database_url: str, redis_url: str, *, size: int = 2,
                 workers: int = 2, threads: int = 4, mail_batch: int = 200):
        from tests.smtp import Collector, SMTPServer

        self.folder = Path(tempfile.mkdtemp(prefix="ecampus-nodes-"))
        self.courses = self.folder / "courses"
        self._stack = contextlib.ExitStack()
        self.collector = Collector()
        self.smtp = self._stack.enter_context(SMTPServer(self.collector))
        self.database_url = self._new_database(database_url)
        self.redis_url = redis_url
        self.front_port = free_port()
        self.front = f"http://127.0.0.1:{self.front_port}"
        # Credentials need an https address; nginx here speaks plain HTTP on loopback.
        self.public_url = f"https://{PUBLIC_HOST}"
        self.ports = [free_port() for _ in range(size)]
        self.nodes = [f"http://127.0.0.1:{port}" for port in self.ports]
        self.processes: dict[int, subprocess.Popen] = {}
        self.workers, self.threads = workers, threads
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ECAMPUS_")},
            "ECAMPUS_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": self.database_url, "ECAMPUS_PUBLIC_URL": self.public_url,
            "ECAMPUS_TRUSTED_HOSTS": f"127.0.0.1,{OTHER_HOST}", "ECAMPUS_BEHIND_PROXY": "true",
            "ECAMPUS_RATELIMIT_STORAGE": redis_url, "ECAMPUS_MAIL_SERVER": "127.0.0.1",
            "ECAMPUS_MAIL_PORT": str(self.smtp.port), "ECAMPUS_MAIL_USE_TLS": "false",
            "ECAMPUS_MAIL_BATCH_SIZE": str(mail_batch), "ECAMPUS_COURSES_DIR": str(self.courses),
            "BENCH_PASSWORD": PASSWORD,
        }

    # -- life cycle -------------------------------------------------------------------------

    def _new_database(self, url: str) -> str:
        if not url.startswith("postgresql"):
            raise SystemExit("Several nodes share a PostgreSQL database: give a "
                             "postgresql+psycopg:// URL.")
        base = url.rpartition("/")[0]
        name = f"ecampus_nodes_{secrets.token_hex(4)}"
        self.psql(f"CREATE DATABASE {name}")
        self._stack.callback(self.psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        return f"{base}/{name}"

    @staticmethod
    def psql(statement: str, database: str = "postgres") -> None:
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", statement,
                        database], check=True, stdout=subprocess.DEVNULL)

    def start(self) -> Cluster:
        """Migrate, publish the sample courses and the bench course, start nodes and nginx."""
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()
        shutil.copytree(ROOT / "courses", self.courses)
        write_course(self.courses)
        self.ecampus("db", "upgrade")
        self.ecampus("courses", "publish")
        for index in range(len(self.ports)):
            self.start_node(index)
        self._start_nginx()
        return self

    def close(self) -> None:
        for index in list(self.processes):
            self.stop_node(index)
        nginx = getattr(self, "nginx", None)
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        self._stack.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Cluster:
        # Stopped with SIGTERM, still tear down the nodes, nginx and the database.
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()

    def start_node(self, index: int) -> None:
        port = self.ports[index]
        log = (self.folder / f"node{index + 1}.log").open("ab")
        self.processes[index] = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(self.workers), "--threads",
             str(self.threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
             # Longer than nginx keeps an idle upstream connection (keepalive_timeout): a
             # node closing it first races a request nginx is sending, which gets a 502.
             "--keep-alive", "75", "--graceful-timeout", "10", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self._until_up(self.nodes[index], self.processes[index])

    def stop_node(self, index: int) -> None:
        """Stop one node the way systemd does: SIGTERM, requests in flight finish."""
        process = self.processes.pop(index)
        process.terminate()
        process.wait(timeout=30)

    def _start_nginx(self) -> None:
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;"
                            for port in self.ports)
        user = "user root root;" if os.geteuid() == 0 else ""
        config = self.folder / "nginx.conf"
        config.write_text(NGINX.format(folder=self.folder, servers=servers,
                                       port=self.front_port, user=user))
        self.nginx = subprocess.Popen(
            [shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(config), "-p",
             str(self.folder), "-e", str(self.folder / "nginx-error.log"), "-g",
             "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self._until_up(self.front, self.nginx)

    def _until_up(self, base: str, process: subprocess.Popen) -> None:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"{base} did not start; see {self.folder}")
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{base} did not answer in 30 s")

    # -- commands an operator runs on one node -----------------------------------------------

    def ecampus(self, *args: str, env: dict | None = None) -> str:
        """Run `ecampus ARGS` with a node's environment; returns what it printed."""
        done = subprocess.run([*ECAMPUS, *args], cwd=ROOT, env=env or self.env,
                              capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"ecampus {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def workers_once(self, count: int | None = None) -> None:
        """`ecampus worker --once` on every node at the same moment; waits for them all."""
        runs = [subprocess.Popen([*ECAMPUS, "worker", "--once"], cwd=ROOT,
                                 env=self.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
                for _ in range(count or len(self.nodes))]
        for run in runs:
            _out, error = run.communicate(timeout=300)
            if run.returncode:
                raise RuntimeError(f"a worker failed:\n{error}")

    def create_learners(self, count: int, prefix: str = "learner") -> list[str]:
        """`count` learner accounts at once (one password hash, one INSERT); their e-mails."""
        from sqlalchemy import insert

        from ecampus import create_app
        from ecampus.auth.models import User
        from ecampus.auth.passwords import hash_password
        from ecampus.extensions import db

        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": self.database_url,
                          "SECRET_KEY": self.env["SECRET_KEY"]})
        emails = [f"{prefix}{n}@example.org" for n in range(count)]
        with app.app_context():
            digest = hash_password(PASSWORD)  # the method a production node uses
            db.session.execute(insert(User), [
                {"email": email, "full_name": f"Learner {n}", "language": "en",
                 "role": "learner", "password_hash": digest} for n, email in enumerate(emails)])
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return emails


class Client:
    """One person's browser against one base address: cookies kept across bases (the same
    session on every node), forms sent with the page's CSRF token, redirects not followed."""

    _CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

    def __init__(self, host: str | None = None):
        self.cookies: dict[str, str] = {}
        self.host = host
        self.page = ""
        self.headers: dict[str, str] = {}

    def request(self, url: str, data: dict | None = None) -> int:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if self.host:
            request.add_header("Host", self.host)
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            response = opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            self.page = response.read().decode("utf-8", "replace")
            self.headers = dict(response.headers.items())
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status

    def token(self, url: str) -> str:
        self.request(url)
        return self._CSRF.search(self.page).group(1)

    def submit(self, base: str, path: str, data: dict | None = None,
               form_page: str = "/") -> int:
        return self.request(base + path, {"csrf_token": self.token(base + form_page),
                                          **(data or {})})

    def sign_in(self, base: str, email: str, password: str = PASSWORD) -> int:
        return self.submit(base, "/account/login", {"email": email, "password": password},
                           form_page="/account/login")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


LESSONS = ("one", "two", "three")
_START = re.compile(r'action="(/quizzes/\d+/start)"')
_RIGHT = re.compile(r'name="([^"]+)" value="([^"]+)"[^>]*> <label[^>]*>The right answer')
_PDF = re.compile(r'href="/certificates/([A-Za-z0-9-]+)\.pdf"')


def take_course(client: Client, base: str, email: str) -> str:
    """The whole learner path on `base`: sign in, catalog, course, enrol, each lesson read and
    marked done, the quiz started and passed, dashboard, certificate PDF. Returns its code."""
    course = f"/courses/{COURSE}/"

    def expect(status: int, *wanted: int) -> None:
        if status not in wanted:
            raise AssertionError(f"{status} instead of {wanted}: {client.page[:300]}")

    expect(client.sign_in(base, email), 302)
    expect(client.request(base + "/courses/"), 200)
    expect(client.submit(base, f"/learning{course}enrol", form_page=course), 302, 303)
    for lesson in LESSONS:
        expect(client.request(f"{base}{course}{lesson}/"), 200)
        expect(client.submit(base, f"/learning{course}{lesson}/done",
                             form_page=f"{course}{lesson}/"), 302, 303)
    expect(client.request(f"{base}{course}check/"), 200)
    start = _START.search(client.page).group(1)
    expect(client.submit(base, start, {"language": "en"}, form_page=f"{course}check/"),
           302, 303)
    attempt = urllib.parse.urlsplit(client.headers["Location"]).path
    expect(client.request(base + attempt), 200)
    name, value = _RIGHT.search(client.page).groups()
    expect(client.submit(base, attempt, {name: value, "action": "submit"}, form_page=attempt),
           303)
    expect(client.request(base + "/learning/"), 200)
    code = _PDF.search(client.page).group(1)
    expect(client.request(f"{base}/certificates/{code}.pdf"), 200)
    return code
