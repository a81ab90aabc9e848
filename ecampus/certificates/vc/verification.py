"""Verify a credential: its proof, that the issuer controls the key, and its validity dates.

The key must belong to the issuer named in the credential, or anyone could sign a
credential in E-Campus's name with a key of their own. ``resolve_key`` only says which
public key a verification method id stands for, so the tie is read from the id itself:
a did:key method must be the issuer's DID, an https method must sit under the issuer's
id (``<issuer id>/keys/...`` as :func:`keys.https_verification_method` names it). This
matches what JavaScript verifiers check through the issuer profile.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .dataintegrity import ResolveKey, VerificationResult, verify_proof
from .dates import parse_datetime_stamp
from .loader import CREDENTIALS_V2, BundledContextLoader

DEFAULT_CLOCK_SKEW = timedelta(minutes=5)  # the JavaScript verifiers allow the same


def verify_credential(
    document: Any,
    resolve_key: ResolveKey,
    *,
    now: datetime | None = None,
    max_clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    loader: BundledContextLoader | None = None,
) -> VerificationResult:
    """Everything that makes a credential trustworthy now, with every failure named."""
    if not isinstance(document, dict):
        return VerificationResult(False, ["not a credential: expected a JSON object"])
    errors = list(verify_proof(document, resolve_key, loader=loader).errors)
    context = document.get("@context")
    if (context[0] if isinstance(context, list) and context else context) != CREDENTIALS_V2:
        errors.append(f"not a VC 2.0 credential: @context must start with {CREDENTIALS_V2}")
    types = document.get("type")
    if "VerifiableCredential" not in (types if isinstance(types, list) else [types]):
        errors.append("not a credential: type does not include VerifiableCredential")
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    proofs = document.get("proof")
    methods = [proof.get("verificationMethod") for proof in
               (proofs if isinstance(proofs, list) else [proofs]) if isinstance(proof, dict)]
    if not isinstance(issuer_id, str):
        errors.append("issuer missing: the credential does not say who issued it")
    else:
        errors += [
            f"verification method mismatch: {method!r} is not a key of the issuer {issuer_id!r}"
            for method in methods
            if isinstance(method, str) and not issuer_controls(issuer_id, method)
        ]
    errors.extend(_date_errors(document, now or datetime.now(UTC), max_clock_skew))
    return VerificationResult(not errors, errors)


def issuer_controls(issuer_id: str, verification_method: str) -> bool:
    """Whether a verification method id names one of the issuer's own keys."""
    if issuer_id.startswith("did:"):
        return verification_method.partition("#")[0] == issuer_id
    return verification_method.startswith((issuer_id.rstrip("/") + "/", issuer_id + "#"))


def _date_errors(document: dict, now: datetime, skew: timedelta) -> list[str]:
    errors = []
    valid_from = _date(document, "validFrom", errors)
    valid_until = _date(document, "validUntil", errors)
    if valid_from is None and "validFrom" not in document:
        errors.append("validFrom missing: the credential does not say when it becomes valid")
    if valid_from is not None and _later(valid_from, now, skew):
        errors.append(f"not yet valid: validFrom is {document['validFrom']}")
    if valid_until is not None and _later(now, valid_until, skew):
        errors.append(f"expired: validUntil was {document['validUntil']}")
    return errors


def _later(first: datetime, second: datetime, skew: timedelta) -> bool:
    """Whether `first` comes after `second` by at least the clock skew, exactly as Digital
    Bazaar's verifier compares times: within the skew they are equal, and with no skew an
    equal time counts as after (so a credential ceases to be valid at validUntil)."""
    if abs(first - second) < skew:
        return False
    return not first < second


def _date(document: dict, name: str, errors: list[str]) -> datetime | None:
    if name not in document:
        return None
    try:
        return parse_datetime_stamp(document[name])
    except ValueError:
        errors.append(f"{name} {document[name]!r} is not a full date-time with a time zone")
        return None
