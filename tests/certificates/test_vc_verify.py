"""Signing and verifying credentials: every alteration and every kind of failure is named."""

import copy
from datetime import timedelta

import pytest

from ecampus.certificates.vc import (
    SigningError,
    build_issuer_profile,
    generate_key,
    https_verification_method,
    keys_from_issuer_profile,
    sign_credential,
    verify_credential,
)
from tests.certificates.test_vc_credential import ISSUER, NOW, make_credential

LATER = NOW + timedelta(days=1)


@pytest.fixture
def key():
    """The issuer's current signing key."""
    return generate_key()


@pytest.fixture
def resolve_key(key):
    """Key lookup as the app does it: from the published issuer profile."""
    profile = build_issuer_profile(
        ISSUER, {https_verification_method(ISSUER.id, key): key.public_key()}
    )
    return keys_from_issuer_profile(profile).get


@pytest.fixture
def signed(key):
    """A credential signed with the current key, learner name included."""
    credential = make_credential(learner_name="Ada Lovelace")
    return sign_credential(credential, key, https_verification_method(ISSUER.id, key), created=NOW)


def _set(document, path, value):
    target = document
    *parents, last = path
    for step in parents:
        target = target[step]
    target[last] = value


def test_untouched_credential_verifies(signed, resolve_key):
    assert verify_credential(signed, resolve_key, now=LATER).errors == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("credentialSubject", "achievement", "name"), "Brain surgery"),
        (("credentialSubject", "achievement", "description"), "Something else"),
        (("credentialSubject", "achievement", "criteria", "narrative"), "Nothing"),
        (("credentialSubject", "name"), "Mallory"),
        (("credentialSubject", "identifier", 0, "identityHash"), "sha256$" + "0" * 64),
        (("credentialSubject", "identifier", 0, "salt"), "pepper"),
        (("validFrom",), "2025-02-01T09:30:15Z"),
        (("validUntil",), "2099-01-01T00:00:00Z"),
        (("issuer", "id"), "https://campus.example/issuer/other"),
        (("issuer", "name"), "Diploma Mill"),
        (("id",), "urn:uuid:00000000-0000-4000-8000-000000000000"),
        (("name",), "Brain surgery"),
        (("credentialStatus", "statusListIndex"), "1235"),
        (("credentialStatus", "statusListCredential"), "https://campus.example/status/2"),
        (("proof", "created"), "2025-03-01T09:30:16Z"),
    ],
    ids=lambda v: ".".join(map(str, v)) if isinstance(v, tuple) else None,
)
def test_altering_a_signed_field_breaks_the_signature(signed, resolve_key, path, value):
    altered = copy.deepcopy(signed)
    _set(altered, path, value)
    result = verify_credential(altered, resolve_key, now=LATER)
    assert not result.ok
    assert any(error.startswith("signature invalid") for error in result.errors)


def test_altering_the_proof_value_breaks_the_signature(signed, resolve_key):
    altered = copy.deepcopy(signed)
    value = altered["proof"]["proofValue"]
    middle = len(value) // 2
    altered["proof"]["proofValue"] = (
        value[:middle] + ("2" if value[middle] != "2" else "3") + value[middle + 1 :]
    )
    result = verify_credential(altered, resolve_key, now=LATER)
    assert not result.ok
    assert result.errors[0].startswith(("signature invalid", "proof malformed"))


def test_adding_an_undefined_property_is_reported(signed, resolve_key):
    altered = copy.deepcopy(signed)
    altered["credentialSubject"]["grade"] = "A+"
    result = verify_credential(altered, resolve_key, now=LATER)
    assert result.errors == [
        "document cannot be canonicalised: property 'grade' is not defined by any @context"
    ]


def test_missing_proof(signed, resolve_key):
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    result = verify_credential(unsigned, resolve_key, now=LATER)
    assert result.errors == ["proof missing: the document is not signed"]


@pytest.mark.parametrize(
    ("proof_change", "message"),
    [
        ({"proofValue": "u" + "A" * 86}, "proof malformed: proofValue must be multibase"),
        ({"proofValue": "z0OIl"}, "proof malformed: proofValue is not valid base58btc"),
        ({"proofValue": "z3yMR7vEa"}, "proof malformed: proofValue holds"),
        ({"created": "2025-03-01"}, "proof malformed: created '2025-03-01'"),
        ({"verificationMethod": "keys/1"}, "proof malformed: verificationMethod"),
        ({"proofPurpose": "authentication"}, "proof purpose is 'authentication'"),
    ],
)
def test_malformed_proof_is_named(signed, resolve_key, proof_change, message):
    altered = copy.deepcopy(signed)
    altered["proof"].update(proof_change)
    result = verify_credential(altered, resolve_key, now=LATER)
    assert not result.ok
    assert any(error.startswith(message) for error in result.errors), result.errors


def test_proof_set_of_one_verifies(signed, resolve_key):
    assert verify_credential({**signed, "proof": [signed["proof"]]}, resolve_key, now=LATER).ok


def test_proof_set_fails_when_any_member_fails(signed, resolve_key):
    broken = {**signed["proof"], "created": "2020-01-01T00:00:00Z"}
    result = verify_credential({**signed, "proof": [signed["proof"], broken]}, resolve_key,
                               now=LATER)
    assert not result.ok
    assert result.errors[0].startswith("proof 2 of 2: signature invalid")


def test_empty_proof_set_is_unsigned(signed, resolve_key):
    result = verify_credential({**signed, "proof": []}, resolve_key, now=LATER)
    assert result.errors[0] == "proof missing: the proof set is empty"


def test_other_cryptosuite_is_named(signed, resolve_key):
    altered = copy.deepcopy(signed)
    altered["proof"]["cryptosuite"] = "eddsa-jcs-2022"
    result = verify_credential(altered, resolve_key, now=LATER)
    assert result.errors[0] == (
        "cryptosuite not supported: proof is 'DataIntegrityProof' / 'eddsa-jcs-2022', "
        "expected DataIntegrityProof / eddsa-rdfc-2022"
    )


def test_document_that_is_not_a_vc_2_credential_is_named(signed, resolve_key):
    altered = {**signed, "@context": list(reversed(signed["@context"]))}
    result = verify_credential(altered, resolve_key, now=LATER)
    assert "not a VC 2.0 credential: @context must start with " in result.errors[0]


def test_unknown_verification_method(signed):
    result = verify_credential(signed, lambda method: None, now=LATER)
    assert result.errors == [
        f"unknown verification method {signed['proof']['verificationMethod']!r}: no such issuer key"
    ]


def test_key_of_another_issuer_is_a_mismatch():
    """A forger's own key, published by them, must not vouch for E-Campus's name."""
    forger = generate_key()
    method = https_verification_method("https://forger.example/issuer", forger)
    forged = sign_credential(make_credential(), forger, method, created=NOW)
    result = verify_credential(forged, {method: forger.public_key()}.get, now=LATER)
    assert result.errors == [
        f"verification method mismatch: {method!r} is not a key of the issuer {ISSUER.id!r}"
    ]


def test_not_yet_valid(signed, resolve_key):
    result = verify_credential(signed, resolve_key, now=NOW - timedelta(hours=1))
    assert result.errors == ["not yet valid: validFrom is 2025-03-01T09:30:15Z"]


def test_small_clock_skew_is_tolerated(signed, resolve_key):
    assert verify_credential(signed, resolve_key, now=NOW - timedelta(minutes=2)).ok


def test_expired(signed, resolve_key):
    result = verify_credential(signed, resolve_key, now=NOW + timedelta(days=4 * 365))
    assert result.errors == ["expired: validUntil was 2028-02-29T09:30:15Z"]


def test_every_failure_is_reported_together(signed, resolve_key):
    altered = copy.deepcopy(signed)
    altered["name"] = "Brain surgery"
    result = verify_credential(altered, resolve_key, now=NOW + timedelta(days=4 * 365))
    assert len(result.errors) == 2
    assert result.errors[0].startswith("signature invalid")
    assert result.errors[1].startswith("expired")


def test_credentials_signed_with_a_rotated_key_still_verify(key):
    old_signed = sign_credential(
        make_credential(), key, https_verification_method(ISSUER.id, key), created=NOW
    )
    new = generate_key()
    profile = build_issuer_profile(
        ISSUER,
        {https_verification_method(ISSUER.id, k): k.public_key() for k in (key, new)},
    )
    assert verify_credential(old_signed, keys_from_issuer_profile(profile).get, now=LATER).ok


def test_signer_refuses_a_date_only_valid_from(key):
    credential = make_credential()
    credential["validFrom"] = "2025-03-01"
    with pytest.raises(SigningError, match="validFrom '2025-03-01' is not a full date-time"):
        sign_credential(credential, key, https_verification_method(ISSUER.id, key))


def test_signer_refuses_a_relative_id(key):
    credential = make_credential()
    credential["credentialSubject"]["achievement"]["id"] = "courses/data-protection"
    with pytest.raises(SigningError, match="'courses/data-protection' is not an absolute IRI"):
        sign_credential(credential, key, https_verification_method(ISSUER.id, key))


def test_signer_refuses_an_undefined_property(key):
    credential = make_credential()
    credential["credentialSubject"]["grade"] = "A+"
    with pytest.raises(SigningError, match="property 'grade' is not defined by any @context"):
        sign_credential(credential, key, https_verification_method(ISSUER.id, key))


def test_signer_refuses_a_signed_document(signed, key):
    with pytest.raises(SigningError, match="already has a proof"):
        sign_credential(signed, key, https_verification_method(ISSUER.id, key))
