"""The cost of observability per request: the request-id hook, the latency histogram and the
JSON log line (ecampus/observability.py).

Run: .venv/bin/python bench/observability.py [--rounds 7] [--requests 2000]
Prints, for /healthz through the test client, the median time per request of an app with the
hooks and of the same app with them removed, rounds interleaved, and the difference in µs;
then the two hooks alone, timed inside one request context, with the log line off (as when
no handler wants INFO) and on (formatted as JSON to a null stream). Aim: a few µs.
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecampus import create_app  # noqa: E402
from ecampus.observability import log_handler  # noqa: E402


def _app(hooks: bool):
    app = create_app({"ENV_NAME": "testing", "SECRET_KEY": "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://", "PUBLIC_URL": "http://localhost"})
    if not hooks:
        app.before_request_funcs[None] = [f for f in app.before_request_funcs[None]
                                          if getattr(f, "__name__", "") != "_start"]
        app.after_request_funcs[None] = [f for f in app.after_request_funcs[None]
                                         if getattr(f, "__name__", "") != "_finish"]
    return app


def _per_request(client, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        client.get("/healthz")
    return (time.perf_counter() - started) / count


def _named(functions, name: str):
    return next(f for f in functions if getattr(f, "__name__", "") == name)


def _hooks_alone(app, count: int) -> float:
    start = _named(app.before_request_funcs[None], "_start")
    finish = _named(app.after_request_funcs[None], "_finish")
    with app.test_request_context("/healthz"):
        response = app.make_response("ok")
        started = time.perf_counter()
        for _ in range(count):
            start()
            finish(response)
        return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with_hooks, without = _app(True), _app(False)
    clients = {"with hooks": with_hooks.test_client(), "without": without.test_client()}
    for client in clients.values():
        _per_request(client, 200)  # warm up
    times: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(args.rounds):
        for name, client in clients.items():
            times[name].append(_per_request(client, args.requests))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"/healthz {name:>10}: {value * 1e6:8.1f} µs per request (median of "
              f"{args.rounds} rounds of {args.requests})")
    print(f"difference: {(medians['with hooks'] - medians['without']) * 1e6:.1f} µs "
          f"({medians['with hooks'] / medians['without']:.3f}x)")

    count = args.requests * 10
    print(f"hooks alone, log line off: {_hooks_alone(with_hooks, count) * 1e6:.2f} µs")
    handler = log_handler("json")
    handler.setStream(io.StringIO())
    logger = logging.getLogger("ecampus.request")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        print(f"hooks alone, JSON log line on: {_hooks_alone(with_hooks, count) * 1e6:.2f} µs")
    finally:
        logger.removeHandler(handler)


if __name__ == "__main__":
    main()
