"""Sign-in limits slow guessing down without ever locking the account's owner out."""

from __future__ import annotations

import logging
import os

import pytest

from ecampus.auth import throttle
from ecampus.extensions import limiter
from tests.auth.helpers import reset_link
from tests.conftest import PASSWORD

WRONG = "wrong" * 3


def _from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _try(client, email: str, password: str = WRONG) -> int:
    return client.submit("/account/login", {"email": email, "password": password}).status_code


def _spread_failures(app, email: str, count: int, start: int = 1) -> list[int]:
    """Wrong passwords for one account from `count` different addresses."""
    return [_try(_from(app, f"10.1.{n // 250}.{n % 250 + 1}"), email)
            for n in range(start, start + count)]


def _time_passes(email: str) -> None:
    """The account's current wait runs out (its other counters stay)."""
    limiter.storage.clear(throttle._key(email) + ":lock")


def test_delays_double_up_to_the_cap():
    assert [throttle.account_delay(n, 60, 900) for n in range(7)] == [
        0, 60, 120, 240, 480, 900, 900]
    assert throttle.account_delay(10_000, 60, 900) == 900


def test_attacker_at_one_address_cannot_lock_the_owner_out(app, learner):
    attacker = _from(app, "10.0.0.1")
    statuses = [_try(attacker, learner.email) for _ in range(12)]
    assert statuses[:5] == [200] * 5
    assert set(statuses[5:]) == {429}
    assert _try(_from(app, "10.0.0.2"), learner.email, PASSWORD) == 302


def test_pair_limit_holds_one_address_on_one_account(app, learner, make_user):
    other = make_user()
    attacker = _from(app, "10.0.0.1")
    assert [_try(attacker, learner.email) for _ in range(6)] == [200] * 5 + [429]
    assert _try(attacker, other.email) == 200  # another account from the same address
    assert _try(_from(app, "10.0.0.2"), learner.email) == 200  # another address


def test_address_limit_holds_one_address_across_accounts(app):
    client = _from(app, "10.0.0.1")
    statuses = [_try(client, f"u{n}@example.org") for n in range(21)]
    assert statuses == [200] * 20 + [429]
    assert _try(_from(app, "10.0.0.2"), "u0@example.org") == 200


def test_failures_from_many_addresses_make_the_account_wait(app, learner):
    assert _spread_failures(app, learner.email, 10) == [200] * 9 + [429]
    response = _from(app, "10.9.9.9").submit(
        "/account/login", {"email": learner.email, "password": PASSWORD})
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "Try again in 1 min," in page
    assert 'href="/account/reset"' in page


def test_unknown_address_waits_like_a_real_account(app):
    assert _spread_failures(app, "nobody@example.org", 11) == [200] * 9 + [429, 429]


def test_account_wait_grows_and_is_capped(app, learner):
    _spread_failures(app, learner.email, 10)
    waits = []
    for n in range(6):
        _time_passes(learner.email)
        response = _from(app, f"10.2.0.{n + 1}").submit(
            "/account/login", {"email": learner.email, "password": WRONG})
        assert response.status_code == 429
        text = response.get_data(as_text=True)
        waits.append(int(text.split("Try again in ")[1].split(" min")[0]))
    assert waits == [2, 4, 8, 15, 15, 15]


def test_wait_settings_come_from_the_configuration(app, learner, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_FAILURES", 3)
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_DELAY_BASE", 300)
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_DELAY_CAP", 600)
    _spread_failures(app, learner.email, 3)
    assert "Try again in 5 min," in _from(app, "10.3.0.1").submit(
        "/account/login", {"email": learner.email, "password": PASSWORD}).get_data(as_text=True)
    _time_passes(learner.email)
    _spread_failures(app, learner.email, 1, start=50)
    _time_passes(learner.email)
    _spread_failures(app, learner.email, 1, start=60)
    assert "Try again in 10 min," in _from(app, "10.3.0.2").submit(
        "/account/login", {"email": learner.email, "password": WRONG}).get_data(as_text=True)


def test_a_device_that_signed_in_before_is_not_held_back(app, learner):
    laptop = _from(app, "10.0.0.7")
    laptop.sign_in(learner.email)
    laptop.submit("/account/logout")
    _spread_failures(app, learner.email, 10)
    assert _try(_from(app, "10.0.0.8"), learner.email, PASSWORD) == 429
    assert _try(laptop, learner.email, PASSWORD) == 302


def test_a_forged_device_cookie_is_ignored(app, learner):
    _spread_failures(app, learner.email, 10)
    client = _from(app, "10.0.0.8")
    client.set_cookie(throttle.DEVICE_COOKIE, "forged.value")
    assert _try(client, learner.email, PASSWORD) == 429


def test_successful_sign_in_clears_the_account_failures(app, learner):
    _spread_failures(app, learner.email, 9)
    assert _try(_from(app, "10.0.0.7"), learner.email, PASSWORD) == 302
    assert _spread_failures(app, learner.email, 9, start=100) == [200] * 9
    assert _spread_failures(app, learner.email, 1, start=200) == [429]


def test_password_reset_clears_the_account_wait(app, learner, outbox):
    _spread_failures(app, learner.email, 10)
    owner = _from(app, "10.0.0.7")
    owner.submit("/account/reset", {"email": learner.email})
    response = owner.submit(reset_link(outbox), {"password": "my new password",
                                                  "confirm": "my new password"})
    assert response.status_code == 302
    assert _try(_from(app, "10.0.0.8"), learner.email, "my new password") == 302


def test_memory_counters_are_warned_about_in_production(monkeypatch, caplog):
    from ecampus import create_app

    monkeypatch.delenv("ECAMPUS_RATELIMIT_STORAGE", raising=False)
    monkeypatch.setenv("ECAMPUS_ENV", "production")
    settings = {"SECRET_KEY": "s" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "PUBLIC_URL": "https://campus.example.org", "MAIL_SERVER": "smtp.example.org"}
    saved = limiter._storage, limiter._limiter
    try:
        with caplog.at_level(logging.WARNING):
            create_app(settings)
        assert "ECAMPUS_RATELIMIT_STORAGE" in caplog.text
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            create_app({**settings, "ENV_NAME": "development"})
        assert "ECAMPUS_RATELIMIT_STORAGE" not in caplog.text
    finally:
        limiter._storage, limiter._limiter = saved


def test_limits_are_counted_together_by_several_nodes_through_redis(monkeypatch, tmp_path):
    """Two app instances sharing Redis reach each limit at its configured count."""
    import redis
    from flask_migrate import upgrade

    from ecampus import create_app

    url = "redis://127.0.0.1:6379/2"
    try:
        redis.Redis.from_url(url).flushdb()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs the Redis server on 127.0.0.1:6379 for shared limits")
        pytest.skip("no Redis server on 127.0.0.1:6379")
    monkeypatch.setenv("ECAMPUS_ENV", "testing")
    monkeypatch.setenv("ECAMPUS_RATELIMIT_STORAGE", url)
    monkeypatch.setenv("ECAMPUS_LOGIN_LIMITS_PER_PAIR", "4/minute")
    monkeypatch.setenv("ECAMPUS_LOGIN_ACCOUNT_FAILURES", "6")
    saved = limiter._storage, limiter._limiter
    try:
        nodes = [create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.sqlite3",
                             "WTF_CSRF_ENABLED": False}) for _ in range(2)]
        with nodes[0].app_context():
            upgrade()
        assert nodes[0].config["RATELIMIT_STORAGE_URI"] == url
        assert nodes[1].config["LOGIN_LIMITS_PER_PAIR"] == "4/minute"

        def attempt(n: int, email: str, address: str) -> int:
            client = nodes[n % 2].test_client()
            client.environ_base["REMOTE_ADDR"] = address
            return client.post("/account/login",
                               data={"email": email, "password": WRONG}).status_code

        assert [attempt(n, "x@example.org", "10.0.0.1") for n in range(5)] == [200] * 4 + [429]
        assert [attempt(n, "y@example.org", f"10.0.1.{n}") for n in range(7)] == (
            [200] * 5 + [429, 429])
    finally:
        limiter._storage, limiter._limiter = saved
        redis.Redis.from_url(url).flushdb()
