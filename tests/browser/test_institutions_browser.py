"""A manager enrols a cohort from a CSV file, checks the preview, confirms, reads the report
and downloads it, in a real browser at a phone's width, with no accessibility violation."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from ecampus.catalog.models import Course, Module
from ecampus.extensions import db
from ecampus.institutions import services
from ecampus.institutions.models import Cohort, InstitutionMember
from ecampus.jobs.models import MailMessage
from ecampus.learning import services as learning
from tests.conftest import PASSWORD
from tests.helpers import publish, simple_course
from tests.institutions.conftest import choose_passwords

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


def test_manager_imports_reviews_confirms_and_exports(app, page, axe, cohort_id, tmp_path):
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
    expect(page.get_by_role("heading", name="Spring intake")).to_be_visible()
    axe(page)
    _assert_fits(page)

    page.get_by_role("link", name="Add learners from a CSV file").click()
    axe(page)
    page.get_by_label("CSV file").set_input_files(str(upload))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="Check the import")).to_be_visible()
    expect(page.get_by_text("2 people will be invited by email.")).to_be_visible()
    expect(page.get_by_role("cell", name="Ana López")).to_be_visible()
    axe(page)
    _assert_fits(page)
    page.get_by_role("button", name="Confirm and apply").click()

    expect(page.get_by_text("2 people invited.", exact=False)).to_be_visible()
    invited = page.get_by_role("table", name="People invited to this cohort")
    expect(invited.get_by_role("cell", name="Jean Martin", exact=True)).to_be_visible()
    choose_passwords(app, cohort_id)  # both accept: from now on they are learners
    page.get_by_role("link", name="Progress report").click()
    expect(page.get_by_role("cell", name="Jean Martin")).to_be_visible()
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
        db.session.add(InstitutionMember(institution_id=cohort.institution_id, user_id=ana.id))
        services.add_member(cohort, email=ana.email)
        for module in db.session.scalars(select(Module).order_by(Module.position)):
            learning.mark_done(ana.id, module)
    page.goto("/account/login")
    page.get_by_label("Email address").fill("manager@ministry.example")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/institutions/cohorts/{cohort_id}/report")
    chart = page.get_by_role("img", name="Cumulative completions over time")
    expect(chart).to_be_visible()
    page.get_by_text("Completions by date, as a table").click()
    expect(page.get_by_role("table", name="Cumulative completions by date")).to_be_visible()
    axe(page)
    _assert_fits(page)



def _sign_in(page, email: str) -> None:
    page.goto("/account/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_an_invitation_is_listed_then_accepted_by_keyboard(app, page, axe, cohort_id,
                                                            make_user):
    olga = make_user("learner", name="Olga", email="olga@example.org")
    _sign_in(page, "manager@ministry.example")
    page.goto(f"/institutions/cohorts/{cohort_id}")
    page.get_by_label("Email address").fill(olga.email)
    page.get_by_label("Full name").fill("Olga Typed")
    page.get_by_role("button", name="Add the learner").click()
    expect(page.get_by_text(f"An invitation to join the cohort is sent to {olga.email}.")\
        ).to_be_visible()
    expect(page.get_by_role("cell", name="Olga Typed", exact=True)).to_be_visible()
    axe(page)
    _assert_fits(page)
    page.get_by_role("button", name="Sign out").click()
    with app.app_context():
        body = db.session.scalar(select(MailMessage.body).where(
            MailMessage.recipient == olga.email))
    link = re.search(r"http://localhost(/institutions/invitations/[\w-]+)", body).group(1)
    _sign_in(page, olga.email)
    page.goto(link)
    expect(page.get_by_role("heading", name="Ministry of the Interior invites you to join "
                                               "its cohort Spring intake")).to_be_visible()
    axe(page)
    _assert_fits(page)
    page.get_by_role("button", name="Accept and join").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/learning/")
    expect(page.get_by_text("You have joined Spring intake of Ministry of the Interior.",
                            exact=False)).to_be_visible()
