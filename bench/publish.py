"""Publishing speed: 100 generated courses of 10 modules, cold, unchanged and one change;
then from git: the time from a signed webhook to the changed lesson being live.

Run: .venv/bin/python bench/publish.py [--database-url URL] [--courses 100] [--modules 10]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.jobs.worker import run_pending_jobs  # noqa: E402
from ecampus.sources import services as sources  # noqa: E402

PARAGRAPH = (
    "Migration governance covers the policies, laws and institutions through which states "
    "manage the movement of people across borders. Officials in ministries of interior, "
    "labour and foreign affairs share this work with local authorities and civil society. "
)

QUIZ = """---
title: Check your knowledge {n}
kind: quiz
pass_mark: 70
---
Answer the questions below.

## Which body reviews the Global Compact for Migration? {{#forum}}

- [ ] The Security Council
- [x] The International Migration Review Forum
- [ ] The World Trade Organization

## In which year was the Compact adopted? {{#year}}

= 2018

## Name the principle against returning refugees to persecution. {{#principle}}

= non-refoulement

## Put these stages in order. {{#stages}}

1. Announce
2. Collect
3. Publish

## Match each instrument to its subject. {{#match}}

- Palermo Protocol => Trafficking in persons
- 1951 Convention => Refugee status
"""


def lesson(course: int, module: int) -> str:
    sections = []
    for section in range(1, 5):
        sections.append(f"## Section {section}\n\n" + PARAGRAPH * 3 + "\n\n"
                        "| Actor | Role |\n|---|---|\n| Ministry | Policy |\n| Border agency | "
                        "Checks |\n\n!!! note \"Remember\"\n    Keep records.\n")
    return (f"---\ntitle: Lesson {module} of course {course}\nduration: 20m\n---\n"
            + "\n".join(sections))


def generate(root: Path, courses: int, modules: int) -> int:
    files = 0
    for c in range(1, courses + 1):
        folder = root / f"bench-course-{c:03d}"
        folder.mkdir(parents=True)
        (folder / "course.md").write_text(
            f"---\ntitle: Benchmark course {c}\nsummary: A generated course.\nduration: 3h\n"
            f"tags: [bench]\n---\n{PARAGRAPH}\n")
        for m in range(1, modules):
            (folder / f"{m:02d}-lesson-{m}.md").write_text(lesson(c, m))
        (folder / f"{modules:02d}-quiz.md").write_text(QUIZ.format(n=c))
        files += modules + 1
    return files


def timed(app, root: Path) -> tuple[float, object]:
    with app.app_context():
        start = time.perf_counter()
        report = publish_courses(root)
        return time.perf_counter() - start, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--courses", type=int, default=100)
    parser.add_argument("--modules", type=int, default=10)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database_url) as url:
        root = Path(folder)
        files = generate(root, args.courses, args.modules)
        size = sum(p.stat().st_size for p in root.rglob("*.md"))
        app = make_app(url)
        cold, report = timed(app, root)
        assert report.count("added") == args.courses, "every generated course must publish"
        unchanged, report = timed(app, root)
        assert report.count("unchanged") == args.courses
        target = root / "bench-course-050" / "03-lesson-3.md"
        target.write_text(target.read_text() + "\nOne more sentence.\n")
        one_change, report = timed(app, root)
        assert report.count("changed") == 1
        print(f"database: {url.split(':', 1)[0]}")
        print(f"files: {files} ({size / 1e6:.1f} MB of Markdown)")
        print(f"cold publish:        {cold:7.2f} s")
        print(f"unchanged republish: {unchanged:7.2f} s ({100 * unchanged / cold:.1f}% of cold)")
        print(f"one module changed:  {one_change:7.2f} s ({100 * one_change / cold:.1f}% of cold)")
    with fresh_database(args.database_url) as url:
        live, first = webhook_to_live(url, args.courses, args.modules)
        print(f"git: first sync of the repository:          {first:7.2f} s")
        print(f"git: webhook to live, one module changed:   {live:7.2f} s")


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def webhook_to_live(database_url: str, courses: int, modules: int) -> tuple[float, float]:
    """Seconds from a signed push webhook to the changed lesson on its page (one module of
    one course changed in a repository of `courses`), and for the first sync."""
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        work, bare = base / "work", base / "bare.git"
        generate(work, courses, modules)
        _git(base, "init", "-q", "--bare", "--initial-branch=main", str(bare))
        _git(work, "init", "-q", "--initial-branch=main")
        _git(work, "add", "--all")
        _git(work, "commit", "-qm", "Courses")
        _git(work, "push", "-q", str(bare), "HEAD:refs/heads/main")
        app = make_app(database_url)
        app.instance_path = str(base / "instance")
        client = app.test_client()
        with app.app_context():
            source, secret = sources.create_source("bench", str(bare), "main")
            source_id = source.id
            start = time.perf_counter()
            sources.sync_source(source_id)
            first = time.perf_counter() - start
        target = work / "bench-course-050" / "03-lesson-3.md"
        target.write_text(target.read_text() + "\nOne more sentence from git.\n")
        _git(work, "commit", "-qam", "Clarify lesson 3")
        _git(work, "push", "-q", str(bare), "HEAD:refs/heads/main")
        body = json.dumps({"ref": "refs/heads/main"}).encode()
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        start = time.perf_counter()
        response = client.post("/hooks/courses/bench", data=body,
                               headers={"X-Hub-Signature-256": signature},
                               content_type="application/json")
        assert response.status_code == 202, response.status_code
        with app.app_context():
            assert run_pending_jobs() >= 1
        page = client.get("/courses/bench-course-050/lesson-3/").get_data(as_text=True)
        elapsed = time.perf_counter() - start
        assert "One more sentence from git." in page, "the change must be live"
        return elapsed, first


if __name__ == "__main__":
    main()
