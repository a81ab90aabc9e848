"""Signed cookies and form tokens (ecampus/signing.py): the bytes Flask and Flask-WTF make,
with keys and signatures computed once per process."""

from __future__ import annotations

import re
from itertools import count

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from itsdangerous import BadSignature, TimestampSigner

from ecampus import signing

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
DATA = {"_user_id": "7:a-session-token", "csrf_token": "f" * 40, "lang": "fr"}


def _flask_serializer(secret: str, fallbacks=()):
    plain = Flask("plain")
    plain.secret_key = secret
    plain.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)
    return SecureCookieSessionInterface().get_signing_serializer(plain)


def _token(client, path: str = "/") -> str:
    return _TOKEN.search(client.get(path).get_data(as_text=True)).group(1)


def test_session_cookies_are_the_bytes_flask_makes(app, monkeypatch):
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: 1_800_000_000)
    ours = app.session_interface.get_signing_serializer(app)
    flasks = _flask_serializer(app.secret_key)
    assert ours.dumps(DATA) == flasks.dumps(DATA)
    assert ours.loads(flasks.dumps(DATA)) == DATA
    assert flasks.loads(ours.dumps(DATA)) == DATA
    assert app.session_interface.get_signing_serializer(app) is ours  # built once


def test_a_cookie_signed_with_another_secret_is_refused(app):
    forged = _flask_serializer("another-secret-" + "y" * 40).dumps(DATA)
    with pytest.raises(BadSignature):
        app.session_interface.get_signing_serializer(app).loads(forged)
    client = app.test_client()
    client.set_cookie("session", forged)
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_an_old_secret_listed_as_fallback_still_opens_sessions(app, monkeypatch):
    old_secret = "the-previous-secret-" + "z" * 40
    cookie = _flask_serializer(old_secret).dumps(DATA)
    serializer = app.session_interface.get_signing_serializer(app)
    with pytest.raises(BadSignature):
        serializer.loads(cookie)
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_secret])
    rotated = app.session_interface.get_signing_serializer(app)
    assert rotated.loads(cookie) == DATA
    # New cookies are signed with the current secret only.
    with pytest.raises(BadSignature):
        _flask_serializer(old_secret).loads(rotated.dumps(DATA))
    assert _flask_serializer(app.secret_key).loads(rotated.dumps(DATA)) == DATA


def test_a_session_keeps_one_signed_form_token_that_flask_wtf_accepts(app, client,
                                                                      monkeypatch):
    ticks = count(1_800_000_000, 7)  # every signature made gets a later time
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(ticks))
    first, again = _token(client), _token(client, "/courses/")
    assert first == again
    other = app.test_client()
    assert _token(other) != first  # another session, another token
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    with app.test_request_context("/"):
        from flask import session

        session["csrf_token"] = raw
        validate_csrf(first)  # raises if Flask-WTF would refuse it
    answer = client.post("/account/login", data={"csrf_token": first, "email": "a@b.example",
                                                 "password": "wrong password"})
    assert answer.status_code == 200  # the form was read: the password was wrong
    tampered = first[:-2] + ("AA" if not first.endswith("AA") else "BB")
    answer = client.post("/account/login", data={"csrf_token": tampered,
                                                 "email": "a@b.example", "password": "x"})
    assert answer.status_code == 400


def test_time_limited_tokens_are_signed_on_every_page(app, client, monkeypatch):
    ticks = count(1_800_000_000, 7)
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: next(ticks))
    monkeypatch.setitem(app.config, "WTF_CSRF_TIME_LIMIT", 3600)
    assert _token(client) != _token(client)


def test_the_tokens_kept_are_bounded(app, monkeypatch):
    monkeypatch.setattr(signing, "MAX_SIGNED_TOKENS", 4)
    monkeypatch.setitem(app.extensions, "ecampus.signed_csrf", {})
    tokens = {_token(app.test_client()) for _ in range(10)}
    assert len(tokens) == 10
    assert 0 < len(app.extensions["ecampus.signed_csrf"]) <= 4
