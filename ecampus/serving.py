"""A web worker made ready before it serves its first request.

What a worker builds once and keeps (the compiled templates, the configured mappers, each
feature's warm-up: the certificate fonts and the JSON-LD contexts) is built here rather
than on the first request that needs it, and the garbage collector is then told to leave
every object alive at that point alone (`gc.freeze`). Python's full collection walks every
tracked object: in a worker that has served the whole learner path that is about 285,000
objects, and one collection held every thread of the worker for 150-190 ms, a pause that
fell on whichever requests were in flight. After the freeze a full collection walks only
what later requests left alive (a collection of a prepared worker: under 2 ms).

The worker's threads also take turns on the interpreter lock every half millisecond rather
than Python's default 5 ms (`SWITCH_INTERVAL`). A thread whose query has just returned needs
the lock back, and while another thread of the worker draws a PDF or grades a quiz it waits
for the end of that thread's turn, again after each query. With a second thread drawing
PDFs, lesson and course pages on PostgreSQL took a median 31-33 ms at 5 ms turns and 15 ms
at 0.5 ms (5-9 ms alone); bench/switch_interval.py measures it.
"""

from __future__ import annotations

import gc
import logging
import sys
import time

from flask import Flask
from sqlalchemy.orm import configure_mappers

from .features import features

log = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")
#: Seconds a thread runs before the interpreter offers its lock to another (Python: 0.005).
SWITCH_INTERVAL = 0.0005


def prepare_worker(app: Flask) -> None:
    """Build what the worker keeps, freeze every object alive out of collection, and
    shorten the threads' turns on the interpreter lock."""
    started = time.perf_counter()
    configure_mappers()
    with app.app_context():
        for name in app.jinja_env.list_templates():
            if name.endswith(TEMPLATE_SUFFIXES):
                app.jinja_env.get_template(name)
        for warm_up in features().warm_ups:
            try:
                warm_up()
            except Exception:  # noqa: BLE001 - the site serves; that feature shows its error
                log.exception("warm-up %s failed; the worker serves without it",
                              warm_up.__qualname__)
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL)
    log.info("worker prepared in %.0f ms; %d objects frozen out of garbage collection; "
             "threads switch every %g ms", 1000 * (time.perf_counter() - started),
             gc.get_freeze_count(), 1000 * sys.getswitchinterval())
