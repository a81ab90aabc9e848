"""Open Badges 3.0 credentials (W3C VC 2.0), issuer profiles and revocation lists, from plain data.

Every term used is defined by the VC 2.0 or OB 3.0.3 contexts (signing refuses any that is
not). The learner is identified by a salted SHA-256 of their email (an ``IdentityObject``),
not by the email; their display name is optional (``name`` is schema:name in both
contexts, though OB 3.0 does not ask for it: the PDF carries it). Every date is a full
date-time in UTC with ``Z`` and every id an absolute URL or URN, because the JavaScript
verifiers reject date-only values and relative ids.

The issuer profile doubles as the controller document of the issuer's keys: its
``assertionMethod`` lists them and ``verificationMethod`` holds them as Multikeys. Neither
credentials/v2 nor the OB context defines those two terms, so the profile also uses the
DID v1 context (which does, as https://w3id.org/security# terms) and Multikey v1. Verifiers
such as Digital Bazaar's check that the issuer id is the controller of the signing key.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
import uuid
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .dates import format_datetime
from .keys import MULTIKEY_CONTEXT, public_key_from_multikey, public_multikey
from .loader import CREDENTIALS_V2, OB_V3P0

DID_V1 = "https://www.w3.org/ns/did/v1"
OB_CONTEXT = [CREDENTIALS_V2, OB_V3P0]
PROFILE_CONTEXT = [CREDENTIALS_V2, OB_V3P0, DID_V1, MULTIKEY_CONTEXT]
STATUS_LIST_MIN_LENGTH = 131072  # 16 KiB: the herd-privacy minimum of Bitstring Status List
_MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024  # refuse gzip bombs when reading a fetched list


@dataclass(frozen=True)
class Issuer:
    """Who issues: ``id`` is the https URL where the app publishes the issuer profile."""

    id: str
    name: str
    url: str

    def profile(self) -> dict[str, Any]:
        """The OB 3.0 ``Profile`` embedded as a credential's issuer."""
        _require_https(self.id, "issuer id")
        _require_https(self.url, "issuer url")
        return {"id": self.id, "type": ["Profile"], "name": self.name, "url": self.url}


def identity_hash(email: str, salt: str) -> str:
    """``sha256$<hex>`` of the trimmed, lower-cased email followed by the salt (OB 3.0)."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return f"sha256${digest}"


def build_credential(
    *,
    issuer: Issuer,
    learner_email: str,
    course_url: str,
    course_title: str,
    course_description: str,
    criteria: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    credential_id: str | None = None,
    status_list_url: str | None = None,
    status_index: int | None = None,
    salt: str | None = None,
    learner_name: str | None = None,
    achievement_type: str = "CertificateOfCompletion",
) -> dict[str, Any]:
    """An unsigned ``OpenBadgeCredential`` for a completed course, ready for signing."""
    credential_id = credential_id or f"urn:uuid:{uuid.uuid4()}"
    if not credential_id.startswith("urn:uuid:"):
        _require_https(credential_id, "credential id")
    _require_https(course_url, "course url")
    salt = salt if salt is not None else secrets.token_hex(16)
    subject: dict[str, Any] = {
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(learner_email, salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": salt,
            }
        ],
        "achievement": {
            "id": course_url,
            "type": ["Achievement"],
            "achievementType": achievement_type,
            "name": course_title,
            "description": course_description,
            "criteria": {"narrative": criteria},
        },
    }
    if learner_name:
        subject["name"] = learner_name
    credential: dict[str, Any] = {
        "@context": list(OB_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer.profile(),
        "name": course_title,
        "validFrom": format_datetime(valid_from),
        "credentialSubject": subject,
    }
    if valid_until is not None:
        credential["validUntil"] = format_datetime(valid_until)
        if valid_until <= valid_from:
            raise ValueError("valid_until must be after valid_from")
    if (status_list_url is None) != (status_index is None):
        raise ValueError("give both status_list_url and status_index, or neither")
    if status_list_url is not None and status_index is not None:
        credential["credentialStatus"] = status_entry(status_list_url, status_index)
    return credential


def status_entry(status_list_url: str, index: int) -> dict[str, Any]:
    """The ``BitstringStatusListEntry`` pointing at bit ``index`` of a revocation list."""
    _require_https(status_list_url, "status list url")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise ValueError(f"status index {index!r} must be a non-negative integer")
    return {
        "id": f"{status_list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(index),
        "statusListCredential": status_list_url,
    }


def build_status_list_credential(
    issuer: Issuer | str,
    url: str,
    revoked_indexes: Iterable[int],
    length: int = STATUS_LIST_MIN_LENGTH,
    *,
    valid_from: datetime | None = None,
) -> dict[str, Any]:
    """An unsigned ``BitstringStatusListCredential`` whose set bits are the revoked indexes."""
    issuer_id = issuer.id if isinstance(issuer, Issuer) else issuer
    _require_https(issuer_id, "issuer id")
    _require_https(url, "status list url")
    if length < STATUS_LIST_MIN_LENGTH or length % 8:
        raise ValueError(f"length must be a multiple of 8 and at least {STATUS_LIST_MIN_LENGTH}")
    bits = bytearray(length // 8)
    for index in revoked_indexes:
        if not 0 <= index < length:
            raise ValueError(f"status index {index} is outside the list (0..{length - 1})")
        bits[index // 8] |= 0x80 >> (index % 8)  # bit 0 is the first byte's high bit
    compressed = gzip.compress(bytes(bits), mtime=0)
    encoded = "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")
    return {
        "@context": [CREDENTIALS_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": format_datetime(valid_from or datetime.now(UTC)),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }


def status_bit(encoded_list: str, index: int) -> bool:
    """Whether bit ``index`` of an ``encodedList`` is set (for revocation: revoked)."""
    if not isinstance(encoded_list, str) or not encoded_list.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u...')")
    padded = encoded_list[1:] + "=" * (-len(encoded_list[1:]) % 4)
    try:
        compressed = base64.urlsafe_b64decode(padded)
        inflater = zlib.decompressobj(wbits=31)  # gzip framing
        bits = inflater.decompress(compressed, _MAX_STATUS_LIST_BYTES)
    except (ValueError, zlib.error) as error:
        raise ValueError("encodedList is not base64url-encoded GZIP data") from error
    if inflater.unconsumed_tail:
        raise ValueError("encodedList expands beyond the size accepted for a status list")
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"status index {index} is outside the list (0..{len(bits) * 8 - 1})")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def build_issuer_profile(issuer: Issuer, keys: Mapping[str, Ed25519PublicKey]) -> dict[str, Any]:
    """The issuer profile to publish at ``issuer.id``: also the controller document of its keys.

    ``keys`` maps verification method ids to public keys; keep rotated keys listed so that
    credentials they signed still verify.
    """
    methods = []
    for method_id, key in keys.items():
        if not method_id.startswith(issuer.id.rstrip("/") + "/"):
            raise ValueError(f"verification method {method_id!r} is not under {issuer.id!r}")
        methods.append(
            {
                "id": method_id,
                "type": "Multikey",
                "controller": issuer.id,
                "publicKeyMultibase": public_multikey(key),
            }
        )
    return {
        "@context": list(PROFILE_CONTEXT),
        **issuer.profile(),
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def keys_from_issuer_profile(profile: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The assertion keys a published profile lists: ``.get`` is a ``resolve_key``."""
    allowed = {method for method in profile.get("assertionMethod", []) if isinstance(method, str)}
    return {
        method["id"]: public_key_from_multikey(method.get("publicKeyMultibase"))
        for method in profile.get("verificationMethod", [])
        if isinstance(method, dict)
        and method.get("id") in allowed
        and method.get("controller") == profile.get("id")
    }


_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _require_https(value: Any, what: str) -> None:
    # urlsplit quietly drops tabs and newlines, so look for any whitespace first.
    if not isinstance(value, str) or any(c.isspace() or c < " " for c in value):
        raise ValueError(f"{what} {value!r} must be an absolute https URL")
    parts = urlsplit(value)
    # Plain http is allowed only on this machine, for development and tests.
    loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK_HOSTS
    if not (parts.scheme == "https" or loopback) or not parts.netloc:
        raise ValueError(f"{what} {value!r} must be an absolute https URL")
