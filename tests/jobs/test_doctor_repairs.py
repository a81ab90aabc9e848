"""`ecampus doctor` finds a learner's lost completion or certificate and `--fix` restores it."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from ecampus.certificates.models import Certificate
from ecampus.extensions import db
from ecampus.learning.models import Enrolment
from tests.certificates.conftest import certified_course, complete
from tests.helpers import publish


@pytest.fixture
def finished(app, client, learner, tmp_path, monkeypatch):
    """A learner who completed a certificate course through the real routes."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    certified_course(tmp_path / "courses")
    publish(app, tmp_path / "courses")
    client.sign_in(learner.email)
    complete(client)
    return learner


def _certificates(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Certificate))
        db.session.remove()
        return count


def test_doctor_issues_a_certificate_a_completion_lost(app, runner, finished):
    with app.app_context():
        db.session.execute(delete(Certificate))
        db.session.commit()
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "Completions without a certificate (user course): 1 found" in result.output
    result = runner.invoke(args=["doctor", "--fix"])
    assert result.exit_code == 0, result.output
    assert _certificates(app) == 1
    assert runner.invoke(args=["doctor", "--fix"]).exit_code == 0 and _certificates(app) == 1


def test_doctor_completes_an_enrolment_that_met_completion(app, runner, finished):
    with app.app_context():
        db.session.execute(delete(Certificate))
        db.session.execute(update(Enrolment).values(completed_at=None))
        db.session.commit()
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "Enrolments that meet completion but are not complete" in result.output
    result = runner.invoke(args=["doctor", "--fix"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(Enrolment.completed_at)) is not None
    assert _certificates(app) == 1
