"""Verifiable certificates: Open Badges 3.0 / W3C VC 2.0 signed with eddsa-rdfc-2022.

Pure functions over plain data; keys are passed in and nothing is fetched from the
network (JSON-LD contexts are bundled). Typical use::

    credential = build_credential(issuer=issuer, learner_email=..., course_url=..., ...)
    signed = sign_credential(credential, key, https_verification_method(issuer.id, key))
    result = verify_credential(signed, keys_from_issuer_profile(profile).get)
"""

from .canon import CanonicalizationError, canonicalize
from .credential import (
    Issuer,
    build_credential,
    build_issuer_profile,
    build_status_list_credential,
    identity_hash,
    keys_from_issuer_profile,
    status_bit,
    status_entry,
)
from .dataintegrity import SigningError, VerificationResult, sign_credential, verify_proof
from .keys import (
    KeyFormatError,
    did_key_verification_method,
    generate_key,
    https_verification_method,
    key_from_multikey_document,
    multikey_document,
    private_key_from_multikey,
    private_key_from_pem,
    private_key_to_pem,
    public_key_from_multikey,
    public_multikey,
    resolve_did_key,
    secret_multikey,
)
from .loader import BundledContextLoader, ContextNotBundledError, default_loader
from .verification import issuer_controls, verify_credential

__all__ = [
    "BundledContextLoader",
    "CanonicalizationError",
    "ContextNotBundledError",
    "Issuer",
    "KeyFormatError",
    "SigningError",
    "VerificationResult",
    "build_credential",
    "build_issuer_profile",
    "build_status_list_credential",
    "canonicalize",
    "default_loader",
    "did_key_verification_method",
    "generate_key",
    "https_verification_method",
    "identity_hash",
    "issuer_controls",
    "key_from_multikey_document",
    "keys_from_issuer_profile",
    "multikey_document",
    "private_key_from_multikey",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_from_multikey",
    "public_multikey",
    "resolve_did_key",
    "secret_multikey",
    "sign_credential",
    "status_bit",
    "status_entry",
    "verify_credential",
    "verify_proof",
]
