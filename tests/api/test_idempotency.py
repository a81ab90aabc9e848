"""`Idempotency-Key`: a retried POST applies once and answers as the first did."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from sqlalchemy import func, select

from ecampus.extensions import db
from ecampus.institutions.models import Cohort
from tests.api.conftest import make_token
from tests.live import run_together


def _cohorts(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Cohort))


def test_a_retried_post_is_applied_once_and_replayed(app, manager_api):
    before = _cohorts(app)
    key = {"Idempotency-Key": "create-customs-1"}
    first = manager_api.post("/cohorts", {"name": "Customs"}, headers=key)
    again = manager_api.post("/cohorts", {"name": "Customs"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert _cohorts(app) == before + 1


def test_the_same_key_with_another_body_is_a_422(app, manager_api):
    key = {"Idempotency-Key": "create-customs-2"}
    assert manager_api.post("/cohorts", {"name": "Customs"}, headers=key).status_code == 201
    other = manager_api.post("/cohorts", {"name": "Police"}, headers=key)
    assert other.status_code == 422
    assert other.mimetype == "application/problem+json"


def test_keys_belong_to_their_token(app, manager_api, institution, client):
    from tests.api.conftest import Api

    key = {"Idempotency-Key": "shared-key"}
    assert manager_api.post("/cohorts", {"name": "A"}, headers=key).status_code == 201
    other = Api(client, make_token(app, institution[1].id))
    assert other.post("/cohorts", {"name": "A"}, headers=key).status_code == 201
    assert "Idempotent-Replayed" not in other.post("/cohorts", {"name": "B"}).headers


def test_a_request_that_failed_before_applying_can_be_sent_again(app, manager_api,
                                                                 institution):
    key = {"Idempotency-Key": "archive-twice"}
    path = f"/cohorts/{institution[2]}/archive"
    assert manager_api.post(path, headers=key).status_code == 200
    assert manager_api.post(path, headers=key).status_code == 200  # replayed, not a 409
    assert manager_api.post(path).status_code == 409  # without a key: done already


def test_a_key_too_long_is_refused(manager_api):
    response = manager_api.post("/cohorts", {"name": "X"},
                                headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 400


def test_concurrent_duplicates_create_one_cohort(app, live_server, institution):
    secret = make_token(app, institution[1].id)
    before = _cohorts(app)

    def create():
        request = urllib.request.Request(  # noqa: S310 - the test's own live server
            live_server + "/api/v1/cohorts", method="POST",
            data=json.dumps({"name": "Raced"}).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json",
                     "Idempotency-Key": "raced-key"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    results = run_together(*[create] * 4)
    assert all(not isinstance(r, Exception) for r in results), results
    assert {status for status, _body in results} == {201}, results
    assert len({body["id"] for _status, body in results}) == 1
    assert _cohorts(app) == before + 1


def test_keys_older_than_a_day_are_purged(app, manager_api):
    from datetime import timedelta

    from sqlalchemy import update

    from ecampus.api.models import IdempotentRequest
    from ecampus.api.retention import purge_idempotency_keys
    from ecampus.timeutil import utcnow

    for key in ("old", "new"):
        manager_api.post("/cohorts", {"name": key}, headers={"Idempotency-Key": key})
    with app.app_context():
        db.session.execute(update(IdempotentRequest).where(IdempotentRequest.key == "old")
                           .values(created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
        assert purge_idempotency_keys(utcnow(), dry_run=False) == ("api_idempotency_keys", 1)
        assert db.session.scalars(select(IdempotentRequest.key)).all() == ["new"]
