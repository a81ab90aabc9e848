"""Who may see and change what: learners are kept out, managers stay in their institution."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from ecampus.extensions import db
from ecampus.institutions.models import CohortCourse, CohortImport, CohortMember
from tests.institutions.conftest import HEADER, counts, csv_bytes, preview_url, upload


@pytest.fixture
def other(app, make_institution, make_cohort, courses, make_member):
    """Another institution's cohort with a course, a learner and a pending import."""
    institution = make_institution("Ministry of Health")
    cohort = make_cohort(institution, "Nurses", course_ids=[courses["migration-basics"]])
    nurse = make_member(of=institution, name="Nora Nurse")
    tab = app.test_client()
    tab.sign_in(institution.manager.email)
    tab.submit(f"/institutions/cohorts/{cohort}/members", {"email": nurse.email})
    import_url = preview_url(upload(tab, cohort, csv_bytes("new@example.org,New,,")))
    import_id = int(re.search(r"/imports/(\d+)$", import_url).group(1))
    return {"cohort": cohort, "course": courses["migration-basics"], "nurse": nurse,
            "import": import_id, "institution": institution}


def _state(app, cohort_id: int):
    with app.app_context():
        return (counts(app, cohort_id),
                db.session.scalars(select(CohortCourse.course_id).where(
                    CohortCourse.cohort_id == cohort_id)).all(),
                db.session.scalars(select(CohortImport.applied_at)).all())


def test_learners_get_403_on_cohorts(client, learner):
    client.sign_in(learner.email)
    assert client.get("/institutions/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, cohort):
    for url in ("/institutions/", f"/institutions/cohorts/{cohort}/report"):
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_learners_cannot_read_a_report_even_with_its_address(client, learner, other):
    client.sign_in(learner.email)
    assert client.get(f"/institutions/cohorts/{other['cohort']}/report").status_code == 403


def test_managers_see_the_cohorts_link_and_learners_do_not(client, institution, learner):
    client.sign_in(learner.email)
    assert "/institutions/" not in client.get("/account/profile").get_data(as_text=True)
    client.submit("/account/logout")
    client.sign_in(institution.manager.email)
    assert 'href="/institutions/"' in client.get("/account/profile").get_data(as_text=True)


def test_manager_lists_only_their_own_cohorts(manager_client, cohort, other):
    page = manager_client.get("/institutions/").get_data(as_text=True)
    assert "Spring intake" in page and "Nurses" not in page


@pytest.mark.parametrize("path", [
    "/institutions/cohorts/{cohort}",
    "/institutions/cohorts/{cohort}/report",
    "/institutions/cohorts/{cohort}/report.csv",
    "/institutions/cohorts/{cohort}/import",
    "/institutions/cohorts/{cohort}/imports/{import}",
])
def test_another_institutions_pages_are_404(manager_client, other, path):
    assert manager_client.get(path.format(**other)).status_code == 404


@pytest.mark.parametrize(("path", "data"), [
    ("/institutions/cohorts/{cohort}/courses", {"course": "{course}", "due_on": "2031-01-01"}),
    ("/institutions/cohorts/{cohort}/courses/{course}/remove", {}),
    ("/institutions/cohorts/{cohort}/members", {"email": "spy@example.org", "full_name": "Spy"}),
    ("/institutions/cohorts/{cohort}/members/{nurse.id}/remove", {}),
    ("/institutions/cohorts/{cohort}/imports/{import}/confirm", {}),
])
def test_another_institutions_cohort_cannot_be_changed(app, manager_client, other, path, data):
    before = _state(app, other["cohort"])
    form = {key: value.format(**other) for key, value in data.items()}
    assert manager_client.submit(path.format(**other), form).status_code == 404
    assert _state(app, other["cohort"]) == before


def test_another_institutions_cohort_cannot_receive_an_upload(app, manager_client, other):
    before = _state(app, other["cohort"])
    response = upload(manager_client, other["cohort"], csv_bytes("spy@example.org,Spy,,"))
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(CohortImport).where(
            CohortImport.cohort_id == other["cohort"], CohortImport.id != other["import"])) \
            is None
    assert _state(app, other["cohort"]) == before


def test_an_import_cannot_be_confirmed_through_ones_own_cohort(app, manager_client, cohort,
                                                               other):
    url = f"/institutions/cohorts/{cohort}/imports/{other['import']}"
    assert manager_client.get(url).status_code == 404
    assert manager_client.submit(url + "/confirm").status_code == 404
    assert _state(app, other["cohort"])[2] == [None]
    assert counts(app, cohort).members == 0


def test_a_learner_of_another_cohort_cannot_be_removed_through_ones_own(app, manager_client,
                                                                       cohort, other):
    url = f"/institutions/cohorts/{cohort}/members/{other['nurse'].id}/remove"
    assert manager_client.submit(url).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(CohortMember.cohort_id).where(
            CohortMember.user_id == other["nurse"].id)) == other["cohort"]


@pytest.mark.parametrize(("path", "data"), [
    ("/institutions/cohorts/{cohort}/members", {"email": "a@example.org", "full_name": "A"}),
    ("/institutions/cohorts/{cohort}/courses", {"course": "1"}),
    ("/institutions/cohorts", {"name": "Forged"}),
])
def test_a_post_without_csrf_token_is_refused(app, manager_client, cohort, path, data):
    before = counts(app)
    assert manager_client.post(path.format(cohort=cohort), data=data).status_code == 400
    assert counts(app) == before


def test_an_upload_without_csrf_token_is_refused(app, manager_client, cohort):
    response = manager_client.post(f"/institutions/cohorts/{cohort}/import", data={
        "file": (io.BytesIO((HEADER + "a@example.org,A,,\n").encode()), "a.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(CohortImport)) is None


def test_a_confirmation_without_csrf_token_is_refused(app, manager_client, cohort):
    url = preview_url(upload(manager_client, cohort, csv_bytes("a@example.org,A,,")))
    assert manager_client.post(url + "/confirm").status_code == 400
    assert counts(app).applied == 0
