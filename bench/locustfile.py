"""Locust learners for bench/load.py: each signs in once with an account of its own, then
goes round the whole path of the bench course (catalog, course, enrol, lessons read and
marked done, quiz started and passed, dashboard, certificate PDF) with a short pause between
pages. Accounts come from the file named by BENCH_ACCOUNTS (one e-mail a line).

Run through bench/load.py, which starts the nodes and prints the figures.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from locust import FastHttpUser, between, task

COURSE = "node-check"
LESSONS = ("one", "two", "three")
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_START = re.compile(r'action="(/quizzes/\d+/start)"')
_RIGHT = re.compile(r'name="([^"]+)" value="([^"]+)"[^>]*> <label[^>]*>The right answer')
_PDF = re.compile(r'href="(/certificates/[A-Za-z0-9-]+\.pdf)"')

_accounts = iter(Path(os.environ["BENCH_ACCOUNTS"]).read_text().split()) \
    if os.environ.get("BENCH_ACCOUNTS") else iter(())
_lock = threading.Lock()


class Learner(FastHttpUser):
    # FastHttpUser (geventhttpclient) rather than HttpUser (requests): the load generator
    # shares the cores with the nodes, and it spends several times less CPU per request.
    # A learner reads before the next click: 2 to 5 s between pages (each user then sends
    # about 0.3 requests a second; 200 of them about 60).
    wait_time = between(2, 5)

    def on_start(self) -> None:
        with _lock:
            self.email = next(_accounts)
        self.token = ""
        self.page("/account/login", "sign-in page")
        self.post("/account/login", "sign in", {"email": self.email, "password": PASSWORD})

    def page(self, path: str, name: str, must: re.Pattern | None = None) -> str:
        """GET a page; a status other than 200, or a page without `must`, is a failure."""
        with self.client.get(path, name=name, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                return ""
            if must is not None and not must.search(response.text):
                response.failure(f"no {must.pattern!r} in the page")
                return ""
            found = _CSRF.search(response.text)
            if found:
                self.token = found.group(1)
        self.wait()  # the learner reads the page before the next click
        return response.text

    def post(self, path: str, name: str, data: dict | None = None) -> str:
        """POST a form; returns where it redirected to ('' when it did not)."""
        with self.client.post(path, name=name, data={"csrf_token": self.token, **(data or {})},
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code not in (302, 303):
                response.failure(f"{response.status_code}")
                return ""
            return response.headers.get("Location", "")

    @task
    def whole_path(self) -> None:
        course = f"/courses/{COURSE}/"
        self.page("/courses/", "catalog")
        self.page(course, "course")
        self.post(f"/learning{course}enrol", "enrol")
        for lesson in LESSONS:
            self.page(f"{course}{lesson}/", "lesson")
            self.post(f"/learning{course}{lesson}/done", "mark done")
        quiz = self.page(f"{course}check/", "quiz module", _START)
        start = _START.search(quiz)
        if not start:
            return
        attempt = self.post(start.group(1), "quiz start", {"language": "en"})
        if not attempt:
            return
        attempt = "/" + attempt.split("/", 3)[-1] if "://" in attempt else attempt
        form = self.page(attempt, "quiz attempt", _RIGHT)
        right = _RIGHT.search(form)
        if right:
            self.post(attempt, "quiz submit", {right.group(1): right.group(2),
                                               "action": "submit"})
        dashboard = self.page("/learning/", "dashboard", _PDF)
        pdf = _PDF.search(dashboard)
        if pdf:
            with self.client.get(pdf.group(1), name="certificate PDF",
                                 catch_response=True) as response:
                if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                    response.failure(f"{response.status_code}")
