"""A manager enrols a cohort from a CSV file, checks the preview, confirms, reads the report
and downloads it, in a real browser at a phone's width, with no accessibility violation."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from ecampus.catalog.models import Course, Module
from ecampus.extensions import db
from ecampus.institutions import services
from ecampus.institutions.models import Cohort
from ecampus.learning import services as learning
from tests.conftest import PASSWORD
from tests.helpers import publish, simple_course

pytestmark = pytest.mark.browser


@pytest.fixture
def cohort_id(app, tmp_path, make_user) -> int:
    """A cohort of the manager's institution with one course due in 2031."""
    simple_course(tmp_path / "courses", "migration-basics", modules=2, title="Migration basics")
    publish(app, tmp_path / "courses")
    manager = make_user("learner", email="manager@ministry.example")
    with app.app_context():
        institution = services.create_institution("Ministry of the Interior")
        services.make_manager(institution.id, manager.email)
        cohort = services.create_cohort(institution.id, "Spring intake", "", manager.id)
        course_id = db.session.scalar(select(Course.id))
        services.assign_course(cohort, course_id, date(2031, 3, 31))
        return cohort.id


def _assert_fits(page) -> None:
    """Nothing but a table's own scroll area is wider than the 360 px screen."""
    assert not page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth")


def test_manager_imports_reviews_confirms_and_exports(page, axe, cohort_id, tmp_path):
    upload = tmp_path / "staff.csv"
    upload.write_bytes("email;full_name;language;external_id\r\n"
                       "ana.lopez@example.gov;Ana López;es;EMP-1\r\n"
                       "jean.martin@example.gov;Jean Martin;fr;EMP-2\r\n".encode("cp1252"))

    page.goto("/account/login")
    page.get_by_label("Email address").fill("manager@ministry.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Cohorts").click()
    page.get_by_role("link", name="Spring intake", exact=True).click()
    assert page.get_by_role("heading", name="Spring intake").is_visible()
    axe(page)
    _assert_fits(page)

    page.get_by_role("link", name="Add learners from a CSV file").click()
    axe(page)
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()

    assert page.get_by_role("heading", name="Check the import").is_visible()
    assert page.get_by_text("2 new accounts will be created and invited by email.").is_visible()
    assert page.get_by_role("cell", name="Ana López").is_visible()
    axe(page)
    _assert_fits(page)
    page.get_by_role("button", name="Confirm and apply").click()

    assert page.get_by_text("2 accounts created and invited.").is_visible()
    page.get_by_role("link", name="Progress report").click()
    assert page.get_by_role("cell", name="Jean Martin").is_visible()
    assert page.locator("svg[role=img]").count() == 0  # nobody has completed anything yet
    axe(page)
    _assert_fits(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["email"], r["full_name"], r["external_id"], r["due_on"]) for r in rows] == [
        ("ana.lopez@example.gov", "Ana López", "EMP-1", "2031-03-31"),
        ("jean.martin@example.gov", "Jean Martin", "EMP-2", "2031-03-31")]


def test_report_with_its_chart_is_accessible(app, page, axe, cohort_id, make_user):
    ana = make_user("learner", name="Ana López")
    with app.test_request_context("/"):
        cohort = db.session.get(Cohort, cohort_id)
        services.add_member(cohort, email=ana.email)
        for module in db.session.scalars(select(Module).order_by(Module.position)):
            learning.mark_done(ana.id, module)
    page.goto("/account/login")
    page.get_by_label("Email address").fill("manager@ministry.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/institutions/cohorts/{cohort_id}/report")
    chart = page.get_by_role("img", name="Cumulative completions over time")
    assert chart.is_visible()
    page.get_by_text("Completions by date, as a table").click()
    assert page.get_by_role("table", name="Cumulative completions by date").is_visible()
    axe(page)
    _assert_fits(page)

