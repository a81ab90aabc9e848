"""Building Open Badges 3.0 credentials, issuer profiles and revocation lists from plain data."""

import base64
import gzip
import hashlib
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from ecampus.certificates.vc import (
    Issuer,
    build_credential,
    build_issuer_profile,
    build_status_list_credential,
    canonicalize,
    generate_key,
    https_verification_method,
    identity_hash,
    keys_from_issuer_profile,
    public_multikey,
    sign_credential,
    status_bit,
)
from ecampus.certificates.vc.canon import is_absolute_iri

ISSUER = Issuer(id="https://campus.example/issuer", name="E-Campus", url="https://campus.example/")
NOW = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FULL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def make_credential(**overrides):
    """A credential for a finished course, as the app would build it; tests override fields."""
    data = {
        "issuer": ISSUER,
        "learner_email": "Ada.Lovelace@Example.org",
        "course_url": "https://campus.example/courses/data-protection",
        "course_title": "Data protection basics",
        "course_description": "What public servants must know about personal data.",
        "criteria": "Completed every lesson and passed the final quiz.",
        "valid_from": NOW,
        "valid_until": NOW + timedelta(days=3 * 365),
        "credential_id": "urn:uuid:0f9e8d7c-6b5a-4321-8fed-cba987654321",
        "status_list_url": "https://campus.example/status/1",
        "status_index": 1234,
        "salt": "5a1t",
    }
    return build_credential(**{**data, **overrides})


def _walk(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, path)
    else:
        yield path, value


def test_credential_is_an_open_badge_with_the_ob3_contexts():
    credential = make_credential()
    assert credential["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {
        "id": ISSUER.id,
        "type": ["Profile"],
        "name": "E-Campus",
        "url": "https://campus.example/",
    }
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["id"] == "https://campus.example/courses/data-protection"
    assert achievement["type"] == ["Achievement"]
    assert achievement["criteria"]["narrative"].startswith("Completed every lesson")


def test_every_date_is_a_full_utc_datetime_to_the_second():
    credential = make_credential()
    dates = {path: value for path, value in _walk(credential) if path.endswith(("From", "Until"))}
    assert dates == {".validFrom": "2025-03-01T09:30:15Z", ".validUntil": "2028-02-29T09:30:15Z"}
    for _, value in _walk(credential):
        assert not (isinstance(value, str) and DATE_ONLY.match(value))


def test_every_id_is_absolute():
    credential = make_credential()
    ids = [value for path, value in _walk(credential) if path.endswith((".id", "Credential"))]
    assert len(ids) == 5
    assert all(is_absolute_iri(value) and not value.startswith("_:") for value in ids)


def test_default_credential_id_is_a_fresh_uuid_urn():
    first, second = make_credential(credential_id=None), make_credential(credential_id=None)
    assert first["id"].startswith("urn:uuid:") and first["id"] != second["id"]


@pytest.mark.parametrize(
    "override",
    [
        {"credential_id": "certificates/42"},
        {"course_url": "/courses/7"},
        {"issuer": Issuer(id="issuer", name="E-Campus", url="https://campus.example/")},
        {"status_list_url": "status/1"},
        {"course_url": "https://campus.example/courses/a\nb"},
        {"credential_id": "http://campus.example/certificates/42"},
    ],
)
def test_relative_ids_are_refused(override):
    with pytest.raises(ValueError, match="must be an absolute https URL"):
        make_credential(**override)


@pytest.mark.parametrize("moment", [date(2025, 3, 1), datetime(2025, 3, 1, 9, 30)])
def test_date_only_or_naive_valid_from_is_refused(moment):
    with pytest.raises(ValueError, match="not a timezone-aware datetime"):
        make_credential(valid_from=moment, valid_until=None)


def test_learner_is_identified_by_a_salted_email_hash():
    identity = make_credential()["credentialSubject"]["identifier"][0]
    expected = hashlib.sha256(b"ada.lovelace@example.org5a1t").hexdigest()
    assert identity == {
        "type": "IdentityObject",
        "identityHash": f"sha256${expected}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "5a1t",
    }
    assert identity_hash(" ada.lovelace@EXAMPLE.org ", "5a1t") == identity["identityHash"]


def test_salt_is_random_when_not_given():
    first = make_credential(salt=None)["credentialSubject"]["identifier"][0]["salt"]
    second = make_credential(salt=None)["credentialSubject"]["identifier"][0]["salt"]
    assert len(first) == 32 and first != second


def test_learner_name_is_included_only_when_given():
    assert "name" not in make_credential()["credentialSubject"]
    assert make_credential(learner_name="Ada")["credentialSubject"]["name"] == "Ada"


def test_status_entry_points_at_the_revocation_bit():
    assert make_credential()["credentialStatus"] == {
        "id": "https://campus.example/status/1#1234",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "1234",
        "statusListCredential": "https://campus.example/status/1",
    }
    credential = make_credential(status_list_url=None, status_index=None)
    assert "credentialStatus" not in credential


def test_every_term_of_a_built_credential_is_defined_by_its_contexts():
    """Canonicalisation refuses undefined terms, so this proves nothing would be dropped."""
    text = canonicalize(make_credential(learner_name="Ada"))
    assert "vocab.html#identityHash" in text and "vocab.html#achievementType" in text
    assert 'schema.org/name> "Ada"' in text


def test_status_list_encodes_revoked_bits_most_significant_first():
    credential = build_status_list_credential(
        ISSUER, "https://campus.example/status/1", {0, 9, 131071}, valid_from=NOW
    )
    subject = credential["credentialSubject"]
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert subject["type"] == "BitstringStatusList" and subject["statusPurpose"] == "revocation"
    encoded = subject["encodedList"]
    assert encoded.startswith("u") and "=" not in encoded
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) == 16384
    assert raw[0] == 0b1000_0000 and raw[1] == 0b0100_0000 and raw[-1] == 0b0000_0001
    set_bits = [i for i in range(len(raw) * 8) if raw[i // 8] & (0x80 >> (i % 8))]
    assert set_bits == [0, 9, 131071]
    assert [status_bit(encoded, i) for i in (0, 1, 8, 9, 10, 131070, 131071)] == [
        True,
        False,
        False,
        True,
        False,
        False,
        True,
    ]


def test_status_list_refuses_indexes_outside_it_and_short_lists():
    with pytest.raises(ValueError, match="outside the list"):
        build_status_list_credential(ISSUER, "https://campus.example/status/1", {131072})
    with pytest.raises(ValueError, match="at least 131072"):
        build_status_list_credential(ISSUER, "https://campus.example/status/1", set(), 1024)


def test_status_bit_refuses_a_gzip_bomb():
    bomb = gzip.compress(bytes(20 * 1024 * 1024))
    encoded = "u" + base64.urlsafe_b64encode(bomb).decode().rstrip("=")
    with pytest.raises(ValueError, match="beyond the size"):
        status_bit(encoded, 0)


def test_signed_status_list_is_canonicalisable():
    key = generate_key()
    unsigned = build_status_list_credential(ISSUER.id, "https://campus.example/status/1", {3})
    signed = sign_credential(unsigned, key, https_verification_method(ISSUER.id, key))
    assert signed["proof"]["proofValue"].startswith("z")


def test_issuer_profile_lists_current_and_rotated_keys():
    old, new = generate_key(), generate_key()
    keys = {https_verification_method(ISSUER.id, k): k.public_key() for k in (old, new)}
    profile = build_issuer_profile(ISSUER, keys)
    assert profile["id"] == ISSUER.id and profile["type"] == ["Profile"]
    assert profile["assertionMethod"] == list(keys)
    assert profile["verificationMethod"][0] == {
        "id": f"{ISSUER.id}/keys/{public_multikey(old)}",
        "type": "Multikey",
        "controller": ISSUER.id,
        "publicKeyMultibase": public_multikey(old),
    }
    resolved = keys_from_issuer_profile(profile)
    assert {m: public_multikey(k) for m, k in resolved.items()} == {
        m: public_multikey(k) for m, k in keys.items()
    }


def test_issuer_profile_refuses_a_key_published_elsewhere():
    key = generate_key()
    with pytest.raises(ValueError, match="is not under"):
        build_issuer_profile(ISSUER, {"https://elsewhere.example/keys/1": key.public_key()})
