"""Credentials signed in Python verify in an independent implementation (Digital Bazaar, Node).

CI installs the verifier with ``npm ci`` in tests/certificates/js; elsewhere these tests
are skipped when it is not installed, and on CI its absence is a failure.
"""

import copy
from pathlib import Path

import pytest

from ecampus.certificates.vc import (
    build_issuer_profile,
    build_status_list_credential,
    generate_key,
    https_verification_method,
    sign_credential,
)
from ecampus.certificates.vc.dates import format_datetime
from tests.certificates.test_vc_credential import ISSUER, NOW, make_credential
from tests.certificates.test_vc_verify import LATER

JS_DIR = Path(__file__).parent / "js"
STATUS_URL = "https://campus.example/status/1"


@pytest.fixture
def key():
    """The issuer's signing key."""
    return generate_key()


@pytest.fixture
def method(key):
    """The key's verification method id under the issuer profile."""
    return https_verification_method(ISSUER.id, key)


@pytest.fixture
def profile(key, method):
    """The issuer profile as the app publishes it (controller document of the key)."""
    return build_issuer_profile(ISSUER, {method: key.public_key()})


def _payload(credential, profile, status_list=None):
    payload = {"credential": credential, "controllerDocument": profile}
    payload["now"] = format_datetime(LATER)  # the test credentials run 2025-2028
    if status_list is not None:
        payload["statusListCredential"] = status_list
    return payload


def _status_list(key, method, revoked):
    unsigned = build_status_list_credential(ISSUER, STATUS_URL, revoked, valid_from=NOW)
    return sign_credential(unsigned, key, method, created=NOW)


def test_python_signed_credential_verifies_in_node(node_verify, key, method, profile):
    signed = sign_credential(make_credential(learner_name="Ada"), key, method, created=NOW)
    status_list = _status_list(key, method, {7})
    result = node_verify(_payload(signed, profile, status_list))
    assert result["verified"], result["error"]
    assert result["status"]["verified"] and result["status"]["bitLength"] == 131072


def test_tampered_credential_is_rejected_in_node(node_verify, key, method, profile):
    signed = sign_credential(make_credential(), key, method, created=NOW)
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    result = node_verify(_payload(tampered, profile))
    assert not result["verified"]
    assert "Invalid signature" in result["error"]


def test_escaped_and_directional_text_canonicalises_the_same_in_node(
    node_verify, key, method, profile
):
    credential = make_credential(
        course_description='bs\b ff\f soh\u0001 del\u007f tab\t nl\n "quoted" back\\slash 😀'
    )
    credential["name"] = {"@value": "شهادة إتمام", "@language": "ar", "@direction": "rtl"}
    signed = sign_credential(credential, key, method, created=NOW)
    result = node_verify(_payload(signed, profile))
    assert result["verified"], result["error"]


def test_revoked_credential_is_rejected_in_node(node_verify, key, method, profile):
    signed = sign_credential(make_credential(), key, method, created=NOW)
    status_list = _status_list(key, method, {1234})
    result = node_verify(_payload(signed, profile, status_list))
    assert not result["verified"]
    assert "revoked (bit 1234 is set)" in result["error"]


def test_key_not_listed_for_assertion_is_rejected_in_node(node_verify, key, method, profile):
    """Proves Node checks the issuer profile: the key is published but not for issuing."""
    profile = {**profile, "assertionMethod": []}
    signed = sign_credential(make_credential(), key, method, created=NOW)
    result = node_verify(_payload(signed, profile))
    assert not result["verified"]
    assert "not authorized by controller" in result["error"]
