"""A real HTTP receiver on loopback, and an institution whose learner's events reach it."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from ecampus.events import EVENT_TYPES
from ecampus.extensions import db
from ecampus.institutions import services as institutions
from ecampus.institutions.models import CohortMember, InstitutionMember
from ecampus.jobs.worker import run_pending_jobs
from ecampus.webhooks import services as webhooks
from tests.helpers import course_md, lesson, publish, write_course
from tests.quizzes.conftest import QUIZ


@dataclass
class Received:
    """One request the receiver got: its headers (lower-case names) and raw body."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver got, and the answers it gives next: (status, body, delay) in turn,
    then `default`."""

    url: str
    requests: list[Received] = field(default_factory=list)
    answers: list[tuple[int, str, float]] = field(default_factory=list)
    default: tuple[int, str, float] = (200, "ok", 0)

    def answer(self, *statuses: int, body: str = "", delay: float = 0) -> None:
        self.answers.extend((status, body, delay) for status in statuses)

    def events(self, event_type: str | None = None) -> list[dict]:
        return [r.json for r in self.requests
                if r.path != "/redirected" and (event_type is None or
                                                r.json["type"] == event_type)]


@pytest.fixture
def receiver():
    """An HTTP server in a thread on 127.0.0.1, recording every POST."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(Received(self.path, {k.lower(): v for k, v in
                                                       self.headers.items()}, body))
            status, text, delay = state.answers.pop(0) if state.answers else state.default
            time.sleep(delay)
            self.send_response(status)
            if status in (301, 302, 307, 308):
                self.send_header("Location", state.url.rsplit("/", 1)[0] + "/redirected")
            payload = text.encode()
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def loopback_allowed(app, monkeypatch):
    """Deliveries may go to http://127.0.0.1 (the development and test setting), and
    retries come at once (a zero backoff), so one worker run plays out every attempt."""
    monkeypatch.setitem(app.config, "WEBHOOK_ALLOW_PRIVATE_URLS", True)
    monkeypatch.setitem(app.config, "JOB_RETRY_BASE_SECONDS", 0)
    monkeypatch.setitem(app.config, "WEBHOOK_TIMEOUT_SECONDS", 2)


def run_worker(app) -> int:
    """Run every due job through the real worker, as `ecampus worker` would."""
    with app.app_context():
        ran = run_pending_jobs()
        db.session.remove()
        return ran


def write_courses(root) -> None:
    """A course with a certificate (two lessons) and a course with a lesson and a quiz."""
    write_course(root, "certified-course", {
        "course.md": course_md("Certified course", "Earns a certificate.", certificate="true"),
        "01-one.md": lesson("One"),
        "02-two.md": lesson("Two"),
    })
    write_course(root, "quiz-course", {
        "course.md": course_md("Quiz course", "With a quiz."),
        "01-check.md": QUIZ.format(settings=""),
    })


@pytest.fixture
def scene(app, make_user, tmp_path, monkeypatch, receiver, loopback_allowed):
    """An institution with a manager, a cohort holding a learner (staff number S-42), an
    endpoint of that institution subscribed to every event at the receiver, and a second
    institution with its own endpoint and no learner."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    write_courses(tmp_path / "courses")
    publish(app, tmp_path / "courses")
    manager, other_manager = make_user("manager"), make_user("manager")
    learner, outsider = make_user("learner"), make_user("learner")
    with app.app_context():
        mine = institutions.create_institution("Ministry of Transport")
        institutions.make_manager(mine.id, manager.email)
        theirs = institutions.create_institution("Ministry of Culture")
        institutions.make_manager(theirs.id, other_manager.email)
        cohort = institutions.create_cohort(mine.id, "Drivers", "", manager.id)
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=learner.id,
                                    external_id="S-42"))
        db.session.add(InstitutionMember(institution_id=mine.id, user_id=learner.id))
        db.session.commit()
        endpoint, secret = webhooks.add_endpoint(mine.id, receiver.url, EVENT_TYPES)
        other_endpoint, _other_secret = webhooks.add_endpoint(
            theirs.id, receiver.url.replace("/hooks", "/theirs"), EVENT_TYPES)
        ids = SimpleNamespace(institution_id=mine.id, other_institution_id=theirs.id,
                              cohort_id=cohort.id, endpoint_id=endpoint.id, secret=secret,
                              other_endpoint_id=other_endpoint.id)
    return SimpleNamespace(manager=manager, other_manager=other_manager, learner=learner,
                           outsider=outsider, receiver=receiver, **vars(ids))
