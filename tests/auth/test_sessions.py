"""Sessions end when they should: sign-out, password change or reset, or an admin's decision."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select, update

from ecampus.auth.models import UserSession
from ecampus.extensions import db
from tests.auth.helpers import reset_link
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new password"


def _copy(app, client, only: str | None = None):
    """Another client holding the same cookies, as a thief with a copy of the cookie jar."""
    thief = app.test_client()
    for cookie in client._cookies.values():
        if only is None or cookie.key == only:
            thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
    return thief


def _signed_in(client) -> bool:
    response = client.get("/account/profile")
    if response.status_code == 302:
        assert "/account/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True


def _remembered(app, email):
    client = app.test_client()
    response = client.submit("/account/login", {"email": email, "password": PASSWORD,
                                                 "remember": "y"})
    assert response.status_code == 302
    return client


def _change_password(client, current=PASSWORD, new=NEW_PASSWORD):
    response = client.submit("/account/password", {"current": current, "password": new,
                                                    "confirm": new})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_copied_session_cookie_is_useless_after_sign_out(app, client, learner):
    client.sign_in(learner.email)
    thief = _copy(app, client)
    assert _signed_in(thief)
    client.submit("/account/logout")
    assert not _signed_in(thief)


def test_copied_remember_cookie_is_useless_after_sign_out(app, learner):
    owner = _remembered(app, learner.email)
    thief = _copy(app, owner, only="remember_token")
    owner.submit("/account/logout")
    assert not _signed_in(thief)


def test_sign_out_keeps_other_devices_signed_in(app, learner):
    laptop, phone = app.test_client(), app.test_client()
    laptop.sign_in(learner.email)
    phone.sign_in(learner.email)
    laptop.submit("/account/logout")
    assert not _signed_in(laptop)
    assert _signed_in(phone)


def test_remember_cookie_alone_signs_in(app, learner):
    owner = _remembered(app, learner.email)
    assert _signed_in(_copy(app, owner, only="remember_token"))


def test_password_change_ends_other_sessions_and_remember_cookies(app, learner):
    remembered = _remembered(app, learner.email)
    other = app.test_client()
    other.sign_in(learner.email)
    changer = app.test_client()
    changer.sign_in(learner.email)
    _change_password(changer)
    assert not _signed_in(_copy(app, remembered, only="remember_token"))
    assert not _signed_in(remembered)
    assert not _signed_in(other)
    assert _signed_in(changer)


def test_password_reset_ends_every_session(app, client, learner, outbox):
    remembered = _remembered(app, learner.email)
    client.submit("/account/reset", {"email": learner.email})
    response = client.submit(reset_link(outbox), {"password": NEW_PASSWORD,
                                                   "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert not _signed_in(_copy(app, remembered, only="remember_token"))
    assert not _signed_in(remembered)
    assert _signed_in(client)  # the person who reset is signed in afresh


def test_using_one_reset_link_voids_the_others(app, client, learner, outbox):
    client.submit("/account/reset", {"email": learner.email})
    first = reset_link(outbox)
    client.submit("/account/reset", {"email": learner.email})
    second = reset_link(outbox)
    assert first != second
    assert client.submit(second, {"password": NEW_PASSWORD,
                                  "confirm": NEW_PASSWORD}).status_code == 302
    response = app.test_client().get(first)
    assert response.status_code == 410


def test_reset_link_issued_before_a_password_change_fails(app, client, learner, outbox):
    app.test_client().submit("/account/reset", {"email": learner.email})
    link = reset_link(outbox)
    client.sign_in(learner.email)
    _change_password(client)
    response = app.test_client().submit(link, {"password": "the thief's choice",
                                               "confirm": "the thief's choice"})
    assert response.status_code == 410
    app.test_client().sign_in(learner.email, NEW_PASSWORD)


def test_sign_in_starts_a_fresh_session(client, learner):
    before = _csrf(client.get("/account/login").get_data(as_text=True))
    client.sign_in(learner.email)
    after = _csrf(client.get("/account/profile").get_data(as_text=True))
    assert before != after


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_session_rows_store_only_a_hash_of_the_cookie_secret(app, client, learner):
    client.sign_in(learner.email)
    with app.app_context():
        row = db.session.scalar(select(UserSession))
        cookie = client.get_cookie("session").value
    assert row.user_id == learner.id and row.ended_at is None
    assert row.token_hash not in cookie


def test_cookie_without_a_session_token_is_anonymous(app, learner):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(learner.id)
        session["_fresh"] = True
    assert not _signed_in(client)


def test_admin_ends_every_session_of_an_account(app, client, admin, learner):
    laptop = app.test_client()
    laptop.sign_in(learner.email)
    remembered = _remembered(app, learner.email)
    client.sign_in(admin.email)
    assert "Sign out everywhere" in client.get("/admin/users").get_data(as_text=True)
    response = client.submit(f"/admin/users/{learner.id}/sessions/end")
    assert response.status_code == 302
    assert "signed out on every device" in client.get("/admin/users").get_data(as_text=True)
    assert not _signed_in(laptop)
    assert not _signed_in(_copy(app, remembered, only="remember_token"))
    assert _signed_in(client)
    laptop.sign_in(learner.email)  # the password still works


def test_only_admins_may_end_sessions(app, client, learner, manager):
    url = f"/admin/users/{manager.id}/sessions/end"
    anonymous = client.submit(url)
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]
    client.sign_in(learner.email)
    assert client.submit(url).status_code == 403


def test_ending_sessions_needs_the_csrf_token(app, client, admin, learner):
    laptop = app.test_client()
    laptop.sign_in(learner.email)
    client.sign_in(admin.email)
    assert client.post(f"/admin/users/{learner.id}/sessions/end").status_code == 400
    assert _signed_in(laptop)


def test_last_seen_is_written_only_every_few_minutes(app, client, learner):
    client.sign_in(learner.email)
    long_ago = datetime(2020, 1, 1)
    with app.app_context():
        db.session.execute(update(UserSession).values(last_seen_at=long_ago))
        db.session.commit()
    assert _signed_in(client)
    with app.app_context():
        seen = db.session.scalar(select(UserSession.last_seen_at))
    assert seen > long_ago
    assert _signed_in(client)
    with app.app_context():
        assert db.session.scalar(select(UserSession.last_seen_at)) == seen


def test_hostile_user_agent_is_stored_cleanly(app, learner):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = "evil\x00agent " + "x" * 500
    client.sign_in(learner.email)
    with app.app_context():
        stored = db.session.scalar(select(UserSession.user_agent))
    assert stored.startswith("evilagent") and len(stored) == 200
