"""The OpenAPI contract, tested by Schemathesis against the live app with real tokens.

Every operation is called with generated valid and invalid input (examples, coverage,
fuzzing) and through the document's links (stateful: create a cohort, then read, change,
fill and archive it), as an institution's manager, a learner and an administrator. No
answer may be a server error, and every answer must match the document: status, media
type, headers and body.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import make_token

CHECKS = ",".join(["not_a_server_error", "status_code_conformance",
                   "content_type_conformance", "response_headers_conformance",
                   "response_schema_conformance", "use_after_free",
                   "ensure_resource_availability"])
#: Enough to cover each operation's parameters and links and stay near a minute a role.
MAX_EXAMPLES = 12


@pytest.fixture
def people(app, institution, course_id, make_user, admin):
    """A manager whose cohort has a course and a learner who finished it (certificate)."""
    from sqlalchemy import select

    from ecampus.catalog.models import Module
    from ecampus.extensions import db
    from ecampus.institutions import services as institutions
    from ecampus.learning import services as learning
    from tests.world import _make_member

    learner = make_user("learner")
    with app.app_context():
        cohort = institutions.cohort_for(_user(institution[1].id), institution[2])
        institutions.assign_course(cohort, course_id, None)
        _make_member(institution[0], institution[2], learner.id)
        from ecampus.institutions import membership

        membership.enrol_members([learner.id], {course_id: None})
        db.session.commit()
        for module in db.session.scalars(select(Module).where(Module.course_id == course_id)):
            learning.complete_module(learner.id, module)
        db.session.remove()
    return {"manager": institution[1], "learner": learner, "admin": admin}


def _user(user_id):
    from ecampus.auth.models import User
    from ecampus.extensions import db

    return db.session.get(User, user_id)


def _token(app, people, role: str) -> str:
    kind, scopes = {"manager": ("institution", ("read", "enrol")),
                    "learner": ("personal", ("read",)),
                    "admin": ("site", ("read", "enrol", "admin"))}[role]
    return make_token(app, people[role].id, kind, scopes)


@pytest.mark.parametrize("role", ["manager", "learner", "admin"])
def test_the_live_api_keeps_its_contract(app, people, live_server, role, tmp_path,
                                         monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMITS", "100000/minute")
    command = [str(Path(sys.executable).parent / "schemathesis"), "run",
               f"{live_server}/api/v1/openapi.json",
               "--header", f"Authorization: Bearer {_token(app, people, role)}",
               "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES), "--seed", "1",
               "--phases", "examples,coverage,fuzzing,stateful", "--workers", "1",
               "--suppress-health-check", "all", "--no-shrink",
               "--report-dir", str(tmp_path / "report")]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600,
                         cwd=tmp_path, check=False)
    assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-2000:]
    if role == "manager":  # the links: POST /cohorts, then what its answer links to
        assert "✅ Stateful" in run.stdout, run.stdout[-3000:]
