"""Issuer keys: PEM and Multikey forms, and the verification method ids that name them."""

import pytest

from ecampus.certificates.vc import (
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

ISSUER = "https://campus.example/issuer"


@pytest.fixture
def key():
    """A fresh issuer key."""
    return generate_key()


def test_pem_round_trip_keeps_the_key(key):
    pem = private_key_to_pem(key)
    assert pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert public_multikey(private_key_from_pem(pem)) == public_multikey(key)


def test_encrypted_pem_needs_its_password(key):
    pem = private_key_to_pem(key, password=b"s3cret")
    assert "ENCRYPTED" in pem
    assert public_multikey(private_key_from_pem(pem, b"s3cret")) == public_multikey(key)
    with pytest.raises(ValueError):
        private_key_from_pem(pem, b"wrong")


def test_public_multikey_has_the_ed25519_prefix_and_round_trips(key):
    multikey = public_multikey(key)
    assert multikey.startswith("z6Mk")
    assert public_multikey(public_key_from_multikey(multikey)) == multikey
    assert public_multikey(key.public_key()) == multikey


def test_secret_multikey_round_trips(key):
    secret = secret_multikey(key)
    assert secret.startswith("z3u2")
    assert public_multikey(private_key_from_multikey(secret)) == public_multikey(key)


@pytest.mark.parametrize("bad", ["", "6Mk", "z0OIl", "zabc", "m6Mk"])
def test_malformed_multikeys_are_refused(bad):
    with pytest.raises(KeyFormatError):
        public_key_from_multikey(bad)


def test_a_secret_multikey_is_not_accepted_as_public(key):
    with pytest.raises(KeyFormatError, match="not an Ed25519 public key"):
        public_key_from_multikey(secret_multikey(key))


def test_https_verification_method_sits_under_the_issuer(key):
    method = https_verification_method(ISSUER + "/", key)
    assert method == f"{ISSUER}/keys/{public_multikey(key)}"
    with pytest.raises(KeyFormatError):
        https_verification_method("http://campus.example/issuer", key)


def test_did_key_resolves_to_its_own_key(key):
    method = did_key_verification_method(key)
    multikey = public_multikey(key)
    assert method == f"did:key:{multikey}#{multikey}"
    assert public_multikey(resolve_did_key(method)) == multikey


def test_did_key_with_another_fragment_does_not_resolve(key):
    other = public_multikey(generate_key())
    assert resolve_did_key(f"did:key:{public_multikey(key)}#{other}") is None
    assert resolve_did_key(f"{ISSUER}/keys/{other}") is None


def test_multikey_document_round_trips_with_and_without_secret(key):
    method = https_verification_method(ISSUER, key)
    public_doc = multikey_document(key, verification_method=method, controller=ISSUER)
    assert public_doc == {
        "@context": "https://w3id.org/security/multikey/v1",
        "id": method,
        "type": "Multikey",
        "controller": ISSUER,
        "publicKeyMultibase": public_multikey(key),
    }
    assert public_multikey(key_from_multikey_document(public_doc)) == public_multikey(key)
    secret_doc = multikey_document(
        key, verification_method=method, controller=ISSUER, include_secret=True
    )
    restored = key_from_multikey_document(secret_doc)
    assert secret_multikey(restored) == secret_multikey(key)


def test_multikey_document_with_a_foreign_secret_is_refused(key):
    document = multikey_document(key, verification_method="urn:k", controller=ISSUER)
    document["secretKeyMultibase"] = secret_multikey(generate_key())
    with pytest.raises(KeyFormatError, match="does not belong"):
        key_from_multikey_document(document)
