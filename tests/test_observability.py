"""Operations: /healthz and /readyz, Prometheus metrics (and their token), request ids and
the JSON log line of each request."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ecampus import create_app
from ecampus.jobs import enqueue
from ecampus.observability import JsonFormatter, log_handler

TOKEN = "metrics-token-" + "m" * 20


def _app(**config):
    """A separate app (the shared one is left as it is), on the test database unless told."""
    settings = {"ENV_NAME": "testing", "TESTING": True, "SECRET_KEY": "x" * 40,
                "PUBLIC_URL": "http://localhost"}
    settings.update(config)
    return create_app(settings)


# --- health and readiness -----------------------------------------------------------------

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2"


def test_healthz_answers_without_the_database():
    response = _app(SQLALCHEMY_DATABASE_URI=UNREACHABLE).test_client().get("/healthz")
    assert response.status_code == 200


def test_readyz_answers_ok_when_the_database_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_fails_when_the_database_is_unreachable():
    response = _app(SQLALCHEMY_DATABASE_URI=UNREACHABLE).test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "unavailable"


@pytest.fixture
def own_limiter():
    """The rate limiter is shared by every app of a process: give it back as it was."""
    from ecampus.extensions import limiter

    saved = limiter._storage, limiter._limiter
    yield
    limiter._storage, limiter._limiter = saved


def test_readyz_checks_redis_when_the_rate_limiter_uses_it(app, own_limiter):
    ready = _app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                 RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/13")
    response = ready.test_client().get("/readyz")
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_fails_when_redis_is_unreachable(app, own_limiter):
    down = _app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": "ok", "redis": "unavailable"}


# --- metrics ------------------------------------------------------------------------------

@pytest.fixture
def metrics_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)


def _scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return response.get_data(as_text=True)


def _sample(text: str, name: str, **labels) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if wanted else "")
    match = re.search(r"^" + pattern + r" (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_do_not_exist_without_a_token(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                    "Bearer \u00e9"])
def test_metrics_refuse_a_request_without_the_token(client, metrics_on, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "ecampus_" not in response.get_data(as_text=True)


def test_metrics_count_requests_per_endpoint(client, metrics_on):
    labels = {"endpoint": "main.healthz", "method": "GET", "status": "200"}
    before = _sample(_scrape(client), "ecampus_http_request_duration_seconds_count", **labels)
    client.get("/healthz")
    client.get("/healthz")
    text = _scrape(client)
    assert _sample(text, "ecampus_http_request_duration_seconds_count", **labels) == before + 2
    assert _sample(text, "ecampus_http_request_duration_seconds_bucket",
                   **labels, le="+Inf") == before + 2


def test_metrics_count_an_unknown_address_without_its_path(client, metrics_on):
    client.get("/no/such/page/secret-token-in-the-path")
    text = _scrape(client)
    assert _sample(text, "ecampus_http_request_duration_seconds_count",
                   endpoint="none", method="GET", status="404") >= 1
    assert "secret-token-in-the-path" not in text


def test_metrics_show_the_job_queue(app, client, metrics_on):
    from datetime import timedelta

    from ecampus.extensions import db
    from ecampus.jobs.models import Job
    from ecampus.timeutil import utcnow

    with app.app_context():
        enqueue("mail.send", {})
        enqueue("mail.send", {}, run_after=utcnow() + timedelta(hours=1))
        db.session.add(Job(kind="mail.send", payload={}, status="failed", attempts=8))
        db.session.commit()
    text = _scrape(client)
    assert _sample(text, "ecampus_jobs", status="queued") == 2
    assert _sample(text, "ecampus_jobs", status="failed") == 1
    assert _sample(text, "ecampus_jobs_due") == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _workers_seen(folder: Path) -> set[str]:
    """The processes that wrote samples to the multiprocess folder."""
    return {path.name.rsplit("_", 1)[1] for path in folder.glob("histogram_*.db")}


def test_metrics_add_up_every_gunicorn_worker(app, tmp_path):
    """Two gunicorn workers with PROMETHEUS_MULTIPROC_DIR: a scrape counts both workers'
    requests, whichever worker answers it."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    port = _free_port()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "ECAMPUS_ENV": "development",
           "ECAMPUS_METRICS_TOKEN": TOKEN, "SECRET_KEY": "s" * 40,
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "ECAMPUS_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server = subprocess.Popen(  # noqa: S603 - our own command
        [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "ecampus:create_app()"],
        env=env, cwd=Path(__file__).parent.parent, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                # A long timeout: a request given up while the workers start would still be
                # answered, and counted, once they are up.
                urllib.request.urlopen(base + "/healthz", timeout=60)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        sent = 1
        with ThreadPoolExecutor(8) as pool:
            # Concurrent requests, until both workers have answered some.
            while sent < 400 and len(_workers_seen(folder)) < 2:
                list(pool.map(lambda _n: urllib.request.urlopen(  # noqa: S310
                    base + "/healthz", timeout=30).read(), range(20)))
                sent += 20
        counts = set()
        for _ in range(4):
            request = urllib.request.Request(  # noqa: S310 - our own server
                base + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            text = urllib.request.urlopen(request, timeout=5).read().decode()  # noqa: S310
            counts.add(_sample(text, "ecampus_http_request_duration_seconds_count",
                               endpoint="main.healthz", method="GET", status="200"))
        assert len(_workers_seen(folder)) == 2
        assert counts == {float(sent)}
    finally:
        server.terminate()
        server.wait(timeout=10)


# --- request ids and logs -----------------------------------------------------------------

def test_a_request_id_is_made_and_echoed(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{16}", first) and first != second


def test_a_visitors_request_id_is_not_trusted_without_a_proxy(client):
    response = client.get("/healthz", headers={"X-Request-ID": "chosen-by-visitor"})
    assert response.headers["X-Request-ID"] != "chosen-by-visitor"


def test_the_proxys_request_id_is_kept_behind_a_proxy():
    behind = _app(SQLALCHEMY_DATABASE_URI="sqlite://", BEHIND_PROXY=True).test_client()
    response = behind.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2"


@pytest.mark.parametrize("given", ["has space", "x" * 65, "quote\"s", "-starts-with-dash",
                                   "caf\u00e9"])
def test_a_request_id_that_is_not_plain_is_replaced(given):
    behind = _app(SQLALCHEMY_DATABASE_URI="sqlite://", BEHIND_PROXY=True).test_client()
    response = behind.get("/healthz", headers={"X-Request-ID": given})
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["X-Request-ID"])


def _json_lines(caplog) -> list[dict]:
    formatter = JsonFormatter()
    return [json.loads(formatter.format(record)) for record in caplog.records
            if record.name == "ecampus.request"]


def test_each_request_writes_one_json_line_with_its_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="ecampus.request")
    response = client.get("/healthz")
    [line] = _json_lines(caplog)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert (line["level"], line["method"], line["endpoint"], line["status"]) == (
        "INFO", "GET", "main.healthz", 200)
    assert isinstance(line["duration_ms"], float)
    assert line["user_id"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])


def test_the_log_line_names_the_account_by_id_only(client, caplog, learner):
    client.sign_in(learner.email)
    caplog.set_level(logging.INFO, logger="ecampus.request")
    client.get("/learning/")
    [line] = _json_lines(caplog)
    assert line["user_id"] == learner.id
    text = json.dumps(line)
    assert learner.email not in text and learner.full_name not in text
    assert "/learning" not in text  # endpoints, never paths (a path may carry a token)


def test_an_error_page_and_its_log_line_carry_the_request_id(app):
    broken = _app(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                  PROPAGATE_EXCEPTIONS=False)

    @broken.route("/boom")
    def boom():
        raise RuntimeError("the disk is on fire")

    stream = io.StringIO()
    handler = log_handler("json")
    handler.setStream(stream)
    logger = logging.getLogger("ecampus")
    logger.addHandler(handler)
    try:
        response = broken.test_client().get("/boom")
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500
    request_id = response.headers["X-Request-ID"]
    assert request_id in response.get_data(as_text=True)
    error = next(json.loads(line) for line in stream.getvalue().splitlines()
                 if json.loads(line)["level"] == "ERROR")
    assert error["request_id"] == request_id
    assert "the disk is on fire" in error["exception"]


def test_text_logs_carry_the_request_id_too(client):
    stream = io.StringIO()
    handler = log_handler("text")
    handler.setStream(stream)
    logger = logging.getLogger("ecampus.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        response = client.get("/healthz")
    finally:
        logger.removeHandler(handler)
        logger.setLevel(logging.NOTSET)
    assert f"[{response.headers['X-Request-ID']}] GET main.healthz 200" in stream.getvalue()


def test_a_deployed_app_writes_one_json_line_per_request_to_stderr(app, tmp_path):
    """In a process of its own, where nothing configured logging: the app does."""
    script = (
        "from ecampus import create_app\n"
        "app = create_app({'ENV_NAME': 'development', 'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        "response = app.test_client().get('/healthz')\n"
        "print(response.headers['X-Request-ID'])\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=120, check=True,
                          env={**os.environ, "ECAMPUS_LOG_FORMAT": "json"})
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    [request_line] = [line for line in lines if line["logger"] == "ecampus.request"]
    assert request_line["request_id"] == done.stdout.strip()
    assert request_line["endpoint"] == "main.healthz" and request_line["status"] == 200
    assert not [line for line in done.stderr.splitlines() if "main.healthz" in line
                and not line.startswith("{")]
