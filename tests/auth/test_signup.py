"""Sign-up is confirmed by mail, and never tells anyone whether an address has an account."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from ecampus.auth import services
from ecampus.auth.models import SignupRequest, User
from ecampus.extensions import db
from tests.auth.helpers import confirm_signup, confirmation_link, link, mails, signup
from tests.conftest import PASSWORD

_CSRF_VALUE = re.compile(r'value="[^"]*"')


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _page_after_signup(client, **overrides) -> tuple[str, str]:
    response = signup(client, **overrides)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    return response.headers["Location"], _CSRF_VALUE.sub("", page)


def test_new_and_existing_address_get_the_same_page(app, learner, outbox):
    new = _page_after_signup(app.test_client(), email="new@example.org")
    existing = _page_after_signup(app.test_client(), email=learner.email.upper())
    assert new == existing
    assert "Check your email to finish creating your account" in new[1]


def test_new_address_is_mailed_a_confirmation_link(app, client, outbox):
    signup(client)
    [mail] = mails(outbox, "ana@example.org")
    assert "/account/signup/" in mail["body"]
    assert _count(app, User) == 0


def test_existing_address_is_mailed_how_to_sign_in_or_reset(app, client, learner, outbox):
    signup(client, email=learner.email, full_name="Someone Else")
    [mail] = mails(outbox, learner.email)
    assert "You already have one" in mail["body"]
    assert link(mail["body"], "/account/login")
    assert link(mail["body"], "/account/reset")
    assert "/account/signup/" not in mail["body"]
    assert _count(app, SignupRequest) == 0
    with app.app_context():
        assert db.session.get(User, learner.id).full_name == learner.full_name


def test_pending_signup_cannot_sign_in(client, outbox):
    signup(client)
    response = client.submit("/account/login", {"email": "ana@example.org",
                                                 "password": PASSWORD})
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)


def test_pending_signup_stores_only_hashes(app, client, outbox):
    signup(client)
    token = confirmation_link(outbox).rsplit("/", 1)[1]
    with app.app_context():
        row = db.session.scalar(select(SignupRequest))
        assert PASSWORD not in row.password_hash and row.password_hash.startswith("pbkdf2:")
        assert token not in row.token_hash


def test_opening_the_link_creates_nothing_until_confirmed(app, client, outbox):
    signup(client)
    page = client.get(confirmation_link(outbox))
    assert page.status_code == 200
    assert "ana@example.org" in page.get_data(as_text=True)
    assert _count(app, User) == 0


def test_confirmed_account_signs_in_with_its_password(app, client, outbox):
    signup(client)
    confirm_signup(client, outbox)
    app.test_client().sign_in("ana@example.org")


def test_confirmation_link_works_once(client, outbox, app):
    signup(client)
    confirm_signup(client, outbox)
    again = app.test_client().get(confirmation_link(outbox))
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_expired_confirmation_link_is_refused(app, client, outbox):
    signup(client)
    with app.app_context():
        row = db.session.scalar(select(SignupRequest))
        row.expires_at -= timedelta(hours=25)
        db.session.commit()
    response = client.get(confirmation_link(outbox))
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert _count(app, User) == 0


def test_forged_confirmation_link_is_refused(client):
    assert client.get("/account/signup/not-a-real-token").status_code == 410


def test_unconfirmed_signup_does_not_block_a_later_one(app, outbox):
    first, second = app.test_client(), app.test_client()
    signup(first, full_name="Not Me")
    signup(second, password="another password", confirm="another password")
    confirm_signup(second, outbox)
    with app.app_context():
        assert db.session.scalar(select(User)).full_name == "Ana María Núñez"
    app.test_client().sign_in("ana@example.org", "another password")


def test_earlier_pending_signup_cannot_take_over_the_account(app, outbox):
    first, second = app.test_client(), app.test_client()
    signup(first, full_name="Not Me", password="attacker password",
           confirm="attacker password")
    stale = confirmation_link(outbox)
    signup(second)
    confirm_signup(second, outbox)
    response = first.submit(stale)
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User)).full_name == "Ana María Núñez"


def test_unconfirmed_signup_does_not_block_an_invitation(app, client, outbox):
    signup(client)
    with app.app_context():
        invited = services.create_user("ana@example.org", "Ana Invited", None)
        invited_id = invited.id
    response = client.submit(confirmation_link(outbox))
    assert response.status_code == 409
    with app.app_context():
        user = db.session.get(User, invited_id)
        assert user.full_name == "Ana Invited" and user.password_hash is None


def test_signups_from_one_address_are_limited(app, monkeypatch, outbox):
    monkeypatch.setitem(app.config, "SIGNUP_LIMITS", "2/hour")
    client = app.test_client()
    statuses = [signup(client, email=f"p{n}@example.org").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mails(outbox)) == 2
