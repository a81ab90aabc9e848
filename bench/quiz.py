"""Quiz speed: submissions graded per second through the real submit route (20 questions),
and the time to compute item analysis over 10,000 graded attempts.

Run: .venv/bin/python bench/quiz.py [--database-url URL] [--submissions 300]
     [--attempts 10000]
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from bench._common import fresh_database, make_app  # noqa: E402
from ecampus.auth import services as accounts  # noqa: E402
from ecampus.catalog.models import Course, Module  # noqa: E402
from ecampus.catalog.publishing import publish_courses  # noqa: E402
from ecampus.extensions import db  # noqa: E402
from ecampus.learning import services as learning  # noqa: E402
from ecampus.quizzes import services as quizzes  # noqa: E402
from ecampus.quizzes.grading import grade_attempt  # noqa: E402
from ecampus.quizzes.models import GRADED, Attempt  # noqa: E402

QUESTION_SHAPES = [
    "- [ ] Wrong\n- [x] Right\n- [ ] Also wrong\n",
    "- [x] Right one\n- [x] Right two\n- [ ] Wrong\n",
    "= 2018\n",
    "= 3.6 ± 0.2\n",
    "= non-refoulement\n= non refoulement\n",
    "1. First\n2. Second\n3. Third\n",
    "- Palermo => Trafficking\n- 1951 Convention => Refugees\n- ICRMW => Workers\n",
]


def write_quiz(root: Path) -> None:
    folder = root / "bench-quiz"
    folder.mkdir(parents=True)
    # No certificate: this measures grading, not signing (bench/certificates.py does that).
    (folder / "course.md").write_text(
        "---\ntitle: Quiz bench\nsummary: S.\ncertificate: false\n---\nC.\n")
    body = "---\ntitle: Twenty questions\nkind: quiz\n---\nAnswer all.\n\n"
    for n in range(20):
        body += f"## Question {n + 1} {{#q{n + 1}}}\n\n{QUESTION_SHAPES[n % 7]}\n"
    (folder / "01-quiz.md").write_text(body)


def answers(questions: list[dict], rng: random.Random) -> dict[str, list[str]]:
    """A plausible form: each question answered right or wrong at random."""
    form: dict[str, list[str]] = {}
    for q in questions:
        name, right = f"q-{q['id']}", rng.random() < 0.7
        if q["type"] in ("single", "multiple"):
            form[name] = [o["id"] for o in q["options"] if o["correct"] == right][:2]
        elif q["type"] == "numeric":
            form[name] = [str(q["numbers"][0]["value"] if right else 1)]
        elif q["type"] == "short":
            form[name] = [q["accepted"][0] if right else "no idea"]
        elif q["type"] == "ordering":
            for position, item in enumerate(q["items"], start=1):
                form[f"{name}-{item['id']}"] = [str(position if right else 4 - position)]
        elif q["type"] == "matching":
            for pair in q["pairs"]:
                form[f"{name}-{pair['id']}"] = [pair["id"]]
    return form


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url")
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--attempts", type=int, default=10_000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder, fresh_database(args.database_url) as url:
        write_quiz(Path(folder))
        app = make_app(url)
        with app.app_context():
            publish_courses(Path(folder))
            course = db.session.scalar(select(Course))
            module = db.session.scalar(select(Module))
            module_id = module.id
        clients = []
        for n in range(args.submissions):
            with app.app_context():
                user = accounts.create_user(f"l{n}@example.org", f"Learner {n}", "x" * 12)
                learning.enrol(user.id, course)
                attempt = quizzes.start_attempt(user.id, db.session.get(Module, module_id),
                                                "en")
                clients.append((attempt.id, answers(attempt.questions, rng), user.email))
        elapsed = 0.0
        for attempt_id, form, email in clients:
            client = app.test_client()
            page = client.get("/account/login").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            client.post("/account/login", data={"csrf_token": token, "email": email,
                                                 "password": "x" * 12})
            page = client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            start = time.perf_counter()
            response = client.post(f"/quizzes/attempts/{attempt_id}",
                                   data={**form, "action": "submit", "csrf_token": token})
            elapsed += time.perf_counter() - start
            assert response.status_code == 303, response.status_code
        with app.app_context():
            graded = db.session.scalar(select(db.func.count()).select_from(Attempt).where(
                Attempt.status == GRADED))
            assert graded == args.submissions
            # Item analysis over many attempts: add them in bulk, then time the analysis.
            template = db.session.get(Attempt, clients[0][0])
            keys = template.questions
            rows = []
            for n in range(args.attempts):
                responses = {q["id"]: None for q in keys}
                scores = {q["id"]: float(rng.random() < 0.3 + 0.6 * (n % 10) / 10)
                          for q in keys}
                result = grade_attempt(keys, responses, 70)
                rows.append({"user_id": template.user_id, "module_id": module_id,
                             "version_id": template.version_id, "number": 1000 + n,
                             "language": "en", "status": GRADED, "questions": keys,
                             "settings": template.settings, "responses": responses,
                             "question_scores": scores, "score": result.score_percent,
                             "passed": False, "started_at": template.started_at})
            for start in range(0, len(rows), 1000):
                db.session.execute(insert(Attempt), rows[start:start + 1000])
            db.session.commit()
            module = db.session.get(Module, module_id)
            start = time.perf_counter()
            _version, _versions, _keys, analysis = quizzes.item_analysis(module)
            analysis_seconds = time.perf_counter() - start
        print(f"database: {url.split(':', 1)[0]}")
        print(f"submissions graded through POST /quizzes/attempts/<id> (20 questions): "
              f"{args.submissions / elapsed:.0f} per second "
              f"({1000 * elapsed / args.submissions:.1f} ms each)")
        print(f"item analysis over {analysis.attempts} graded attempts: "
              f"{analysis_seconds:.2f} s")


if __name__ == "__main__":
    main()
