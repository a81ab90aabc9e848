"""The issuer's signing keys, the same on every node: the private key from
ECAMPUS_SIGNING_KEY, else the database (sealed with a key derived from SECRET_KEY), and every
public key that ever signed in the database, so rotated keys still verify.

No node keeps a key of its own: a key created on first use, or by `rotate-key`, is stored
in the database and every node signs with it from its next certificate on.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from sqlalchemy import select, update

from ..audit import record
from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..timeutil import utcnow
from . import vc
from .models import SigningKey

ENVIRONMENT_VARIABLE = "ECAMPUS_SIGNING_KEY"
#: The `slot` of the one key the site signs with now.
CURRENT = "current"


class SigningKeyError(RuntimeError):
    """The stored key cannot be used; the message says what to do."""


def _legacy_key_file() -> Path:
    """Where versions before shared keys kept each node's own key."""
    return Path(current_app.instance_path) / "keys" / "signing-key.pem"


def _configured_pem() -> str:
    return os.environ.get(ENVIRONMENT_VARIABLE) or current_app.config.get("SIGNING_KEY_PEM") or ""


def _sealer() -> Fernet:
    """Fernet keyed by HKDF(SECRET_KEY): what reads a session cookie reads the key, no more."""
    secret = current_app.config["SECRET_KEY"].encode()
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"ecampus signing key").derive(secret)
    return Fernet(base64.urlsafe_b64encode(derived))


def _seal(key: Ed25519PrivateKey) -> str:
    return _sealer().encrypt(vc.private_key_to_pem(key).encode()).decode()


def _unseal(sealed: str) -> Ed25519PrivateKey:
    try:
        return vc.private_key_from_pem(_sealer().decrypt(sealed.encode()).decode())
    except InvalidToken:
        raise SigningKeyError(
            "The signing key stored in the database was sealed with another SECRET_KEY. Give "
            "every node the SECRET_KEY it was sealed with, or run `ecampus certificates "
            "rotate-key` to sign with a new key (certificates already issued still verify)."
        ) from None


def signing_key() -> Ed25519PrivateKey:
    """The current private key: ECAMPUS_SIGNING_KEY (PEM), else the database's, created on
    first use. Its public half is recorded, in the caller's transaction (the caller
    commits), so every node can verify what it signed."""
    pem = _configured_pem()
    if not pem:
        return _stored_key()  # its row is the record of its public half
    key = vc.private_key_from_pem(pem)
    _record_public_key(key)
    return key


def _stored_key() -> Ed25519PrivateKey:
    """The database's current key; the first caller creates it (adopting the key file an
    earlier version left in the instance folder), and concurrent first callers keep one:
    the unique `slot` lets only one row be current, the others read it."""
    sealed = db.session.scalar(select(SigningKey.private_key).where(SigningKey.slot == CURRENT))
    if sealed is None:
        legacy = _legacy_key_file()
        key = vc.private_key_from_pem(legacy.read_text()) if legacy.is_file() else vc.generate_key()
        multikey = vc.public_multikey(key.public_key())
        adopted = db.session.execute(
            update(SigningKey).where(SigningKey.public_multikey == multikey,
                                     SigningKey.slot.is_(None), SigningKey.retired_at.is_(None))
            .values(slot=CURRENT, private_key=_seal(key))).rowcount
        if not adopted:
            insert_ignoring_duplicates(
                SigningKey.__table__, {"public_multikey": multikey, "slot": CURRENT,
                                       "private_key": _seal(key), "created_at": utcnow()},
                conflict=["slot"])
        sealed = db.session.scalar(select(SigningKey.private_key)
                                   .where(SigningKey.slot == CURRENT))
    return _unseal(sealed)


def _record_public_key(key: Ed25519PrivateKey) -> None:
    """Record the key in the caller's transaction, which also holds what it signs: a
    certificate is never committed without its key, and a rolled-back one records nothing.
    (Committing here would commit the caller's half-done work, e.g. a course completion.)"""
    multikey = vc.public_multikey(key.public_key())
    if db.session.scalar(select(SigningKey.id).where(SigningKey.public_multikey == multikey)):
        return
    insert_ignoring_duplicates(SigningKey.__table__,
                               {"public_multikey": multikey, "created_at": utcnow()},
                               conflict=["public_multikey"])


def rotate_key() -> str:
    """Start signing with a new key on every node; the old public key stays published for
    verification and its private half is dropped."""
    if _configured_pem():
        raise SigningKeyError(f"The key comes from {ENVIRONMENT_VARIABLE}: set a new one there, "
                              f"on every node.")
    old = db.session.scalar(select(SigningKey.public_multikey)
                            .where(SigningKey.slot == CURRENT))
    db.session.execute(update(SigningKey).where(SigningKey.slot == CURRENT)
                       .values(slot=None, private_key=None, retired_at=utcnow()))
    key = vc.generate_key()
    multikey = vc.public_multikey(key.public_key())
    db.session.add(SigningKey(public_multikey=multikey, slot=CURRENT, private_key=_seal(key),
                              created_at=utcnow()))
    record("signing_key.rotated", target=("signing_key", multikey), before={"key": old},
           after={"key": multikey})
    db.session.commit()
    return multikey


def published_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key that has signed for this issuer, current and rotated, by multikey."""
    rows = db.session.scalars(select(SigningKey.public_multikey).order_by(SigningKey.id))
    return {multikey: vc.public_key_from_multikey(multikey) for multikey in rows}
