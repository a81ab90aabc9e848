"""Password hashes: Argon2id for new ones; older scrypt and PBKDF2 hashes still sign in.

Argon2id is OWASP's first choice for password storage, and at its recommended setting (19 MiB
of memory, 2 passes, 1 lane) one hash costs about 27 ms of CPU here, against 95 ms for the
scrypt Werkzeug chose before (N=2^15, r=8, p=1, which is below OWASP's own scrypt setting).
Every sign-in and sign-up pays for one, so the cheaper and stronger hash is also what lets a
node take a civil service signing in at nine in the morning.

A hash names its own method and parameters. A password that matches a hash of an older
method (or older parameters) is hashed again at sign-in, so accounts move over as their
owners come back; nobody has to reset anything.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

ARGON2ID = "argon2id"
#: OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1.
_argon2 = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def _method() -> str:
    """The method new hashes use: Argon2id, unless the configuration names a Werkzeug one
    (the tests use a cheap PBKDF2 so thousands of accounts take no time to create)."""
    return current_app.config.get("PASSWORD_HASH_METHOD") or ARGON2ID


def hash_password(password: str) -> str:
    method = _method()
    if method == ARGON2ID:
        return _argon2.hash(password)
    return generate_password_hash(password, method=method)


def check(stored: str | None, password: str) -> bool:
    """Whether `password` matches the hash `stored` (False for an account without one)."""
    if not stored:
        return False
    if stored.startswith("$argon2"):
        try:
            return _argon2.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    try:
        return check_password_hash(stored, password)
    except ValueError:  # parameters hashlib refuses (a damaged or hand-edited hash)
        return False


@cache
def dummy_hash() -> str:
    """A real hash to check when the address is unknown, so timing reveals nothing: of the
    default method, so an unknown address takes as long as a known one. Made on first use,
    not when every process and command starts."""
    return _argon2.hash("not-a-real-password-at-all")


def needs_rehash(stored: str) -> bool:
    """Whether a hash that just matched was made by another method or with other parameters
    than new hashes are (then the password is hashed again while it is at hand)."""
    method = _method()
    if method == ARGON2ID:
        return not stored.startswith("$argon2id$") or _argon2.check_needs_rehash(stored)
    return stored.split("$", 1)[0] != method


