"""The issuer's signing keys: the private key from the environment or the instance folder,
every public key that ever signed in the database, so rotated keys still verify.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app
from sqlalchemy import select, update

from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..timeutil import utcnow
from . import vc
from .models import SigningKey

ENVIRONMENT_VARIABLE = "ECAMPUS_SIGNING_KEY"


def _key_file() -> Path:
    return Path(current_app.instance_path) / "keys" / "signing-key.pem"


def _write_private(path: Path, key: Ed25519PrivateKey) -> None:
    """Write the key whole, then link it into place: readers never see a half-written file,
    and when two workers race, the first link wins (FileExistsError for the other)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(vc.private_key_to_pem(key))
        os.link(draft, path)
    finally:
        draft.unlink()


def signing_key() -> Ed25519PrivateKey:
    """The current private key: ECAMPUS_SIGNING_KEY (PEM), else the instance file, created
    on first use. Its public half is recorded, in the caller's transaction (the caller
    commits), so every node can verify what it signed."""
    pem = os.environ.get(ENVIRONMENT_VARIABLE) or current_app.config.get("SIGNING_KEY_PEM")
    if pem:
        key = vc.private_key_from_pem(pem)
    else:
        path = _key_file()
        if not path.exists():
            with contextlib.suppress(FileExistsError):  # another worker created it first
                _write_private(path, vc.generate_key())
        key = vc.private_key_from_pem(path.read_text())
    _record_public_key(key)
    return key


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
    """Start signing with a new key; the old public key stays published for verification."""
    if os.environ.get(ENVIRONMENT_VARIABLE):
        raise RuntimeError(f"The key comes from {ENVIRONMENT_VARIABLE}: set a new one there.")
    path = _key_file()
    old = vc.public_multikey(signing_key().public_key())
    retired = path.with_name(f"retired-{old}.pem")
    path.rename(retired)
    db.session.execute(update(SigningKey).where(SigningKey.public_multikey == old)
                       .values(retired_at=utcnow()))
    new = vc.public_multikey(signing_key().public_key())
    db.session.commit()
    return new


def published_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key that has signed for this issuer, current and rotated, by multikey."""
    rows = db.session.scalars(select(SigningKey.public_multikey).order_by(SigningKey.id))
    return {multikey: vc.public_key_from_multikey(multikey) for multikey in rows}
