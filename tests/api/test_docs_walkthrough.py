"""docs/api.md's walk-through, run as written: its shell blocks, with curl, against the live
app, and a webhook receiver on loopback."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from sqlalchemy import select

from ecampus.extensions import db
from ecampus.institutions.models import CohortMember
from tests.api.conftest import make_token
from tests.webhooks.conftest import loopback_allowed, receiver, run_worker  # noqa: F401

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _blocks() -> list[str]:
    text = DOC.read_text(encoding="utf-8").split("## Walk-through", 1)[1]
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def _accept_invitations(app, cohort_id: int) -> None:
    """The three people choose their password from the invitation they were mailed: until
    then the cohort waits for them and shows nothing of their learning."""
    from werkzeug.security import generate_password_hash

    from ecampus.auth.models import User

    with app.app_context():
        ids = db.session.scalars(select(CohortMember.user_id).where(
            CohortMember.cohort_id == cohort_id)).all()
        assert len(ids) == 3
        for user in db.session.scalars(select(User).where(User.id.in_(ids))):
            user.password_hash = generate_password_hash("a long password!")
        db.session.commit()


def test_the_walkthrough_runs_as_written(app, live_server, institution, course_id,
                                         receiver, loopback_allowed):  # noqa: F811
    blocks = _blocks()
    assert len(blocks) >= 6 and blocks[0].startswith("export BASE=")
    env = {"PATH": "/usr/bin:/bin", "BASE": live_server, "COHORT": str(institution[2]),
           "COURSE": str(course_id), "RECEIVER": receiver.url,
           "TOKEN": make_token(app, institution[1].id)}
    outputs = []
    for block in blocks[1:]:  # the first only sets these variables
        if "/progress" in block:
            _accept_invitations(app, institution[2])
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], env=env,
                             capture_output=True, text=True, timeout=60, check=False)
        assert run.returncode == 0, (block, run.stdout, run.stderr)
        outputs.append(run.stdout)
    assert '"applied": true' in outputs[3]
    assert outputs[4].count('"external_id"') == 3 and "E-1003" in outputs[4]
    run_worker(app)
    events = receiver.events("enrolment.created")
    assert len(events) == 3
    assert all("webhook-signature" in r.headers for r in receiver.requests)
