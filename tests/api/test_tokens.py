"""API tokens: hashed, scoped, expiring, revocable, bound to their owner's rights, counted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ecampus.api.models import ApiToken
from ecampus.audit.models import AuditEntry
from ecampus.extensions import db
from ecampus.institutions import services as institutions
from ecampus.timeutil import utcnow
from tests.api.conftest import Api, make_token


def _token_row(app) -> ApiToken:
    with app.app_context():
        row = db.session.scalars(select(ApiToken)).one()
        db.session.expunge(row)
        return row


def test_only_a_hash_of_the_secret_is_stored(app, institution):
    secret = make_token(app, institution[1].id)
    row = _token_row(app)
    assert secret not in (row.secret_hash, row.prefix, row.name)
    assert secret.startswith(row.prefix) and len(row.prefix) < len(secret) // 2


def test_creating_a_token_is_audited_without_the_secret(app, institution):
    secret = make_token(app, institution[1].id)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "api_token.created")).one()
        assert entry.institution_id == institution[0]
        assert entry.actor_id == institution[1].id
        assert secret not in str(entry.after)


def test_a_request_without_a_token_gets_a_401_problem(client):
    response = client.get("/api/v1/cohorts")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_session_cookie_never_authorises_an_api_call(app, institution):
    client = app.test_client()
    client.sign_in(institution[1].email)
    assert client.get("/institutions/").status_code == 200
    assert client.get("/api/v1/cohorts").status_code == 401


def test_an_unknown_token_is_refused(client):
    assert Api(client, "ecp_" + "x" * 43).get("/cohorts").status_code == 401
    assert Api(client, "not-even-the-format").get("/cohorts").status_code == 401


def test_an_expired_token_is_refused(app, client, institution):
    secret = make_token(app, institution[1].id)
    assert Api(client, secret).get("/cohorts").status_code == 200
    with app.app_context():
        db.session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert Api(client, secret).get("/cohorts").status_code == 401


def test_a_revoked_token_is_refused(app, client, institution):
    secret = make_token(app, institution[1].id)
    pages = app.test_client()
    pages.sign_in(institution[1].email)
    token_id = _token_row(app).id
    assert pages.submit(f"/api-tokens/{token_id}/revoke").status_code == 302
    assert Api(client, secret).get("/cohorts").status_code == 401


def test_a_token_stops_when_its_manager_no_longer_manages_the_institution(
        app, client, institution):
    secret = make_token(app, institution[1].id)
    with app.app_context():
        institutions.remove_manager(institution[0], institution[1].id)
    assert Api(client, secret).get("/cohorts").status_code == 401


def test_a_read_token_cannot_change_anything(app, client, institution):
    api = Api(client, make_token(app, institution[1].id, scopes=("read",)))
    assert api.get("/cohorts").status_code == 200
    response = api.post("/cohorts", {"name": "Not allowed"})
    assert response.status_code == 403
    assert "enrol" in response.json["detail"]


def test_a_manager_cannot_make_a_token_for_another_institution(app, institution, make_user):
    other = make_user("manager")
    with app.app_context():
        theirs = institutions.create_institution("Elsewhere", "")
        institutions.make_manager(theirs.id, other.email)
        theirs_id = theirs.id
    try:
        make_token(app, institution[1].id, institution_id=theirs_id)
    except Exception as error:  # noqa: BLE001
        assert "do not manage" in str(error)
    else:
        raise AssertionError("a token for another institution was made")


def test_a_manager_cannot_make_a_site_or_admin_token(app, institution):
    for kind, scopes in (("site", ("read",)), ("institution", ("read", "admin"))):
        try:
            make_token(app, institution[1].id, kind, scopes)
        except Exception:  # noqa: BLE001, S112 - refused, as it should be
            continue
        raise AssertionError(f"a manager made a {kind} token with {scopes}")


def test_last_use_is_recorded_at_most_once_a_minute(app, client, institution):
    api = Api(client, make_token(app, institution[1].id))
    assert _token_row(app).last_used_at is None
    api.get("/me")
    first = _token_row(app).last_used_at
    assert first is not None
    api.get("/me")
    assert _token_row(app).last_used_at == first
    with app.app_context():
        db.session.execute(update(ApiToken).values(last_used_at=first - timedelta(minutes=2)))
        db.session.commit()
    api.get("/me")
    assert _token_row(app).last_used_at > first - timedelta(minutes=1)


def test_requests_beyond_the_rate_limit_get_a_429_problem(app, client, institution,
                                                          monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMITS", "3/minute")
    api = Api(client, make_token(app, institution[1].id))
    other = Api(client, make_token(app, institution[1].id))
    assert [api.get("/me").status_code for _ in range(3)] == [200] * 3
    refused = api.get("/me")
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert other.get("/me").status_code == 200  # counted per token
