"""Admins create institutions and choose their managers; managers act for one institution."""

from __future__ import annotations

from sqlalchemy import select

from ecampus.auth.models import User
from ecampus.extensions import db
from ecampus.institutions.models import Cohort, Institution, InstitutionManager


def _role(app, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).role


def _link(app, user_id: int) -> int | None:
    with app.app_context():
        return db.session.scalar(select(InstitutionManager.institution_id).where(
            InstitutionManager.user_id == user_id))


def test_admin_creates_an_institution(app, client, admin):
    client.sign_in(admin.email)
    response = client.submit("/institutions/admin/", {
        "name": "  Ministry   of Labour ", "description": "Labour inspectors."})
    assert response.status_code == 302
    with app.app_context():
        institution = db.session.scalar(select(Institution))
        assert (institution.name, institution.description) == ("Ministry of Labour",
                                                               "Labour inspectors.")


def test_institution_names_are_unique(app, client, admin, institution):
    client.sign_in(admin.email)
    response = client.submit("/institutions/admin/", {"name": institution.name})
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)


def test_admin_link_to_institutions_is_on_the_admin_page(client, admin):
    client.sign_in(admin.email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "/institutions/admin/" in page


def test_making_someone_manager_sets_their_role(app, client, admin, institution, learner):
    client.sign_in(admin.email)
    response = client.submit(f"/institutions/admin/{institution.id}/managers",
                             {"email": learner.email.upper()})
    assert response.status_code == 302
    assert _role(app, learner.id) == "manager"
    assert _link(app, learner.id) == institution.id


def test_an_admin_made_manager_stays_admin(app, client, admin, institution):
    client.sign_in(admin.email)
    client.submit(f"/institutions/admin/{institution.id}/managers", {"email": admin.email})
    assert _role(app, admin.id) == "admin"
    assert _link(app, admin.id) == institution.id


def test_unknown_address_cannot_become_manager(app, client, admin, institution):
    client.sign_in(admin.email)
    response = client.submit(f"/institutions/admin/{institution.id}/managers",
                             {"email": "nobody@example.org"})
    assert response.status_code == 400
    assert "There is no account with this email address" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "nobody@example.org")) is None


def test_a_manager_manages_one_institution_at_a_time(app, client, admin, make_institution):
    first = make_institution("Ministry of Health")
    second = make_institution("Ministry of Justice")
    client.sign_in(admin.email)
    client.submit(f"/institutions/admin/{second.id}/managers", {"email": first.manager.email})
    assert _link(app, first.manager.id) == second.id


def test_removing_a_manager_makes_them_a_learner(app, client, admin, institution):
    client.sign_in(admin.email)
    response = client.submit(
        f"/institutions/admin/{institution.id}/managers/{institution.manager.id}/remove")
    assert response.status_code == 302
    assert _role(app, institution.manager.id) == "learner"
    assert _link(app, institution.manager.id) is None


def test_institution_page_lists_managers_and_cohorts(client, admin, institution, cohort):
    client.sign_in(admin.email)
    page = client.get(f"/institutions/admin/{institution.id}").get_data(as_text=True)
    assert institution.manager.email in page
    assert "Spring intake" in page


def test_admin_creates_a_cohort_for_an_institution(app, client, admin, institution):
    client.sign_in(admin.email)
    response = client.submit(f"/institutions/admin/{institution.id}/cohorts",
                             {"name": "Inspectors 2031"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Cohort.institution_id)) == institution.id


def test_admin_sees_every_institutions_cohorts(client, admin, make_institution, make_cohort):
    make_cohort(make_institution("Ministry of Health"), "Nurses")
    make_cohort(make_institution("Ministry of Justice"), "Clerks")
    client.sign_in(admin.email)
    page = client.get("/institutions/").get_data(as_text=True)
    assert "Nurses" in page and "Clerks" in page


def test_admin_can_open_any_cohort(client, admin, cohort):
    client.sign_in(admin.email)
    assert client.get(f"/institutions/cohorts/{cohort}").status_code == 200
    assert client.get(f"/institutions/cohorts/{cohort}/report").status_code == 200


def test_managers_cannot_use_admin_pages(client, institution):
    client.sign_in(institution.manager.email)
    assert client.get("/institutions/admin/").status_code == 403
    assert client.get(f"/institutions/admin/{institution.id}").status_code == 403
    assert client.submit("/institutions/admin/", {"name": "Mine"}).status_code == 403


def test_unknown_institution_is_404(client, admin):
    client.sign_in(admin.email)
    assert client.get("/institutions/admin/999").status_code == 404
