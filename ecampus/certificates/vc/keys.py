"""Ed25519 issuer keys: generation, PEM and Multikey forms, verification method ids.

A public key travels as a Multikey, ``z6Mk...``: multibase base58btc of the multicodec
prefix 0xed01 and the 32 raw bytes; a secret key as ``z3u2...`` with prefix 0x8026 and the
32-byte seed. Keys are named by verification method ids, either
``https://<issuer>/keys/<multikey>`` (published under the issuer profile) or
``did:key:<multikey>#<multikey>`` (self-describing, for tests and the W3C vectors).
"""

from __future__ import annotations

from typing import Any

import base58
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"

_PUBLIC_PREFIX = b"\xed\x01"
_SECRET_PREFIX = b"\x80\x26"
_RAW = serialization.Encoding.Raw


class KeyFormatError(ValueError):
    """A key or verification method id is not in a form this module understands."""


def generate_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key for the issuer."""
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey, password: bytes | None = None) -> str:
    """PKCS#8 PEM of the key, encrypted when a password is given, for the key store."""
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode("ascii")


def private_key_from_pem(pem: str, password: bytes | None = None) -> Ed25519PrivateKey:
    """Load a key saved by :func:`private_key_to_pem`; refuses anything but Ed25519."""
    key = serialization.load_pem_private_key(pem.encode("ascii"), password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError("the PEM key is not an Ed25519 key")
    return key


def public_multikey(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """The ``z6Mk...`` Multikey of a public key (of a private key's public half)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(_RAW, serialization.PublicFormat.Raw)
    return "z" + base58.b58encode(_PUBLIC_PREFIX + raw).decode("ascii")


def secret_multikey(key: Ed25519PrivateKey) -> str:
    """The ``z3u2...`` secret-key Multikey (the 32-byte seed), for Multikey JSON."""
    raw = key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
    return "z" + base58.b58encode(_SECRET_PREFIX + raw).decode("ascii")


def public_key_from_multikey(value: str) -> Ed25519PublicKey:
    """Parse a ``z6Mk...`` public Multikey."""
    return Ed25519PublicKey.from_public_bytes(_decode(value, _PUBLIC_PREFIX, "public"))


def private_key_from_multikey(value: str) -> Ed25519PrivateKey:
    """Parse a ``z3u2...`` secret Multikey."""
    return Ed25519PrivateKey.from_private_bytes(_decode(value, _SECRET_PREFIX, "secret"))


def https_verification_method(issuer_id: str, key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """``<issuer id>/keys/<multikey>``: where the app publishes this key under its issuer."""
    if not issuer_id.startswith("https://"):
        raise KeyFormatError(f"issuer id {issuer_id!r} is not an https URL")
    return f"{issuer_id.rstrip('/')}/keys/{public_multikey(key)}"


def did_key_verification_method(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """``did:key:<multikey>#<multikey>``: a verification method that carries its own key."""
    multikey = public_multikey(key)
    return f"did:key:{multikey}#{multikey}"


def resolve_did_key(verification_method: str) -> Ed25519PublicKey | None:
    """The key inside an Ed25519 did:key verification method id, or None if it is not one."""
    did, _, fragment = verification_method.partition("#")
    if not did.startswith("did:key:z6Mk") or fragment != did.removeprefix("did:key:"):
        return None
    try:
        return public_key_from_multikey(fragment)
    except KeyFormatError:
        return None


def multikey_document(
    key: Ed25519PublicKey | Ed25519PrivateKey,
    *,
    verification_method: str,
    controller: str,
    include_secret: bool = False,
) -> dict[str, Any]:
    """A Multikey verification method as JSON (with the secret only when asked, for backups)."""
    document: dict[str, Any] = {
        "@context": MULTIKEY_CONTEXT,
        "id": verification_method,
        "type": "Multikey",
        "controller": controller,
        "publicKeyMultibase": public_multikey(key),
    }
    if include_secret:
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFormatError("a public key has no secret to include")
        document["secretKeyMultibase"] = secret_multikey(key)
    return document


def key_from_multikey_document(document: dict[str, Any]) -> Ed25519PrivateKey | Ed25519PublicKey:
    """The private key of a Multikey document if it has one, else its public key (checked)."""
    if document.get("type") != "Multikey" or "publicKeyMultibase" not in document:
        raise KeyFormatError("not a Multikey document with publicKeyMultibase")
    public = public_key_from_multikey(document["publicKeyMultibase"])
    if "secretKeyMultibase" not in document:
        return public
    private = private_key_from_multikey(document["secretKeyMultibase"])
    if public_multikey(private) != document["publicKeyMultibase"]:
        raise KeyFormatError("secretKeyMultibase does not belong to publicKeyMultibase")
    return private


def _decode(value: str, prefix: bytes, kind: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError(f"{kind} Multikey must be base58btc multibase ('z...')")
    try:
        data = base58.b58decode(value[1:])
    except ValueError as error:
        raise KeyFormatError(f"{kind} Multikey is not valid base58btc") from error
    if not data.startswith(prefix) or len(data) != len(prefix) + 32:
        raise KeyFormatError(f"{kind} Multikey is not an Ed25519 {kind} key")
    return data[len(prefix) :]
