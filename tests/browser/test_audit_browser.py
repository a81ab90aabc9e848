"""The audit log in a browser, at a phone's width: filtered with the keyboard-usable form,
read by a screen reader, and an institution's activity for its manager."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ecampus.audit.models import AuditEntry
from ecampus.extensions import db
from ecampus.institutions import services
from tests.browser.steps import assert_fits_width, sign_in

pytestmark = pytest.mark.browser


def test_an_admin_filters_the_log_by_a_persons_name_without_accents(app, page, axe, admin,
                                                                   make_user):
    perez = make_user("learner", name="Ana Pérez")
    with app.app_context():
        db.session.add_all([
            AuditEntry(action="user.role_changed", actor_id=admin.id, address="192.0.2.10",
                       target_type="user", target_id=str(perez.id),
                       before={"role": "learner"}, after={"role": "author"}),
            AuditEntry(action="certificate.revoked", actor_id=admin.id,
                       target_type="certificate", target_id="OTHER-CODE"),
        ])
        db.session.commit()
    page.goto("/")
    sign_in(page, admin.email)
    page.goto("/admin/")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    page.get_by_label("Person").fill("ana perez")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_role("table", name="Entries, newest first")
    expect(table.get_by_role("link", name="Ana Pérez")).to_be_visible()
    expect(table.get_by_text("Role changed")).to_be_visible()
    expect(table.get_by_text("OTHER-CODE")).to_have_count(0)
    assert_fits_width(page)
    axe(page)


def test_a_manager_reads_their_institutions_activity(app, page, axe, make_user):
    manager = make_user("learner")
    with app.app_context():
        institution = services.create_institution("Ministry of Health")
        services.make_manager(institution.id, manager.email)
        services.create_cohort(institution.id, "Nurses 2027", "", manager.id)
    page.goto("/")
    sign_in(page, manager.email)
    page.goto("/institutions/")
    page.get_by_role("link", name="Activity of your institution").click()
    expect(page.get_by_role("heading", name="Activity of Ministry of Health")).to_be_visible()
    expect(page.get_by_role("cell", name="Cohort created")).to_be_visible()
    expect(page.get_by_label("Person")).to_have_count(0)
    assert_fits_width(page)
    axe(page)
