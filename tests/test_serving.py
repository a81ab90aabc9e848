"""A web worker is made ready before it serves (ecampus.serving, called by wsgi.py)."""

from __future__ import annotations

import gc
import sys
from dataclasses import replace

import pytest

from ecampus.certificates.font_tables import font_tables
from ecampus.certificates.vc import canon
from ecampus.serving import SWITCH_INTERVAL, TEMPLATE_SUFFIXES, prepare_worker


@pytest.fixture
def worker_state_restored():
    """What prepare_worker changes in the process, as it was before the test."""
    interval = sys.getswitchinterval()
    yield
    gc.unfreeze()
    sys.setswitchinterval(interval)


def test_the_worker_builds_what_it_keeps_then_freezes_it(app, worker_state_restored):
    font_tables.cache_clear()
    canon._resolvers.clear()
    prepare_worker(app)

    templates = [name for name in app.jinja_env.list_templates()
                 if name.endswith(TEMPLATE_SUFFIXES)]
    assert len(templates) > 50
    cached = {key[1] for key in app.jinja_env.cache}
    assert set(templates) <= cached
    # The certificate's three fonts are parsed, and the JSON-LD contexts processed.
    assert font_tables.cache_info().currsize >= 3
    assert canon._resolvers
    # What was alive is out of the collector's reach: a full collection walks only what
    # came after, not the hundreds of thousands of objects a worker keeps.
    assert gc.get_freeze_count() > 100_000
    assert len(gc.get_objects()) < gc.get_freeze_count() / 10
    # Its threads take turns on the interpreter lock more often than Python's every 5 ms.
    assert SWITCH_INTERVAL < 0.005
    assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL)
    # That wsgi.py prepares every gunicorn worker: tests/test_nodes.py, on real nodes.


def test_a_failing_warm_up_is_logged_and_the_worker_still_serves(
        app, worker_state_restored, caplog, monkeypatch):
    def broken() -> None:
        raise OSError("font file missing")

    monkeypatch.setitem(app.extensions, "ecampus.features",
                        replace(app.extensions["ecampus.features"], warm_ups=[broken]))
    prepare_worker(app)
    assert "warm-up" in caplog.text and "font file missing" in caplog.text
    assert gc.get_freeze_count() > 100_000
    assert app.test_client().get("/healthz").status_code == 200
