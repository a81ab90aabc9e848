"""Who reaches what through the API, for every route of the API blueprint, from the URL map.

Each route is called with ids that belong to the first institution (tests/world.py): its
cohort, course, learner and certificate. The second institution's token must find none of
them and change none; a learner's personal token reaches no institution data; an expired,
revoked or read-only token is refused. No route is listed by hand: a new API route is
tested the moment it exists (only its request body must be added to BODIES).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from ecampus.api.models import ApiToken
from ecampus.extensions import db
from ecampus.timeutil import utcnow
from tests.api.conftest import Api, make_token
from tests.world import world_fixture

#: A valid body for each operation that takes one, so the answer is about who asks.
BODIES = {
    "api.create_cohort": {"name": "Taken over"},
    "api.update_cohort": {"name": "Taken over"},
    "api.assign_course": {"due_on": "2030-01-01"},
    "api.add_members": {"people": [{"email": "intruder@example.org", "full_name": "In"}]},
    "api.revoke_certificate": {"reason": "Taken over"},
    "api.create_webhook": {"url": "https://hooks.example.org/in", "events": ["course.completed"]},
}
#: Routes that read only the token's own account.
OWN = {"api.me", "api.my_enrolments", "api.my_certificates"}
#: Arguments naming the first institution's things: another institution gets a 404.
THEIRS = {"cohort_id", "code", "endpoint_id"}


@pytest.fixture
def world(app, make_user, tmp_path, monkeypatch):
    yield from world_fixture(app, make_user, tmp_path, monkeypatch)


def _routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule, method))
    assert len(found) > 15
    return found


def _call(app, api: Api, world, rule, method):
    values = world.values()
    url = app.url_map.bind("localhost").build(
        rule.endpoint, {a: values[a] for a in rule.arguments}, method=method)
    path = url.removeprefix("/api/v1")
    if method == "GET":
        return api.get(path)
    return api.send(method, path, BODIES.get(rule.endpoint))


def _secret(app, world, role, *args, **kwargs):
    return make_token(app, world.users[role].id, *args, **kwargs)


def test_every_route_with_a_body_has_a_valid_one_here(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    with_body = {f"api.{op['operationId']}" for methods in spec["paths"].values()
                 for op in methods.values() if "requestBody" in op}
    assert with_body <= BODIES.keys(), with_body - BODIES.keys()


def test_another_institution_sees_and_changes_nothing_of_the_first(app, world):
    own = Api(app.test_client(), _secret(app, world, "manager"))
    other = Api(app.test_client(), _secret(app, world, "other_manager"))
    before = {path: own.get(path).json for path in (
        f"/cohorts/{world.cohort_id}", f"/cohorts/{world.cohort_id}/courses",
        f"/cohorts/{world.cohort_id}/members", f"/certificates/{world.certificate_code}")}
    learner = world.users["learner"]
    secrets = (learner.email, world.certificate_code)
    wrong = []
    for rule, method in _routes(app):
        response = _call(app, other, world, rule, method)
        text = response.get_data(as_text=True)
        if THEIRS & set(rule.arguments):
            expected = 403 if rule.endpoint == "api.revoke_certificate" else 404
            if response.status_code != expected:
                wrong.append(f"{method} {rule.rule}: {response.status_code}, not {expected}")
        elif response.status_code >= 500 or any(s in text for s in secrets):
            wrong.append(f"{method} {rule.rule}: {response.status_code} {text[:200]}")
        if response.status_code < 400 and response.mimetype != "application/json" \
                and response.status_code != 204:
            wrong.append(f"{method} {rule.rule}: {response.mimetype}")
    assert not wrong, "\n".join(wrong)
    after = {path: own.get(path).json for path in before}
    assert after == before


def test_the_first_institution_reaches_its_own_things(app, world):
    own = Api(app.test_client(), _secret(app, world, "manager"))
    for rule, method in _routes(app):
        if method == "GET" and rule.endpoint not in OWN:
            response = _call(app, own, world, rule, method)
            assert response.status_code == 200, (rule.rule, response.json)


def test_a_learners_token_reaches_only_their_own_learning(app, world):
    mine = Api(app.test_client(), _secret(app, world, "learner", "personal", ("read",)))
    for rule, method in _routes(app):
        response = _call(app, mine, world, rule, method)
        if rule.endpoint in OWN or (rule.endpoint == "api.certificate"):
            assert response.status_code == 200, (rule.rule, response.json)
        else:
            assert response.status_code == 403, (method, rule.rule, response.status_code)


def test_another_learners_token_does_not_find_the_certificate(app, world):
    theirs = Api(app.test_client(),
                 _secret(app, world, "other_learner", "personal", ("read",)))
    assert theirs.get(f"/certificates/{world.certificate_code}").status_code == 404


@pytest.mark.parametrize("state", ["expired", "revoked"])
def test_a_dead_token_is_refused_everywhere(app, world, state):
    api = Api(app.test_client(), _secret(app, world, "manager"))
    with app.app_context():
        column = "expires_at" if state == "expired" else "revoked_at"
        db.session.execute(update(ApiToken).values(
            {column: utcnow() - timedelta(seconds=1)}))
        db.session.commit()
    for rule, method in _routes(app):
        response = _call(app, api, world, rule, method)
        assert response.status_code == 401, (method, rule.rule, response.status_code)
        assert response.mimetype == "application/problem+json"


def test_a_read_only_token_changes_nothing(app, world):
    api = Api(app.test_client(), _secret(app, world, "manager", scopes=("read",)))
    for rule, method in _routes(app):
        if method != "GET":
            response = _call(app, api, world, rule, method)
            assert response.status_code == 403, (method, rule.rule, response.status_code)


def test_an_admins_site_token_reaches_every_institution(app, world):
    site = Api(app.test_client(), _secret(app, world, "admin", "site", ("read",)))
    for cohort_id in (world.cohort_id, world.other_cohort_id):
        assert site.get(f"/cohorts/{cohort_id}").status_code == 200
