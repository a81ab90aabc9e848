"""Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite (W3C vc-di-eddsa).

Signing follows the spec's four steps: transformation (RDFC-1.0 canonical N-Quads of the
document without its proof), proof configuration (the proof options without
``proofValue``, given the document's ``@context``, canonicalised the same way), hashing
(``sha256(proof config) || sha256(document)``) and serialisation (Ed25519 signature over
those 64 bytes, multibase base58btc ``z...``). Verification redoes them and reports every
problem it finds instead of the first.

Keys are found through ``resolve_key(verification_method_id)``, which the app backs with
its key store (old, rotated keys included) and tests with :func:`keys.resolve_did_key`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .canon import CanonicalizationError, canonicalize, is_absolute_iri
from .dates import format_datetime, is_datetime_stamp, parse_datetime_stamp
from .loader import BundledContextLoader

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
ASSERTION = "assertionMethod"

ResolveKey = Callable[[str], Ed25519PublicKey | None]


class SigningError(ValueError):
    """The document cannot be signed as it is; the message says what to fix."""


@dataclass(frozen=True)
class VerificationResult:
    """Whether a credential verified, and if not every reason, in words a person can act on."""

    ok: bool
    errors: list[str] = field(default_factory=list)


def sign_credential(
    document: dict[str, Any],
    key: Ed25519PrivateKey,
    verification_method: str,
    *,
    created: datetime | None = None,
    loader: BundledContextLoader | None = None,
) -> dict[str, Any]:
    """A copy of the document with an eddsa-rdfc-2022 ``assertionMethod`` proof added."""
    if "proof" in document:
        raise SigningError("the document already has a proof")
    if "@context" not in document:
        raise SigningError("the document has no @context")
    for name in ("validFrom", "validUntil"):
        if name in document and not is_datetime_stamp(document[name]):
            raise SigningError(
                f"{name} {document[name]!r} is not a full date-time with a time zone "
                "(e.g. 2024-05-01T09:30:00Z); verifiers reject date-only values"
            )
    if not is_absolute_iri(verification_method):
        raise SigningError(f"verification method {verification_method!r} is not an absolute IRI")
    proof = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(created or datetime.now(UTC)),
        "verificationMethod": verification_method,
        "proofPurpose": ASSERTION,
    }
    try:
        verify_data = hash_data(
            configure_proof(proof, document["@context"], loader=loader),
            transform_document(document, loader=loader),
        )
    except CanonicalizationError as error:
        raise SigningError(f"cannot sign: {error}") from error
    return {**document, "proof": {**proof, "proofValue": serialize_proof(verify_data, key)}}


def transform_document(
    document: dict[str, Any], *, loader: BundledContextLoader | None = None
) -> str:
    """Transformation step: canonical N-Quads of the document without its proof."""
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    return canonicalize(unsecured, loader=loader)


def configure_proof(
    proof: dict[str, Any], context: Any, *, loader: BundledContextLoader | None = None
) -> str:
    """Proof configuration step: canonical N-Quads of the proof options in the given context."""
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise SigningError(f"only {PROOF_TYPE} with cryptosuite {CRYPTOSUITE} is supported")
    if "created" in proof and not is_datetime_stamp(proof["created"]):
        raise SigningError(f"proof created {proof['created']!r} is not a full date-time")
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    return canonicalize({**options, "@context": context}, loader=loader)


def hash_data(canonical_proof: str, canonical_document: str) -> bytes:
    """Hashing step: the 64 bytes that are signed."""
    proof_hash = hashlib.sha256(canonical_proof.encode("utf-8")).digest()
    return proof_hash + hashlib.sha256(canonical_document.encode("utf-8")).digest()


def serialize_proof(verify_data: bytes, key: Ed25519PrivateKey) -> str:
    """Serialisation step: the Ed25519 signature as a multibase base58btc ``proofValue``."""
    return "z" + base58.b58encode(key.sign(verify_data)).decode("ascii")


def verify_proof(
    document: Any, resolve_key: ResolveKey, *, loader: BundledContextLoader | None = None
) -> VerificationResult:
    """Check the document's eddsa-rdfc-2022 proof alone: shape, key, and signature.

    ``proof`` may be one object or an array of them (a proof set, which 1EdTech's JSON
    schema requires); every proof in a set must verify."""
    errors: list[str] = []
    proof = document.get("proof") if isinstance(document, dict) else None
    if proof is None:
        return VerificationResult(False, ["proof missing: the document is not signed"])
    if isinstance(proof, list):
        if not proof:
            return VerificationResult(False, ["proof missing: the proof set is empty"])
        for number, member in enumerate(proof, start=1):
            checked = verify_proof({**document, "proof": member}, resolve_key, loader=loader)
            prefix = f"proof {number} of {len(proof)}: " if len(proof) > 1 else ""
            errors += [prefix + error for error in checked.errors]
        return VerificationResult(not errors, errors)
    if not isinstance(proof, dict):
        return VerificationResult(False, ["proof malformed: expected a proof object or array"])
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return VerificationResult(
            False,
            [
                f"cryptosuite not supported: proof is {proof.get('type')!r} / "
                f"{proof.get('cryptosuite')!r}, expected {PROOF_TYPE} / {CRYPTOSUITE}"
            ],
        )
    if proof.get("proofPurpose") != ASSERTION:
        errors.append(f"proof purpose is {proof.get('proofPurpose')!r}, expected {ASSERTION}")
    created_ok = "created" not in proof or is_datetime_stamp(proof["created"])
    if not created_ok:
        errors.append(f"proof malformed: created {proof['created']!r} is not a full date-time")
    if "expires" in proof:
        try:
            if parse_datetime_stamp(proof["expires"]) < datetime.now(UTC):
                errors.append(f"proof expired on {proof['expires']}")
        except ValueError:
            errors.append(f"proof malformed: expires {proof['expires']!r} is not a date-time")
    signature = _decode_proof_value(proof.get("proofValue"), errors)
    method = proof.get("verificationMethod")
    if not isinstance(method, str) or not is_absolute_iri(method):
        errors.append(f"proof malformed: verificationMethod {method!r} is not an absolute IRI")
        return VerificationResult(False, errors)
    public_key = resolve_key(method)
    if public_key is None:
        errors.append(f"unknown verification method {method!r}: no such issuer key")
    context = document.get("@context")
    if "@context" in proof:
        proof_context = _as_list(proof["@context"])
        if _as_list(context)[: len(proof_context)] != proof_context:
            errors.append("proof @context does not match the start of the document's @context")
        context = proof["@context"]
    if signature is not None and public_key is not None and created_ok:
        _check_signature(document, proof, context, signature, public_key, errors, loader)
    return VerificationResult(not errors, errors)


def _check_signature(document, proof, context, signature, public_key, errors, loader) -> None:
    try:
        verify_data = hash_data(
            configure_proof(proof, context, loader=loader),
            transform_document({**document, "@context": context}, loader=loader),
        )
    except (CanonicalizationError, SigningError) as error:
        errors.append(f"document cannot be canonicalised: {error}")
        return
    try:
        public_key.verify(signature, verify_data)
    except InvalidSignature:
        errors.append(
            "signature invalid: the credential or its proof was altered after signing, "
            f"or it was not signed by {proof['verificationMethod']}"
        )


def _decode_proof_value(value: Any, errors: list[str]) -> bytes | None:
    if not isinstance(value, str) or not value.startswith("z"):
        errors.append("proof malformed: proofValue must be multibase base58btc ('z...')")
        return None
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        errors.append("proof malformed: proofValue is not valid base58btc")
        return None
    if len(signature) != 64:
        errors.append(f"proof malformed: proofValue holds {len(signature)} bytes, not 64")
        return None
    return signature


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]
