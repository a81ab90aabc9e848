"""The signed credential the app issues: published keys, tampering, rotation, revocation."""

from __future__ import annotations

import copy
import json
from urllib.parse import urlsplit

import pytest

from ecampus.certificates import vc
from tests.certificates.conftest import certificate_of, complete


def _download(client, code) -> dict:
    response = client.get(f"/certificates/{code}.json")
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    return json.loads(response.data)


def test_issued_credential_verifies_with_the_published_issuer_profile(app, client, earned):
    credential = _download(client, earned.code)
    profile = json.loads(app.test_client().get("/issuer").data)
    result = vc.verify_credential(credential, vc.keys_from_issuer_profile(profile).get)
    assert result.ok, result.errors
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    assert credential["credentialSubject"]["identifier"][0]["identityHash"].startswith("sha256$")
    assert "@" not in json.dumps(credential["credentialSubject"])  # no plain email


def test_published_key_document_is_served(app, client, earned):
    credential = _download(client, earned.code)
    method = credential["proof"]["verificationMethod"]
    path = method.split("://", 1)[1].split("/", 1)[1]
    document = json.loads(app.test_client().get("/" + path).data)
    assert document["type"] == "Multikey" and document["id"] == method


def _verify_file(runner, tmp_path, document, *extra):
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(document))
    return runner.invoke(args=["certificates", "verify", str(path), *extra])


def test_cli_accepts_the_untouched_credential(client, earned, runner, tmp_path):
    result = _verify_file(runner, tmp_path, _download(client, earned.code))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK:")


TAMPERINGS = {
    "credentialSubject.name": lambda c: c["credentialSubject"].__setitem__("name", "Mallory"),
    "validFrom": lambda c: c.__setitem__("validFrom", "2020-01-01T00:00:00Z"),
    "validUntil": lambda c: c.__setitem__("validUntil", "2099-01-01T00:00:00Z"),
    "credentialSubject.achievement.name": lambda c: c["credentialSubject"]["achievement"]
    .__setitem__("name", "Advanced course"),
    "credentialSubject.achievement.id": lambda c: c["credentialSubject"]["achievement"]
    .__setitem__("id", "http://localhost/courses/other/"),
    "issuer.name": lambda c: c["issuer"].__setitem__("name", "Fake Ministry"),
    "credentialSubject.identifier[0].identityHash": lambda c: c["credentialSubject"][
        "identifier"][0].__setitem__("identityHash", "sha256$" + "0" * 64),
}


@pytest.mark.parametrize("field", sorted(TAMPERINGS))
def test_cli_names_the_altered_field(client, earned, runner, tmp_path, field):
    document = _download(client, earned.code)
    TAMPERINGS[field](document)
    result = _verify_file(runner, tmp_path, document)
    assert result.exit_code == 1
    assert "FAILED" in result.output
    assert f"altered field: {field}" in result.output, result.output


def test_cli_rejects_a_forged_proof(client, earned, runner, tmp_path):
    document = _download(client, earned.code)
    document["proof"]["proofValue"] = "z" + "1" * 87
    result = _verify_file(runner, tmp_path, document)
    assert result.exit_code == 1


def test_cli_rejects_a_file_that_is_not_json(runner, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("%PDF-1.7")
    result = runner.invoke(args=["certificates", "verify", str(path)])
    assert result.exit_code == 1 and "not a JSON credential" in result.output


def test_rotated_key_still_verifies_old_certificates(app, client, earned, runner, tmp_path,
                                                    make_user):
    old = _download(client, earned.code)
    result = runner.invoke(args=["certificates", "rotate-key"])
    assert result.exit_code == 0, result.output
    other = make_user()
    other_client = app.test_client()
    other_client.sign_in(other.email)
    complete(other_client)
    new = _download(other_client, certificate_of(app, other.id).code)
    assert new["proof"]["verificationMethod"] != old["proof"]["verificationMethod"]
    profile = json.loads(app.test_client().get("/issuer").data)
    keys = vc.keys_from_issuer_profile(profile)
    assert vc.verify_credential(old, keys.get).ok and vc.verify_credential(new, keys.get).ok
    assert _verify_file(runner, tmp_path, old).exit_code == 0


def test_status_list_marks_revoked_certificates(app, client, earned, admin):
    credential = _download(client, earned.code)
    index = int(credential["credentialStatus"]["statusListIndex"])

    def bit():
        status_list = json.loads(app.test_client().get("/issuer/status/revocation").data)
        profile = json.loads(app.test_client().get("/issuer").data)
        assert vc.verify_credential(status_list, vc.keys_from_issuer_profile(profile).get).ok
        return vc.status_bit(status_list["credentialSubject"]["encodedList"], index)

    assert bit() is False
    admin_client = app.test_client()
    admin_client.sign_in(admin.email)
    admin_client.submit(f"/admin/certificates/{earned.code}/revoke", {"reason": "Fraud."})
    assert bit() is True


def test_cli_online_check_reports_revocation(app, client, learner, runner, tmp_path,
                                            live_server, admin, monkeypatch):
    from tests.certificates.conftest import certified_course
    from tests.helpers import publish

    monkeypatch.setitem(app.config, "PUBLIC_URL", live_server)
    certified_course(tmp_path / "c")
    publish(app, tmp_path / "c")
    client.sign_in(learner.email)
    complete(client)
    code = certificate_of(app, learner.id).code
    document = _download(client, code)
    assert _verify_file(runner, tmp_path, document, "--online").exit_code == 0
    admin_client = app.test_client()
    admin_client.sign_in(admin.email)
    admin_client.submit(f"/admin/certificates/{code}/revoke", {"reason": "Fraud."})
    result = _verify_file(runner, tmp_path, document, "--online")
    assert result.exit_code == 1 and "revoked by its issuer" in result.output


def test_independent_verifier_accepts_app_credentials_and_rejects_tampering(
        app, client, earned, node_verify):
    credential = _download(client, earned.code)
    profile = json.loads(app.test_client().get("/issuer").data)
    status_url = credential["credentialStatus"]["statusListCredential"]
    status_list = json.loads(app.test_client().get(urlsplit(status_url).path).data)
    verdict = node_verify({"credential": credential, "controllerDocument": profile,
                           "statusListCredential": status_list})
    assert verdict["verified"], verdict
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["name"] = "Mallory"
    assert not node_verify({"credential": tampered, "controllerDocument": profile})["verified"]


def test_signing_key_can_come_from_the_environment(app, client, learner, tmp_path,
                                                   monkeypatch):
    from tests.certificates.conftest import certified_course
    from tests.helpers import publish

    key = vc.generate_key()
    monkeypatch.setenv("ECAMPUS_SIGNING_KEY", vc.private_key_to_pem(key))
    certified_course(tmp_path / "c")
    publish(app, tmp_path / "c")
    client.sign_in(learner.email)
    complete(client)
    credential = _download(client, certificate_of(app, learner.id).code)
    assert credential["proof"]["verificationMethod"].endswith(
        "/keys/" + vc.public_multikey(key.public_key()))
    assert not (tmp_path / "instance" / "keys").exists()
