"""The W3C vc-di-eddsa test vectors for eddsa-rdfc-2022, reproduced byte for byte.

Ed25519 signatures are deterministic, so every intermediate value and the final
proofValue must match the published ones exactly.
"""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ecampus.certificates.vc import (
    canonicalize,
    did_key_verification_method,
    private_key_from_multikey,
    public_multikey,
    resolve_did_key,
    secret_multikey,
    sign_credential,
    verify_credential,
    verify_proof,
)
from ecampus.certificates.vc.dataintegrity import (
    configure_proof,
    hash_data,
    serialize_proof,
    transform_document,
)
from ecampus.certificates.vc.loader import default_loader

VECTORS = Path(__file__).parent / "vectors"
SUITE = VECTORS / "eddsa-rdfc-2022"
LOADER = default_loader().extended(VECTORS / "contexts")


def _load(folder: Path, name: str):
    return json.loads((folder / name).read_text(encoding="utf-8"))


def _text(folder: Path, name: str) -> str:
    return (folder / name).read_text(encoding="utf-8")


@pytest.fixture(
    params=[(SUITE, "unsigned.json"), (SUITE / "employ", "employmentAuth.json")],
    ids=["alumni", "employ"],
)
def vector(request):
    """One published vector: its folder, unsigned document and proof configuration."""
    folder, unsigned = request.param
    return folder, _load(folder, unsigned), _load(folder, "proofConfigDataInt.json")


@pytest.fixture
def key():
    """The vectors' key pair, from its secret Multikey."""
    return private_key_from_multikey(_load(SUITE, "keyPair.json")["privateKeyMultibase"])


def test_key_pair_round_trips_through_multikeys(key):
    pair = _load(SUITE, "keyPair.json")
    assert public_multikey(key) == pair["publicKeyMultibase"]
    assert secret_multikey(key) == pair["privateKeyMultibase"]


def test_canonical_document_matches(vector):
    folder, unsigned, _ = vector
    assert transform_document(unsigned, loader=LOADER) == _text(folder, "canonDocDataInt.txt")


def test_canonical_proof_configuration_matches(vector):
    folder, unsigned, proof_config = vector
    options = {k: v for k, v in proof_config.items() if k != "@context"}
    canonical = configure_proof(options, unsigned["@context"], loader=LOADER)
    assert canonical == _text(folder, "proofCanonDataInt.txt")
    assert canonicalize(proof_config, loader=LOADER) == canonical


def test_hashes_and_signature_match(vector, key):
    folder, unsigned, proof_config = vector
    canonical_document = _text(folder, "canonDocDataInt.txt")
    canonical_proof = configure_proof(proof_config, unsigned["@context"], loader=LOADER)
    combined = hash_data(canonical_proof, canonical_document)
    assert combined[:32].hex() == _text(folder, "proofHashDataInt.txt").strip()
    assert combined[32:].hex() == _text(folder, "docHashDataInt.txt").strip()
    assert combined.hex() == _text(folder, "combinedHashDataInt.txt").strip()
    assert key.sign(combined).hex() == _text(folder, "sigHexDataInt.txt").strip()
    assert serialize_proof(combined, key) == _text(folder, "sigBTC58DataInt.txt").strip()


def test_signing_reproduces_the_signed_document(vector, key):
    folder, unsigned, proof_config = vector
    created = datetime.fromisoformat(proof_config["created"].replace("Z", "+00:00"))
    signed = sign_credential(
        unsigned, key, proof_config["verificationMethod"], created=created, loader=LOADER
    )
    expected = _load(folder, "signedDataInt.json")
    assert signed["proof"]["proofValue"] == expected["proof"]["proofValue"]
    assert signed == expected


def test_published_signed_document_verifies(vector):
    folder, _, _ = vector
    signed = _load(folder, "signedDataInt.json")
    assert verify_proof(signed, resolve_did_key, loader=LOADER).errors == []


def test_vector_key_is_its_did_key_verification_method(key):
    method = _load(SUITE, "proofConfigDataInt.json")["verificationMethod"]
    assert did_key_verification_method(key) == method
    assert public_multikey(resolve_did_key(method)) == public_multikey(key)


def test_vector_fails_as_a_credential_because_its_issuer_does_not_own_the_key():
    """The vector's issuer is an https URL but its key a did:key: fine for a proof only."""
    result = verify_credential(
        _load(SUITE, "signedDataInt.json"),
        resolve_did_key,
        now=datetime(2024, 1, 1, tzinfo=UTC),
        loader=LOADER,
    )
    assert not result.ok
    assert [e for e in result.errors if e.startswith("verification method mismatch")]
    assert len(result.errors) == 1
