"""Slowing password guessing against one account down, without locking its owner out.

Counters live in the rate limiter's storage (Redis when ECAMPUS_RATELIMIT_STORAGE is set),
so every worker and node sees the same ones. They are keyed by a digest of the address, so
unknown addresses are slowed down exactly like real accounts and Redis holds no addresses.
A browser that has signed in to an account before carries a signed "known device" cookie
and is not held back by that account's delay.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..extensions import limiter
from .models import normalise_email

#: How long an account remembers that it was held back, so each new failure waits longer.
STRIKE_MEMORY = 60 * 60
DEVICE_COOKIE = "ecampus_device"
DEVICE_DAYS = 365
_DEVICE_ACCOUNTS = 10


def account_delay(strikes: int, base: int, cap: int) -> int:
    """Seconds to wait after the `strikes`-th hold-back: base, twice that, ... at most cap."""
    if strikes <= 0:
        return 0
    return min(cap, base * 2 ** min(strikes - 1, 32))


def _key(email: str) -> str:
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]
    return f"ecampus-account:{digest}"


def _storage():
    return limiter.storage if limiter.enabled else None


def wait_seconds(email: str) -> int:
    """How many more seconds this account refuses sign-ins from unknown devices; 0 if none."""
    storage = _storage()
    lock = _key(email) + ":lock"
    if storage is None or storage.get(lock) <= 0:
        return 0
    return max(1, math.ceil(storage.get_expiry(lock) - time.time()))


def record_failure(email: str) -> int:
    """Count a wrong password for the account; the seconds it must now wait, or 0."""
    storage = _storage()
    if storage is None:
        return 0
    config = current_app.config
    key = _key(email)
    failures = storage.incr(key + ":failures", config["LOGIN_ACCOUNT_WINDOW"])
    if failures < config["LOGIN_ACCOUNT_FAILURES"] and storage.get(key + ":strikes") <= 0:
        return 0
    strikes = storage.incr(key + ":strikes", STRIKE_MEMORY)
    delay = account_delay(strikes, config["LOGIN_ACCOUNT_DELAY_BASE"],
                          config["LOGIN_ACCOUNT_DELAY_CAP"])
    storage.clear(key + ":lock")
    storage.incr(key + ":lock", delay)
    return delay


def clear(email: str) -> None:
    """Forget the account's failures: its owner signed in or chose a new password."""
    storage = _storage()
    if storage is None:
        return
    key = _key(email)
    for part in (":failures", ":strikes", ":lock"):
        storage.clear(key + part)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="ecampus-known-device")


def _device_accounts(cookie: str | None) -> list[str]:
    if not cookie:
        return []
    try:
        accounts = _serializer().loads(cookie, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def device_knows(cookie: str | None, email: str) -> bool:
    """Whether this browser's cookie shows it signed in to the account before."""
    return _key(email) in _device_accounts(cookie)


def known_device_cookie(cookie: str | None, email: str) -> str:
    """The cookie value after a successful sign-in: this account first, a few others kept."""
    key = _key(email)
    accounts = [key] + [a for a in _device_accounts(cookie) if a != key]
    return _serializer().dumps(accounts[:_DEVICE_ACCOUNTS])
