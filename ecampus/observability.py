"""Operations: a request id on every request, one JSON log line per request, Prometheus
metrics at /metrics, and /readyz for the load balancer.

Everything here is set up once by `init_observability(app)` from `create_app`. The per-request
work is two small hooks (a clock read and an id before; a histogram observation, a header and
a log record after), a few microseconds in all (`bench/observability.py` prints the figure).

- **Request id**: `X-Request-ID` from the proxy when `BEHIND_PROXY` is on and the value is
  short and plain, else a new random id; echoed in the response header, carried by every log
  line written during the request and shown on error pages, so a report can be matched to
  its log lines.
- **Logs**: with `LOG_FORMAT=json`, each line is one JSON object: time, level, logger,
  message, request id, and for the request line method, endpoint, status, duration in ms and
  the account id (never a name, an address or the URL, which may carry a token).
- **Metrics**: `ecampus_http_request_duration_seconds{endpoint,method,status}` histograms,
  and the job queue (jobs per status, due jobs, the oldest due job's wait) read from the
  database at each scrape. Under gunicorn with several workers, set PROMETHEUS_MULTIPROC_DIR
  to an empty folder: every worker writes its samples there and /metrics adds them up.
  /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; without that setting it
  does not exist (404).
- **Readiness**: /healthz never touches anything (the process is up); /readyz checks the
  database and, when the rate limiter uses Redis, Redis, and answers 503 when one fails.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import sys
import time
from time import perf_counter
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request
from flask.logging import default_handler
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)
#: The one line per request.
request_log = logging.getLogger("ecampus.request")

#: A request id taken from the proxy must look like one: no spaces, quotes or line breaks.
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")

#: Request latency per endpoint; made once per process (a registry refuses a second one).
REQUEST_SECONDS = Histogram(
    "ecampus_http_request_duration_seconds", "Time to answer a request, by endpoint.",
    ["endpoint", "method", "status"],
    buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))

bp = Blueprint("ops", __name__)
#: Where the request id and start time are kept, in the request's WSGI environ.
_KEY = "ecampus.request_id"


def init_observability(app: Flask) -> None:
    """Request ids, the request log line and the metrics, for every request of `app`."""
    trust_header = bool(app.config["BEHIND_PROXY"])
    configure_logging(app)
    labels = REQUEST_SECONDS.labels
    histograms: dict[tuple, Any] = {}  # (endpoint, method, status) -> its histogram
    enabled = request_log.isEnabledFor
    make_record = request_log.makeRecord
    plain = _REQUEST_ID.fullmatch

    # Each proxy lookup (request, g) costs a context-variable read: take the request once
    # and keep the id and the clock in its WSGI environ.
    @app.before_request
    def _start():
        environ = request._get_current_object().environ
        given = environ.get("HTTP_X_REQUEST_ID") if trust_header else None
        environ[_KEY] = (given if given and plain(given) else os.urandom(8).hex(),
                         perf_counter())

    @app.after_request
    def _finish(response):
        current = request._get_current_object()
        started = current.environ.get(_KEY)
        if started is None:  # a request refused before our first hook ran
            return response
        request_id, began = started
        seconds = perf_counter() - began
        key = (current.endpoint or "none", current.method, response.status_code)
        histogram = histograms.get(key)
        if histogram is None:
            histogram = histograms[key] = labels(*key)
        histogram.observe(seconds)
        response.headers["X-Request-ID"] = request_id
        if enabled(logging.INFO):
            # Only an account already loaded for the page: no query is made to log it.
            user = g.get("_login_user")
            # makeRecord + handle: what .info() does, less the search of the caller's frame
            # (the line says where it comes from).
            request_log.handle(make_record(
                "ecampus.request", logging.INFO, __file__, 0, "%s %s %s",
                (key[1], key[0], key[2]), None,
                extra={"request_id": request_id, "method": key[1], "endpoint": key[0],
                       "status": key[2], "duration_ms": round(seconds * 1000, 2),
                       "user_id": getattr(user, "id", None) if user is not None else None}))
        return response

    app.add_template_global(request_id)
    app.register_blueprint(bp)


def request_id() -> str:
    """The current request's id ("" outside a request), for templates and log lines."""
    if not has_request_context():
        return ""
    started = request.environ.get(_KEY)
    return started[0] if started else ""


# --- logs --------------------------------------------------------------------------------

class RequestIdFilter(logging.Filter):
    """Adds the request id to every record written during a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


#: LogRecord attributes that are not extra fields given by the caller.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, RFC 3339), level, logger, message, request id, the
    record's extra fields, and the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": self.formatTime(record), "level": record.levelname,
                "logger": record.name, "message": record.getMessage(),
                "request_id": getattr(record, "request_id", "") or None}
        fields = record.__dict__
        for name in fields.keys() - _STANDARD:
            if not name.startswith("_"):
                line[name] = fields[name]
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)

    def formatTime(self, record, datefmt=None) -> str:  # noqa: N802 - logging's name
        moment = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{moment}.{int(record.msecs):03d}Z"


def log_handler(log_format: str) -> logging.Handler:
    """A handler to stderr in `log_format` ("json" or "text"), carrying request ids."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    handler.addFilter(RequestIdFilter())
    handler.set_name("ecampus.observability")
    return handler


def configure_logging(app: Flask) -> None:
    """Send every log (the app's and its libraries') to stderr in LOG_FORMAT, with the app's
    own INFO lines (one per request), unless logging is set up already: a root handler (a
    deployment's logging configuration, or pytest's capture) is left as it is."""
    if app.config.get("TESTING") or app.config["ENV_NAME"] == "testing":
        return
    root = logging.getLogger()
    if root.handlers:
        return
    root.addHandler(log_handler(app.config["LOG_FORMAT"]))
    logger = logging.getLogger("ecampus")
    logger.removeHandler(default_handler)  # Flask's own: every line would come twice
    logger.setLevel(logging.INFO)


# --- metrics and readiness ---------------------------------------------------------------

class QueueCollector:
    """The job queue as the database holds it at scrape time, the same for every process."""

    def collect(self):
        from sqlalchemy import func, select

        from .extensions import db
        from .jobs.models import QUEUED, Job
        from .jobs.services import queue_counts
        from .timeutil import utcnow

        counts = queue_counts()
        now = utcnow()
        due, oldest = db.session.execute(
            select(func.count(), func.min(Job.run_after))
            .where(Job.status == QUEUED, Job.run_after <= now)).one()
        db.session.rollback()
        jobs = GaugeMetricFamily("ecampus_jobs", "Jobs in the queue, by status (failed: gave "
                                 "up after their attempts).", labels=["status"])
        for status, count in counts.items():
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily("ecampus_jobs_due", "Queued jobs whose time has come: the "
                                "queue's depth.", value=due)
        yield GaugeMetricFamily("ecampus_jobs_oldest_due_seconds", "How long the oldest due "
                                "job has waited.",
                                value=(now - oldest).total_seconds() if oldest else 0)


def _process_metrics() -> bytes:
    """The samples of this process, or of every worker in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@bp.route("/metrics")
def metrics():
    """Prometheus metrics, for a scraper holding METRICS_TOKEN; no such page without one."""
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("A bearer token is required.\n", 401,
                        {"WWW-Authenticate": 'Bearer realm="metrics"'}, mimetype="text/plain")
    queue = CollectorRegistry(auto_describe=False)
    queue.register(QueueCollector())
    return Response(_process_metrics() + generate_latest(queue),
                    content_type=CONTENT_TYPE_LATEST)


@bp.route("/readyz")
def readyz():
    """For load balancers and orchestrators: 200 when the database (and Redis, when the rate
    limiter uses it) answers, else 503 naming what failed."""
    from sqlalchemy import text

    from .extensions import db, limiter

    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        log.warning("Readiness: the database does not answer", exc_info=True)
        checks["database"] = "unavailable"
    finally:
        db.session.rollback()
    storage = current_app.config.get("RATELIMIT_STORAGE_URI", "")
    if storage.startswith("redis"):
        try:
            checks["redis"] = "ok" if limiter.storage.check() else "unavailable"
        except Exception:  # noqa: BLE001
            log.warning("Readiness: Redis does not answer", exc_info=True)
            checks["redis"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
