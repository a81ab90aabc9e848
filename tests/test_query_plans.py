"""Every query the busiest pages issue is served by an index, not by reading a large table.

The pages are requested through the test client on a site grown to thousands of learners
(bench/_dataset.py: users, enrolments, module completions, certificates, quiz attempts,
then ANALYZE), every statement they send is captured, and PostgreSQL's own planner is asked
for its plan (EXPLAIN, planner settings untouched). A sequential scan of a large table fails
the test, naming the page and the statement. PostgreSQL only: SQLite's planner has no
statistics-driven plan to check.
"""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import event

from bench import _dataset as dataset
from ecampus.extensions import db

pytestmark = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgresql"),
    reason="query plans are checked on PostgreSQL (set DATABASE_URL to a PostgreSQL URL)")

#: Tables that grow with the number of learners.
LARGE = {"users", "enrolments", "module_completions", "certificates", "attempts"}
#: Thousands of learners: enough rows that the planner reads a whole table only when a
#: query truly needs it.
SCALE = 5


@pytest.fixture
def site(app, tmp_path):
    with app.test_request_context("/"):
        grown = dataset.grow(tmp_path / "courses", SCALE)
        db.session.remove()
    return grown


def _report_pages(app) -> tuple[str, list[str]]:
    """A manager's cohort of 40 of the grown learners in 3 courses: the manager's session
    and the report's pages."""
    from sqlalchemy import select

    from ecampus.auth.models import User
    from ecampus.auth.services import create_user, start_session
    from ecampus.catalog.models import Course
    from ecampus.institutions import services
    from ecampus.institutions.models import CohortMember, InstitutionMember

    with app.test_request_context("/"):
        manager = create_user("manager@plans.example", "Manager", "a long password!")
        start_session(manager)
        institution = services.create_institution("Plans Ministry")
        services.make_manager(institution.id, manager.email)
        cohort = services.create_cohort(institution.id, "Forty", "", manager.id)
        for course_id in db.session.scalars(select(Course.id).order_by(Course.id).limit(3)):
            services.assign_course(cohort, course_id, None)
        members = db.session.scalars(select(User.id).where(User.role == "learner")
                                     .order_by(User.id).limit(40)).all()
        db.session.add_all([InstitutionMember(institution_id=institution.id, user_id=user_id)
                            for user_id in members])
        db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=user_id)
                            for user_id in members])
        db.session.commit()
        base = f"/institutions/cohorts/{cohort.id}/report"
        session_id = manager.get_id()
        db.session.remove()
    return session_id, [base, base + "?sort=progress&order=desc", base + "?q=numero",
                        base + "?show=not_started", base + ".csv"]


def _statements(app, client, address: str) -> list[tuple[str, object]]:
    """The SELECT statements the page sends, with their parameters."""
    captured: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        response = client.get(address)
        response.get_data()  # a streamed page runs its queries while it is read
        assert response.status_code == 200, address
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return captured


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _large_table_scans(statement: str, parameters) -> list[str]:
    with db.engine.connect() as connection:
        raw = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement,
                                         parameters).scalar()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    return [node["Relation Name"] for node in _nodes(plan)
            if node["Node Type"] == "Seq Scan" and node.get("Relation Name") in LARGE]


def test_page_queries_never_read_a_large_table_whole(app, client, site):
    with client.session_transaction() as session:
        session["_user_id"] = site.session_id
        session["_fresh"] = True
    scans, explained = [], 0
    for name, address in dataset.pages(site).items():
        statements = _statements(app, client, address)
        assert statements, name
        with app.app_context():
            for statement, parameters in statements:
                explained += 1
                scans += [f"{name}: Seq Scan on {table} in {statement[:300]}"
                          for table in _large_table_scans(statement, parameters)]
    assert explained >= 4
    assert not scans, "\n".join(scans)


def test_a_small_cohorts_report_reads_only_its_learners(app, site):
    session_id, addresses = _report_pages(app)
    manager = app.test_client()
    with manager.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    scans = []
    for address in addresses:
        statements = _statements(app, manager, address)
        assert any("cohort_members" in statement for statement, _ in statements), address
        with app.app_context():
            scans += [f"{address}: Seq Scan on {table} in {statement[:300]}"
                      for statement, parameters in statements
                      for table in _large_table_scans(statement, parameters)]
    assert not scans, "\n".join(scans)


def test_a_query_without_an_index_is_caught(app):
    with app.app_context():
        found = _large_table_scans(
            "SELECT id FROM certificates WHERE learner_name = %(name)s", {"name": "Nobody"})
    assert found == ["certificates"]
