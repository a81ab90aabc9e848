"""Double clicks from real threads against a live server: the database decides."""

from __future__ import annotations

from sqlalchemy import func, select

from ecampus.audit.models import AuditEntry
from ecampus.extensions import db
from ecampus.jobs.models import Job
from ecampus.personal.exports import EXPORT_JOB
from ecampus.personal.models import DataExport
from tests.live import Browser, run_together


def _count(app, statement) -> int:
    with app.app_context():
        return db.session.scalar(statement)


def test_simultaneous_prepare_clicks_queue_one_archive(app, live_server, make_user):
    learner = make_user("learner")
    tabs = [Browser(live_server) for _ in range(4)]
    for tab in tabs:
        tab.sign_in(learner.email)
    results = run_together(*[lambda tab=tab: tab.submit("/account/data")[0] for tab in tabs])
    assert results == [302] * 4
    assert _count(app, select(func.count()).select_from(DataExport).where(
        DataExport.user_id == learner.id)) == 1
    assert _count(app, select(func.count()).select_from(Job).where(
        Job.kind == EXPORT_JOB)) == 1


def test_simultaneous_erasures_of_one_account_erase_it_once(app, live_server, make_user):
    learner = make_user("learner")
    tabs = [Browser(live_server) for _ in range(3)]
    for tab in tabs:
        tab.sign_in(make_user("admin").email)
    path = f"/admin/users/{learner.id}/erase"
    results = run_together(*[lambda tab=tab: tab.submit(path, {"confirm": "y"}) for tab in tabs])
    statuses = sorted(status for status, _location, _page in results)
    assert statuses == [200, 200, 302]
    assert all("already erased" in page for status, _l, page in results if status == 200)
    assert _count(app, select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.erased")) == 1
