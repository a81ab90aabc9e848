"""The pages where people make, see and revoke API tokens."""

from __future__ import annotations

import re

from sqlalchemy import select

from ecampus.api.models import ApiToken
from ecampus.extensions import db
from tests.api.conftest import Api

_SECRET = re.compile(r'value="(ecp_[^"]+)"')


def _tokens(app):
    with app.app_context():
        rows = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def test_a_learner_makes_a_personal_token_shown_once(app, learner):
    client = app.test_client()
    client.sign_in(learner.email)
    page = client.submit("/account/api-tokens", {"name": "My portal", "days": "30"})
    assert page.status_code == 200
    secret = _SECRET.search(page.get_data(as_text=True)).group(1)
    (token,) = _tokens(app)
    assert (token.kind, token.scopes, token.user_id) == ("personal", "read", learner.id)
    listing = client.get("/account/api-tokens").get_data(as_text=True)
    assert "My portal" in listing and token.prefix in listing and secret not in listing
    me = Api(app.test_client(), secret).get("/me").json
    assert me["kind"] == "personal" and me["user_id"] == learner.id


def test_a_token_without_a_name_is_refused_with_the_form_again(app, learner):
    client = app.test_client()
    client.sign_in(learner.email)
    page = client.submit("/account/api-tokens", {"name": " ", "days": "30"})
    assert page.status_code == 400
    assert "error-summary" in page.get_data(as_text=True)
    assert _tokens(app) == []


def test_an_unknown_lifetime_is_refused(app, learner):
    client = app.test_client()
    client.sign_in(learner.email)
    assert client.submit("/account/api-tokens",
                         {"name": "Forever", "days": "99999"}).status_code == 400
    assert _tokens(app) == []


def test_a_manager_makes_an_institution_token_that_may_enrol(app, institution):
    client = app.test_client()
    client.sign_in(institution[1].email)
    page = client.submit("/institutions/api-tokens",
                         {"name": "HR sync", "days": "90", "enrol": "y"})
    secret = _SECRET.search(page.get_data(as_text=True)).group(1)
    (token,) = _tokens(app)
    assert (token.kind, token.institution_id) == ("institution", institution[0])
    assert token.scope_list == ["enrol", "read"]
    assert Api(app.test_client(), secret).post("/cohorts", {"name": "New"}).status_code == 201


def test_an_admin_sees_and_revokes_every_token(app, institution, admin):
    manager = app.test_client()
    manager.sign_in(institution[1].email)
    manager.submit("/institutions/api-tokens", {"name": "HR sync", "days": "90"})
    client = app.test_client()
    client.sign_in(admin.email)
    assert "HR sync" in client.get("/admin/api-tokens").get_data(as_text=True)
    (token,) = _tokens(app)
    assert client.submit(f"/api-tokens/{token.id}/revoke").status_code == 302
    assert _tokens(app)[0].revoked_at is not None


def test_another_manager_cannot_revoke_the_token(app, institution, make_user):
    manager = app.test_client()
    manager.sign_in(institution[1].email)
    manager.submit("/institutions/api-tokens", {"name": "HR sync", "days": "90"})
    other = make_user("manager")
    client = app.test_client()
    client.sign_in(other.email)
    (token,) = _tokens(app)
    assert client.submit(f"/api-tokens/{token.id}/revoke").status_code == 404
    assert _tokens(app)[0].revoked_at is None


def test_the_documentation_page_is_drawn_from_the_contract(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "GET /api/v1/cohorts/{cohort_id}/progress" in text
    assert "<script" not in text.split("</header>", 1)[-1].split("<footer", 1)[0]
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"] == "3.1.0"
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
