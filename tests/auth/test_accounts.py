"""Sign-up, sign-in, profile, password change and reset, through the real pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ecampus.auth import passwords
from ecampus.auth.models import AccountToken, User
from ecampus.extensions import db
from tests.auth.helpers import confirm_signup, reset_link, signup
from tests.conftest import PASSWORD


def _user(app, email):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def test_signup_confirmed_by_link_creates_account_and_signs_in(app, client, outbox):
    response = signup(client)
    assert response.headers["Location"] == "/account/signup/sent"
    assert _user(app, "ana@example.org") is None
    confirm_signup(client, outbox)
    user = _user(app, "ana@example.org")
    assert user.full_name == "Ana María Núñez"
    assert user.language == "es"
    assert user.role == "learner"
    assert client.get("/account/profile").status_code == 200


def test_password_is_stored_as_salted_hash(app, client, outbox):
    signup(client)
    confirm_signup(client, outbox)
    other = app.test_client()
    signup(other, email="bo@example.org")
    confirm_signup(other, outbox, to="bo@example.org")
    first, second = _user(app, "ana@example.org"), _user(app, "bo@example.org")
    assert PASSWORD not in first.password_hash
    assert first.password_hash != second.password_hash  # salted


def test_default_password_hash_is_argon2id(monkeypatch):
    from ecampus import create_app

    monkeypatch.setenv("ECAMPUS_ENV", "development")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        digest = passwords.hash_password("a long enough password")
        assert digest.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert passwords.check(digest, "a long enough password")
        assert not passwords.check(digest, "a long enough passwore")
        assert not passwords.needs_rehash(digest)


@pytest.mark.parametrize("stored", [None, "", "x", "$argon2id$v=19$not-a-hash",
                                    "scrypt:1:1:1$salt$00", "pbkdf2:sha256:1000$s"])
def test_a_missing_or_malformed_hash_matches_nothing(app, stored):
    with app.app_context():
        assert passwords.check(stored, "a long password!") is False


@pytest.mark.parametrize("method", ["scrypt", "pbkdf2:sha256:600000", "argon2id-weaker"])
def test_an_older_hash_signs_in_and_is_replaced_by_argon2id(app, client, method):
    """Accounts hashed before (scrypt, PBKDF2, weaker Argon2 parameters) keep signing in, and
    the password is hashed again with the current method at that sign-in, once."""
    from argon2 import PasswordHasher
    from werkzeug.security import generate_password_hash

    email = f"old-{method.replace(':', '-')}@example.org"
    old = (PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
           if method == "argon2id-weaker" else generate_password_hash(PASSWORD, method=method))
    with app.app_context():
        db.session.add(User(email=email, full_name="Old Hash", password_hash=old))
        db.session.commit()
    app.config["PASSWORD_HASH_METHOD"] = passwords.ARGON2ID
    try:
        wrong = client.submit("/account/login", {"email": email, "password": "x" * 12})
        assert wrong.status_code == 200
        assert _user(app, email).password_hash == old  # a wrong password changes nothing
        client.sign_in(email)
        upgraded = _user(app, email).password_hash
        assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        client.submit("/account/logout")
        app.test_client().sign_in(email)
        assert _user(app, email).password_hash == upgraded  # not hashed again
    finally:
        app.config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.org", "a b@example.org", ""])
def test_signup_rejects_malformed_email(app, client, email):
    response = signup(client, email=email)
    assert response.status_code == 200
    assert "email address" in response.get_data(as_text=True).lower()
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(User)) == 0


def test_signup_rejects_short_password(app, client):
    response = signup(client, password="short1234", confirm="short1234")
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert _user(app, "ana@example.org") is None


def test_signup_rejects_mismatched_confirmation(app, client):
    response = signup(client, confirm=PASSWORD + "x")
    assert "The two passwords differ" in response.get_data(as_text=True)


def test_signin_with_differently_typed_email(client, learner):
    client.sign_in("  " + learner.email.upper())
    assert client.get("/account/profile").status_code == 200


def test_wrong_password_message_does_not_reveal_accounts(client, learner):
    wrong = client.submit("/account/login", {"email": learner.email, "password": "x" * 12})
    unknown = client.submit("/account/login", {"email": "nobody@example.org",
                                                "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 200
    message = "The email address or password is not correct."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_remember_me_sets_a_persistent_cookie(client, learner):
    response = client.submit("/account/login", {"email": learner.email, "password": PASSWORD,
                                                 "remember": "y"})
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]


def test_session_cookie_is_httponly_and_lax(client, learner):
    response = client.submit("/account/login", {"email": learner.email, "password": PASSWORD})
    session_cookie = [c for c in response.headers.getlist("Set-Cookie")
                      if c.startswith("session=")][0]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_signout_ends_the_session(client, learner):
    client.sign_in(learner.email)
    client.submit("/account/logout")
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_signout_by_get_is_not_allowed(client, learner):
    client.sign_in(learner.email)
    assert client.get("/account/logout").status_code == 405


def test_successful_signins_are_not_counted_against_the_account(client, learner):
    for _ in range(7):
        client.sign_in(learner.email)
        client.submit("/account/logout")


def test_post_without_csrf_token_is_refused(client, learner):
    response = client.post("/account/login", data={"email": learner.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account/profile").status_code == 302


def test_profile_edit_changes_name_and_language(app, client, learner):
    client.sign_in(learner.email)
    response = client.submit("/account/profile", {"full_name": "  Jean   Dupont ",
                                                   "language": "fr"})
    assert response.status_code == 302
    user = _user(app, learner.email)
    assert (user.full_name, user.language) == ("Jean Dupont", "fr")
    assert 'lang="fr"' in client.get("/account/profile").get_data(as_text=True)


def test_profile_rejects_unknown_language(app, client, learner):
    client.sign_in(learner.email)
    response = client.submit("/account/profile", {"full_name": "X Y", "language": "de"})
    assert response.status_code == 200
    assert _user(app, learner.email).language == "en"


def test_profile_requires_sign_in_and_comes_back(client):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/login?next=%2Faccount%2Fprofile")


def test_signin_returns_to_next_page(client, learner):
    response = client.submit("/account/login?next=/account/profile",
                             {"email": learner.email, "password": PASSWORD})
    assert response.headers["Location"] == "/account/profile"


def test_signin_ignores_next_to_another_site(client, learner):
    response = client.submit("/account/login?next=//evil.example/x",
                             {"email": learner.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"


def test_change_password_needs_current_password(app, client, learner):
    client.sign_in(learner.email)
    response = client.submit("/account/password", {"current": "wrong password",
                                                    "password": "a new password 1",
                                                    "confirm": "a new password 1"})
    assert "current password is not correct" in response.get_data(as_text=True)
    client.submit("/account/password", {"current": PASSWORD, "password": "a new password 1",
                                         "confirm": "a new password 1"})
    fresh = app.test_client()
    fresh.sign_in(learner.email, "a new password 1")


def test_password_reset_by_emailed_link(app, client, learner, outbox):
    client.submit("/account/reset", {"email": learner.email})
    link = reset_link(outbox)
    assert client.get(link).status_code == 200
    response = client.submit(link, {"password": "brand new secret", "confirm": "brand new secret"})
    assert response.status_code == 302
    app.test_client().sign_in(learner.email, "brand new secret")


def test_reset_link_works_only_once(client, learner, outbox):
    client.submit("/account/reset", {"email": learner.email})
    link = reset_link(outbox)
    client.submit(link, {"password": "brand new secret", "confirm": "brand new secret"})
    again = client.submit(link, {"password": "another secret 2", "confirm": "another secret 2"})
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_expired_reset_link_is_refused(app, client, learner, outbox):
    client.submit("/account/reset", {"email": learner.email})
    link = reset_link(outbox)
    with app.app_context():
        token = db.session.scalar(select(AccountToken))
        token.expires_at -= timedelta(hours=3)
        db.session.commit()
    response = client.get(link)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)


def test_forged_reset_link_is_refused(client):
    response = client.get("/account/reset/not-a-real-token")
    assert response.status_code == 410


def test_reset_request_for_unknown_address_looks_the_same(client, learner, outbox):
    known = client.submit("/account/reset", {"email": learner.email}, follow_redirects=True)
    unknown = client.submit("/account/reset", {"email": "nobody@example.org"},
                            follow_redirects=True)
    assert len(list(outbox.glob("*.eml"))) == 1
    phrase = "If an account uses that address"
    assert phrase in known.get_data(as_text=True) and phrase in unknown.get_data(as_text=True)


def test_reset_only_stores_token_hash(app, client, learner, outbox):
    client.submit("/account/reset", {"email": learner.email})
    token = reset_link(outbox).rsplit("/", 1)[1]
    with app.app_context():
        row = db.session.scalar(select(AccountToken))
        assert token not in row.token_hash
