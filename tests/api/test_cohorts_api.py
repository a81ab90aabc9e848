"""Cohorts, their courses and members through the API, with the pages' rules."""

from __future__ import annotations

from sqlalchemy import func, select

from ecampus.extensions import db
from ecampus.institutions.models import CohortImport, CohortMember
from ecampus.learning.models import Enrolment


def test_cohorts_are_listed_created_and_read(manager_api, institution):
    created = manager_api.post("/cohorts", {"name": "  Customs   officers ",
                                            "description": "Autumn"})
    assert created.status_code == 201, created.json
    body = created.json
    assert body["name"] == "Customs officers" and body["institution_id"] == institution[0]
    assert body["created_at"].endswith("Z") and body["archived_at"] is None
    assert created.headers["Location"].endswith(f"/api/v1/cohorts/{body['id']}")
    names = [c["name"] for c in manager_api.get("/cohorts").json["items"]]
    assert names == ["Auditors", "Customs officers"]
    assert manager_api.get(f"/cohorts/{body['id']}").json == body


def test_a_cohort_is_renamed_and_archived_once(manager_api, institution):
    cohort_id = institution[2]
    renamed = manager_api.send("PATCH", f"/cohorts/{cohort_id}", {"name": "Senior auditors"})
    assert renamed.json["name"] == "Senior auditors"
    archived = manager_api.post(f"/cohorts/{cohort_id}/archive")
    assert archived.status_code == 200 and archived.json["archived_at"]
    assert manager_api.post(f"/cohorts/{cohort_id}/archive").status_code == 409
    assert manager_api.get("/cohorts").json["items"] == []
    assert [c["id"] for c in manager_api.get("/cohorts?archived=true").json["items"]] == [
        cohort_id]


def test_bad_input_is_a_422_problem_naming_the_field(manager_api):
    response = manager_api.post("/cohorts", {"name": ""})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "name" in response.json["errors"]["json"]


def test_a_course_is_assigned_with_a_due_date_and_unassigned(manager_api, institution,
                                                              course_id):
    cohort_id = institution[2]
    assigned = manager_api.send("PUT", f"/cohorts/{cohort_id}/courses/{course_id}",
                                {"due_on": "2031-03-31"})
    assert assigned.status_code == 200
    assert assigned.json == [{"course_id": course_id, "slug": "border-law",
                              "title": "Border law", "due_on": "2031-03-31"}]
    assert manager_api.send("DELETE",
                            f"/cohorts/{cohort_id}/courses/{course_id}").status_code == 204
    assert manager_api.get(f"/cohorts/{cohort_id}/courses").json == []
    assert manager_api.send("DELETE",
                            f"/cohorts/{cohort_id}/courses/{course_id}").status_code == 404


def _people(*emails):
    return [{"email": e, "full_name": f"Person {n}", "external_id": f"E-{n}"}
            for n, e in enumerate(emails)]


def test_bulk_add_previews_without_changing_anything(app, manager_api, institution):
    response = manager_api.post(f"/cohorts/{institution[2]}/members",
                                {"people": _people("a@example.org", "b@example.org"),
                                 "preview": True})
    assert response.status_code == 200, response.json
    assert response.json["applied"] is False
    assert response.json["counts"]["invite"] == 2
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 0


def test_bulk_add_applies_everyone_and_enrols_them(app, manager_api, institution, course_id):
    cohort_id = institution[2]
    manager_api.send("PUT", f"/cohorts/{cohort_id}/courses/{course_id}", {})
    response = manager_api.post(f"/cohorts/{cohort_id}/members",
                                {"people": _people("a@example.org", "b@example.org",
                                                   "c@example.org")})
    assert response.status_code == 200, response.json
    assert response.json["applied"] is True and response.json["counts"]["invited"] == 3
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 3
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 3
        record = db.session.scalars(select(CohortImport)).one()
        assert record.applied_at is not None  # in the cohort's import history


def test_bulk_add_with_one_bad_person_adds_nobody(app, manager_api, institution):
    people = _people("a@example.org", "not-an-address", "a@example.org")
    response = manager_api.post(f"/cohorts/{institution[2]}/members", {"people": people})
    assert response.status_code == 422
    problems = response.json["errors"]["people"]
    assert {(p["index"], p["code"]) for p in problems} == {(1, "invalid_email"),
                                                          (2, "conflicting_duplicate")}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CohortMember)) == 0


def test_formula_like_values_are_kept_as_typed(app, manager_api, institution):
    people = [{"email": "f@example.org", "full_name": "=Sum Person", "external_id": "+33"}]
    assert manager_api.post(f"/cohorts/{institution[2]}/members",
                            {"people": people}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(CohortMember.external_id)) == "+33"


def test_a_member_is_removed(app, manager_api, institution, make_user):
    from tests.world import _make_member

    learner = make_user("learner")
    with app.app_context():
        _make_member(institution[0], institution[2], learner.id)
    listed = manager_api.get(f"/cohorts/{institution[2]}/members").json["items"]
    assert [m["user_id"] for m in listed] == [learner.id]
    path = f"/cohorts/{institution[2]}/members/{learner.id}"
    assert manager_api.send("DELETE", path).status_code == 204
    assert manager_api.send("DELETE", path).status_code == 404


def test_malformed_people_are_a_422_naming_each_one(app, manager_api, institution):
    response = manager_api.post(f"/cohorts/{institution[2]}/members", {"people": [
        "just text", {"full_name": "No address"}, {"email": "x@example.org", "age": 3}]})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]["people"]
    assert set(errors) == {"0", "1", "2"}
    assert "email" in errors["1"] and "age" in errors["2"]


def test_updated_since_must_be_an_rfc3339_time(manager_api, institution):
    for value in ("yesterday", "2026-12-07T10:00:00", "99999-01-01T00:00:00Z"):
        response = manager_api.get(f"/cohorts/{institution[2]}/progress?updated_since={value}")
        assert response.status_code == 422, value


def test_webhook_endpoints_are_registered_listed_and_deleted(app, manager_api, monkeypatch):
    created = manager_api.post("/webhooks", {"url": "https://hooks.example.org/in",
                                             "events": ["course.completed"]})
    assert created.status_code == 201, created.json
    assert created.json["secret"].startswith("whsec_")
    listed = manager_api.get("/webhooks").json
    assert [w["id"] for w in listed] == [created.json["id"]] and "secret" not in listed[0]
    bad = manager_api.post("/webhooks", {"url": "http://10.0.0.1/", "events": ["quiz.graded"]})
    assert bad.status_code == 422
    assert manager_api.send("DELETE", f"/webhooks/{created.json['id']}").status_code == 204
    assert manager_api.get("/webhooks").json == []


def test_a_null_character_or_lone_surrogate_in_json_is_a_400(manager_api, institution):
    for text in ('"a\\u0000b"', '"a\\ud800b"'):
        response = manager_api.client.open(
            f"/api/v1/cohorts/{institution[2]}", method="PATCH",
            data='{"description": ' + text + "}", content_type="application/json",
            headers={"Authorization": f"Bearer {manager_api.secret}"})
        assert response.status_code == 400, text
        assert response.mimetype == "application/problem+json"
