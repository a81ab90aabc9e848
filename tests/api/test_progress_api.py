"""Progress, results and certificates through the API: keyset pages, incremental reads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ecampus.catalog.models import Module
from ecampus.extensions import db
from ecampus.learning import services as learning
from ecampus.learning.models import Enrolment
from ecampus.timeutil import utcnow
from tests.api.conftest import Api, make_token
from tests.world import _make_member


def _cohort_of(app, manager_api, institution, course_id, make_user, count: int):
    cohort_id = institution[2]
    manager_api.send("PUT", f"/cohorts/{cohort_id}/courses/{course_id}", {})
    learners = [make_user("learner") for _ in range(count)]
    with app.app_context():
        for learner in learners:
            _make_member(institution[0], cohort_id, learner.id)
        from ecampus.institutions import membership

        membership.enrol_members([u.id for u in learners], {course_id: None})
        db.session.commit()
    return learners


def _complete(app, user_id: int, course_id: int, slugs=("one", "two")) -> None:
    with app.app_context():
        for slug in slugs:
            module = db.session.scalar(select(Module).where(Module.course_id == course_id,
                                                            Module.slug == slug))
            learning.complete_module(user_id, module)


def _read_all(api, path: str, limit: int) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        url = f"{path}{'&' if '?' in path else '?'}limit={limit}"
        response = api.get(url + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.json
        items += response.json["items"]
        cursor, pages = response.json["next_cursor"], pages + 1
        if cursor is None:
            return items
        assert pages < 100


def test_progress_pages_cover_every_learner_once(app, manager_api, institution, course_id,
                                                 make_user):
    learners = _cohort_of(app, manager_api, institution, course_id, make_user, 7)
    items = _read_all(manager_api, f"/cohorts/{institution[2]}/progress", limit=3)
    assert sorted(i["user_id"] for i in items) == sorted(u.id for u in learners)
    assert {i["progress_percent"] for i in items} == {0}


def test_progress_shows_completion_results_and_certificate(app, manager_api, institution,
                                                           course_id, make_user):
    learner = _cohort_of(app, manager_api, institution, course_id, make_user, 1)[0]
    _complete(app, learner.id, course_id)
    item = manager_api.get(f"/cohorts/{institution[2]}/progress").json["items"][0]
    assert item["progress_percent"] == 100 and item["completed_at"].endswith("Z")
    assert item["certificate_code"]
    mine = manager_api.get(f"/cohorts/{institution[2]}/members/{learner.id}/progress")
    assert mine.json["items"] == [item]


def test_updated_since_returns_only_what_changed(app, manager_api, institution, course_id,
                                                 make_user):
    first, second = _cohort_of(app, manager_api, institution, course_id, make_user, 2)
    with app.app_context():
        db.session.execute(update(Enrolment).values(updated_at=utcnow() - timedelta(days=1)))
        db.session.commit()
    since = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    _complete(app, second.id, course_id, slugs=("one",))
    stamp = since.isoformat() + "Z"
    items = manager_api.get(f"/cohorts/{institution[2]}/progress?updated_since={stamp}"
                            ).json["items"]
    assert [(i["user_id"], i["progress_percent"]) for i in items] == [(second.id, 50)]


def test_a_nonsense_cursor_is_a_400_problem(manager_api, institution):
    response = manager_api.get(f"/cohorts/{institution[2]}/progress?cursor=bm9wZQ")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_a_learner_reads_only_their_own_learning(app, manager_api, institution, course_id,
                                                 make_user, client):
    learner, other = _cohort_of(app, manager_api, institution, course_id, make_user, 2)
    _complete(app, learner.id, course_id)
    mine = Api(client, make_token(app, learner.id, "personal", ("read",)))
    enrolments = mine.get("/me/enrolments").json["items"]
    assert [e["user_id"] for e in enrolments] == [learner.id]
    certificates = mine.get("/me/certificates").json["items"]
    assert [c["user_id"] for c in certificates] == [learner.id]
    assert mine.get(f"/certificates/{certificates[0]['code']}").status_code == 200
    assert mine.get("/cohorts").status_code == 403
    assert mine.get(f"/cohorts/{institution[2]}/progress").status_code == 403
    theirs = Api(client, make_token(app, other.id, "personal", ("read",)))
    assert theirs.get(f"/certificates/{certificates[0]['code']}").status_code == 404


def test_certificates_are_listed_and_only_a_site_token_revokes(app, manager_api, institution,
                                                               course_id, make_user, admin,
                                                               client):
    learner = _cohort_of(app, manager_api, institution, course_id, make_user, 1)[0]
    _complete(app, learner.id, course_id)
    listed = manager_api.get("/certificates").json["items"]
    assert [c["user_id"] for c in listed] == [learner.id]
    code = listed[0]["code"]
    reason = {"reason": "Issued by mistake"}
    assert manager_api.post(f"/certificates/{code}/revoke", reason).status_code == 403
    site = Api(client, make_token(app, admin.id, "site", ("read", "admin")))
    revoked = site.post(f"/certificates/{code}/revoke", reason)
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"
    assert site.post(f"/certificates/{code}/revoke", reason).status_code == 409
