"""Cohorts by hand: create, assign courses with due dates, add and remove learners."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from ecampus.auth.models import User
from ecampus.catalog.models import Course
from ecampus.extensions import db
from ecampus.institutions.models import Cohort, CohortCourse, CohortMember
from ecampus.learning.models import Enrolment
from tests.helpers import course_md, lesson, publish, write_course
from tests.institutions.conftest import counts


def _enrolments(app, user_id: int) -> dict[int, tuple[bool, date | None, str]]:
    with app.app_context():
        return {e.course_id: (e.active, e.due_on, e.source) for e in db.session.scalars(
            select(Enrolment).where(Enrolment.user_id == user_id))}


def _add(client, cohort_id, follow_redirects=False, **data):
    return client.submit(f"/institutions/cohorts/{cohort_id}/members", data,
                         follow_redirects=follow_redirects)


def test_manager_without_an_institution_is_told_to_ask(client, make_user):
    manager = make_user("manager")
    client.sign_in(manager.email)
    page = client.get("/institutions/").get_data(as_text=True)
    assert "You do not manage an institution yet" in page
    assert client.submit("/institutions/cohorts", {"name": "Mine"}).status_code == 403


def test_manager_creates_a_cohort(app, manager_client, institution):
    response = manager_client.submit("/institutions/cohorts", {
        "name": "New border officers", "description": "Spring intake"})
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort))
        assert (cohort.name, cohort.institution_id) == ("New border officers", institution.id)
    assert "New border officers" in manager_client.get("/institutions/").get_data(as_text=True)


def test_cohort_needs_a_name(app, manager_client):
    response = manager_client.submit("/institutions/cohorts", {"name": "  "})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.get_data(as_text=True)
    assert counts(app).members == 0


def test_assigning_a_course_enrols_every_member_with_its_due_date(
        app, manager_client, cohort, courses, make_member):
    ana = make_member()
    _add(manager_client, cohort, email=ana.email)
    response = manager_client.submit(f"/institutions/cohorts/{cohort}/courses", {
        "course": courses["migration-basics"], "due_on": "2031-03-31"})
    assert response.status_code == 302
    assert _enrolments(app, ana.id) == {
        courses["migration-basics"]: (True, date(2031, 3, 31), "cohort")}


def test_invitation_only_courses_can_be_assigned(app, manager_client, cohort, courses,
                                                 make_member):
    page = manager_client.get(f"/institutions/cohorts/{cohort}").get_data(as_text=True)
    assert "Cohort course (invitation only)" in page
    ana = make_member()
    _add(manager_client, cohort, email=ana.email)
    manager_client.submit(f"/institutions/cohorts/{cohort}/courses",
                          {"course": courses["invite-only"]})
    assert _enrolments(app, ana.id)[courses["invite-only"]][0] is True


def test_draft_courses_are_not_offered(app, manager_client, cohort, courses, tmp_path):
    write_course(tmp_path / "drafts", "draft-course", {
        "course.md": course_md("Unfinished", "Draft.", status="draft"),
        "01-a.md": lesson("A"),
    })
    publish(app, tmp_path / "drafts")
    with app.app_context():
        draft_id = db.session.scalar(select(Course.id).where(Course.slug == "draft-course"))
    response = manager_client.submit(f"/institutions/cohorts/{cohort}/courses",
                                     {"course": draft_id})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(CohortCourse)) is None


def test_changing_the_due_date_updates_every_member(app, manager_client, cohort, courses,
                                                    make_member):
    ana = make_member()
    _add(manager_client, cohort, email=ana.email)
    url = f"/institutions/cohorts/{cohort}/courses"
    manager_client.submit(url, {"course": courses["migration-basics"], "due_on": "2031-03-31"})
    response = manager_client.submit(url, {"course": courses["migration-basics"],
                                           "due_on": "2031-06-30"}, follow_redirects=True)
    assert "due date of Migration basics is updated" in response.get_data(as_text=True)
    assert _enrolments(app, ana.id)[courses["migration-basics"]][1] == date(2031, 6, 30)


def test_unassigning_a_course_keeps_enrolments(app, manager_client, cohort, courses,
                                               make_member):
    ana = make_member()
    _add(manager_client, cohort, email=ana.email)
    manager_client.submit(f"/institutions/cohorts/{cohort}/courses",
                          {"course": courses["migration-basics"]})
    response = manager_client.submit(
        f"/institutions/cohorts/{cohort}/courses/{courses['migration-basics']}/remove")
    assert response.status_code == 302
    assert _enrolments(app, ana.id)[courses["migration-basics"]][0] is True
    with app.app_context():
        assert db.session.scalar(select(CohortCourse)) is None


def test_adding_a_member_of_the_institution_enrols_and_tells_them(app, manager_client, institution,
                                                      make_cohort, courses, make_member, outbox):
    cohort = make_cohort(institution, course_ids=[courses["invite-only"]])
    ana = make_member()
    response = _add(manager_client, cohort, email=f"  {ana.email.upper()} ")
    assert response.status_code == 302
    assert _enrolments(app, ana.id)[courses["invite-only"]][0] is True
    mails = [p.read_text() for p in outbox.glob("*.eml")]
    assert len(mails) == 1 and f"To: {ana.email}" in mails[0]
    assert "Cohort course" in mails[0] and "invitation" not in mails[0]


def test_adding_an_unknown_address_creates_and_invites_the_account(
        app, client, manager_client, institution, make_cohort, courses, outbox):
    cohort = make_cohort(institution, course_ids=[courses["migration-basics"]])
    response = _add(manager_client, cohort, email="New.Person@Example.org",
                    full_name="New Person", language="fr", external_id="E-7")
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
        assert (user.full_name, user.language, user.password_hash) == ("New Person", "fr", None)
        member = db.session.scalar(select(CohortMember))
        assert (member.user_id, member.external_id) == (user.id, "E-7")
    assert courses["migration-basics"] in _enrolments(app, user.id)
    mail = next(outbox.glob("*.eml")).read_text()
    link = re.search(r"http://localhost(/account/invitation/\S+)", mail.replace("=\n", ""))
    assert "Bonjour" in mail and link
    assert client.get(link.group(1)).status_code == 200


def test_a_new_account_needs_a_name(app, manager_client, cohort):
    response = _add(manager_client, cohort, email="new@example.org")
    assert response.status_code == 400
    assert "Enter the person&#39;s full name" in response.get_data(as_text=True)
    assert counts(app).members == 0


def test_adding_someone_already_in_the_cohort_changes_nothing(
        app, manager_client, cohort, make_member, outbox):
    ana = make_member()
    _add(manager_client, cohort, email=ana.email, external_id="FIRST")
    response = _add(manager_client, cohort, email=ana.email, external_id="SECOND",
                    follow_redirects=True)
    assert "already in the cohort: nothing changed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CohortMember.external_id)) == "FIRST"
    assert len(list(outbox.glob("*.eml"))) == 1


def test_adding_an_account_never_changes_its_name_or_language(app, manager_client, cohort,
                                                              make_user):
    ana = make_user("learner", name="Ana Original", language="es")
    _add(manager_client, cohort, email=ana.email, full_name="Someone Else", language="fr")
    with app.app_context():
        user = db.session.get(User, ana.id)
        assert (user.full_name, user.language) == ("Ana Original", "es")


def test_removing_a_learner_keeps_account_and_enrolments(app, manager_client, institution,
                                                         make_cohort, courses, make_member):
    cohort = make_cohort(institution, course_ids=[courses["migration-basics"]])
    ana = make_member()
    _add(manager_client, cohort, email=ana.email)
    response = manager_client.submit(f"/institutions/cohorts/{cohort}/members/{ana.id}/remove")
    assert response.status_code == 302
    assert counts(app, cohort).members == 0
    assert _enrolments(app, ana.id)[courses["migration-basics"]][0] is True
    with app.app_context():
        assert db.session.get(User, ana.id) is not None


def test_removing_someone_not_in_the_cohort_is_404(manager_client, cohort, learner):
    assert manager_client.submit(
        f"/institutions/cohorts/{cohort}/members/{learner.id}/remove").status_code == 404


def test_cohort_page_lists_courses_and_learners(manager_client, institution, make_cohort,
                                                courses, make_member):
    cohort = make_cohort(institution, course_ids=[courses["migration-basics"]],
                         due_on=date(2031, 1, 15))
    ana = make_member(name="Ana López")
    _add(manager_client, cohort, email=ana.email)
    page = manager_client.get(f"/institutions/cohorts/{cohort}").get_data(as_text=True)
    assert "Migration basics" in page and "Ana López" in page and ana.email in page
    assert "1 learner" in page


def test_learner_list_is_searchable(manager_client, cohort, make_member):
    for name in ("Ana López", "Bruno Díaz"):
        _add(manager_client, cohort, email=make_member(name=name).email)
    page = manager_client.get(f"/institutions/cohorts/{cohort}?q=bruno").get_data(as_text=True)
    assert "Bruno Díaz" in page and "Ana López" not in page


@pytest.mark.parametrize("query", ["diaz", "DÍAZ", "bruno diaz", "Bruno Díaz"])
def test_learner_list_filter_ignores_case_and_accents(manager_client, cohort, make_member,
                                                      query):
    for name in ("Ana López", "Bruno Díaz"):
        _add(manager_client, cohort, email=make_member(name=name).email)
    page = manager_client.get(f"/institutions/cohorts/{cohort}",
                              query_string={"q": query}).get_data(as_text=True)
    assert "Bruno Díaz" in page and "Ana López" not in page


def test_invited_list_filter_ignores_case_and_accents(manager_client, cohort):
    _add(manager_client, cohort, email="hele@example.net", full_name="Hélène Lefèvre")
    _add(manager_client, cohort, email="marc@example.net", full_name="Marc Dupont")
    page = manager_client.get(f"/institutions/cohorts/{cohort}",
                              query_string={"q": "HELENE lefevre"}).get_data(as_text=True)
    assert "Hélène Lefèvre" in page and "Marc Dupont" not in page
