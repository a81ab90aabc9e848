"""Courses with certificates completed through the real routes, and the independent
Node verifier of signed credentials."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from tests.helpers import course_md, lesson, publish, write_course

JS_DIR = Path(__file__).parent / "js"


def certified_course(root, slug="certified-course", certificate="true", **front):
    write_course(root, slug, {
        "course.md": course_md("Protection at borders", "Rights-based border management.",
                               certificate=certificate, duration="3h", **front),
        "01-one.md": lesson("One"),
        "02-two.md": lesson("Two"),
    })


def complete(client, slug="certified-course"):
    """Enrol and mark every lesson done, as the learner would."""
    client.submit(f"/learning/courses/{slug}/enrol")
    for module in ("one", "two"):
        client.submit(f"/learning/courses/{slug}/{module}/done")


def certificate_of(app, user_id) -> Certificate | None:
    with app.app_context():
        row = db.session.scalar(select(Certificate).where(Certificate.user_id == user_id)
                                .order_by(Certificate.id.desc()))
        if row is not None:
            db.session.expunge(row)
        return row


@pytest.fixture(autouse=True)
def _keys_in_test_instance(app, tmp_path, monkeypatch):
    """Each test has its own instance folder; its signing key is fresh too (the key lives in
    the database, emptied after every test)."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))


@pytest.fixture
def earned(app, client, learner, tmp_path):
    """A learner who completed a course with a certificate (expiring after 2 years)."""
    certified_course(tmp_path / "courses",
                     certificate="\n  title: Certificate of Achievement\n  hours: 3\n"
                                 "  expires_after: 2y")
    publish(app, tmp_path / "courses")
    client.sign_in(learner.email)
    complete(client)
    return certificate_of(app, learner.id)


@pytest.fixture(scope="session")
def node_verify():
    """Run verify.mjs on a payload; skip (or fail on CI) when the verifier is not installed."""
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules").is_dir():
        reason = "Node verifier not installed: run `npm ci` in tests/certificates/js"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI must run it)")
        pytest.skip(reason)

    def verify(payload: dict) -> dict:
        completed = subprocess.run(
            [node, str(JS_DIR / "verify.mjs")],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode in (0, 1), completed.stdout + completed.stderr
        result = json.loads(completed.stdout)
        assert result["verified"] is (completed.returncode == 0)
        return result

    return verify
