"""The offline verifier (`ecampus certificates verify`) and Digital Bazaar's verifier agree on
every case of a table of tamperings, and the CLI names what was altered or removed.

The table runs with the site's public address changed: the CLI finds the issuer key by
the credential's own verification method, not by configuration.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from ecampus.certificates import cli as certificates_cli
from ecampus.certificates import vc
from tests.certificates.test_vc_credential import make_credential


@dataclass(frozen=True)
class Tampering:
    """One change to a genuine credential file, what both verifiers must decide, and what
    the CLI must say."""

    name: str
    change: Any  # dict -> dict, or dict -> str (the file's exact text)
    genuine: bool
    says: str = ""


def _set(path: str, value):
    def change(document):
        target = document
        *parents, last = path.split(".")
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value
        return document
    return change


def _drop(path: str):
    def change(document):
        target = document
        *parents, last = path.split(".")
        for key in parents:
            target = target[key]
        del target[last]
        return document
    return change


def _reordered(value):
    if isinstance(value, dict):
        return {key: _reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(item) for item in value]
    return value


def _escaped(document) -> str:
    """Every non-ASCII character and every key's first letter written as a \\u escape."""
    text = json.dumps(document, ensure_ascii=True)
    return text.replace('"name"', '"\\u006eame"').replace("/", "\\/")


def _added(document):
    document["credentialSubject"]["honours"] = "summa cum laude"
    return document


def _proof_array(document):
    document["proof"] = [document["proof"]]
    return document


def _swapped_context(document):
    document["@context"] = list(reversed(document["@context"]))
    return document


def _type_alias(document):
    # The OB 3.0 context maps both names to one IRI: the signed data is the same.
    document["type"] = ["VerifiableCredential", "AchievementCredential"]
    return document


def _type_removed(document):
    document["type"] = ["VerifiableCredential"]
    return document


def _other_signature(document):
    value = document["proof"]["proofValue"]
    document["proof"]["proofValue"] = value[:-2] + ("1" if value[-2] != "1" else "2") + value[-1]
    return document


TABLE = [
    Tampering("untouched", lambda d: d, True),
    Tampering("keys reordered at every level", _reordered, True),
    Tampering("escaped JSON", _escaped, True),
    Tampering("proof as an array", _proof_array, True),
    Tampering("compact JSON", lambda d: json.dumps(d, separators=(",", ":"),
                                                   ensure_ascii=False), True),
    Tampering("learner name", _set("credentialSubject.name", "Mallory"), False,
              "altered field: credentialSubject.name"),
    Tampering("learner name with a trailing space", lambda d: _set(
        "credentialSubject.name", d["credentialSubject"]["name"] + " ")(d), False,
              "altered field: credentialSubject.name"),
    Tampering("course name", _set("credentialSubject.achievement.name", "Brain surgery"),
              False, "altered field: credentialSubject.achievement.name"),
    Tampering("course description", _set("credentialSubject.achievement.description", "X"),
              False, "altered field: credentialSubject.achievement.description"),
    Tampering("criteria", _set("credentialSubject.achievement.criteria.narrative", "None"),
              False, "altered field: credentialSubject.achievement.criteria.narrative"),
    Tampering("credential name", _set("name", "Doctorate"), False, "altered field: name"),
    Tampering("validFrom", _set("validFrom", "2020-01-01T00:00:00Z"), False,
              "altered field: validFrom"),
    Tampering("validUntil extended", _set("validUntil", "2099-01-01T00:00:00Z"), False,
              "altered field: validUntil"),
    Tampering("validUntil removed", _drop("validUntil"), False, "removed block: validUntil"),
    Tampering("status block removed", _drop("credentialStatus"), False,
              "removed block: credentialStatus"),
    Tampering("status index moved", _set("credentialStatus.statusListIndex", "7"), False,
              "altered field: credentialStatus.statusListIndex"),
    Tampering("status list moved", lambda d: _set(
        "credentialStatus.statusListCredential",
        d["credentialStatus"]["statusListCredential"].replace("/0", "/1"))(d), False,
              "altered field: credentialStatus.statusListCredential"),
    Tampering("issuer name", _set("issuer.name", "Ministry of Truth"), False,
              "altered field: issuer.name"),
    Tampering("identity hash", _set("credentialSubject.identifier.0.identityHash",
                                    "sha256$" + "0" * 64), False,
              "altered field: credentialSubject.identifier[0].identityHash"),
    Tampering("achievement removed", _drop("credentialSubject.achievement"), False,
              "removed block: credentialSubject.achievement"),
    Tampering("field added", _added, False, "added field: credentialSubject.honours"),
    Tampering("type written as its alias", _type_alias, True),
    Tampering("type removed", _type_removed, False, "altered field: type"),
    Tampering("contexts swapped", _swapped_context, False, "altered field: @context"),
    Tampering("signature altered", _other_signature, False, "signature invalid"),
    Tampering("proof created altered", _set("proof.created", "2020-01-01T00:00:00Z"), False,
              "signature invalid"),
    Tampering("proof removed", _drop("proof"), False, "proof missing"),
    Tampering("credential id changed", _set("id", "urn:uuid:00000000-0000-4000-8000-"
                                                  "000000000000"), False,
              "unknown credential: no certificate issued here has the id"),
]


@pytest.fixture
def issued(app, client, earned):
    """The genuine credential file, the issuer profile and its status list, as served."""
    credential = json.loads(client.get(f"/certificates/{earned.code}.json").data)
    profile = json.loads(app.test_client().get("/issuer").data)
    status_path = urlsplit(credential["credentialStatus"]["statusListCredential"]).path
    status_list = json.loads(app.test_client().get(status_path).data)
    return credential, profile, status_list


def _cli(app, runner, tmp_path, text: str, *options: str):
    path = tmp_path / "presented.json"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["certificates", "verify", str(path), *options])


def test_table_has_at_least_twenty_tamperings():
    assert len([case for case in TABLE if not case.genuine]) >= 20


@pytest.mark.parametrize("case", TABLE, ids=[case.name for case in TABLE])
def test_both_verifiers_agree(app, runner, tmp_path, issued, node_verify, monkeypatch, case):
    credential, profile, status_list = issued
    presented = case.change(copy.deepcopy(credential))
    text = presented if isinstance(presented, str) else json.dumps(presented, indent=2)
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://another-address.example")
    result = _cli(app, runner, tmp_path, text)
    verdict = node_verify({"credential": json.loads(text), "controllerDocument": profile,
                           "statusListCredential": status_list})
    assert verdict["verified"] is case.genuine, verdict
    assert (result.exit_code == 0) is case.genuine, result.output
    assert case.says in result.output


def test_cli_needs_no_public_address(app, runner, tmp_path, issued, monkeypatch):
    monkeypatch.delitem(app.config, "PUBLIC_URL", raising=False)
    result = _cli(app, runner, tmp_path, json.dumps(issued[0]))
    assert result.exit_code == 0, result.output
    assert "revocation not checked" in result.output


def _serve_from(app, documents: dict | None = None):
    """fetch_json answered by the app itself (or fixed documents), instead of the network."""

    def fetch(url: str) -> dict:
        if documents and url in documents:
            return documents[url]
        response = app.test_client().get(urlsplit(url).path)
        if response.status_code != 200:
            raise OSError(f"HTTP {response.status_code}")
        return json.loads(response.data)

    return fetch


def test_online_check_reads_keys_from_the_issuer_profile(app, runner, tmp_path, issued,
                                                         monkeypatch):
    monkeypatch.setattr(certificates_cli, "fetch_json", _serve_from(app))
    result = _cli(app, runner, tmp_path, json.dumps(issued[0]), "--online")
    assert result.exit_code == 0, result.output
    assert "not revoked" in result.output


def test_online_check_finds_a_revocation(app, runner, tmp_path, issued, earned, admin,
                                         monkeypatch):
    admin_client = app.test_client()
    admin_client.sign_in(admin.email)
    admin_client.submit(f"/admin/certificates/{earned.code}/revoke", {"reason": "Fraud."})
    monkeypatch.setattr(certificates_cli, "fetch_json", _serve_from(app))
    result = _cli(app, runner, tmp_path, json.dumps(issued[0]), "--online")
    assert result.exit_code == 1 and "revoked by its issuer" in result.output


def test_another_issuers_credential_verifies_online_only(app, runner, tmp_path, monkeypatch):
    key = vc.generate_key()
    issuer = vc.Issuer(id="https://other-campus.example/issuer", name="Other",
                       url="https://other-campus.example/")
    method = vc.https_verification_method(issuer.id, key)
    status_url = "https://other-campus.example/issuer/status/0"
    credential = vc.sign_credential(
        make_credential(issuer=issuer, status_list_url=status_url), key, method)
    status_list = vc.sign_credential(
        vc.build_status_list_credential(issuer, status_url, set()), key, method)
    profile = vc.build_issuer_profile(issuer, {method: key.public_key()})
    offline = _cli(app, runner, tmp_path, json.dumps(credential))
    assert offline.exit_code == 1 and "unknown verification method" in offline.output
    monkeypatch.setattr(certificates_cli, "fetch_json",
                        _serve_from(app, {issuer.id: profile, status_url: status_list}))
    online = _cli(app, runner, tmp_path, json.dumps(credential), "--online")
    assert online.exit_code == 0, online.output
    assert "not revoked" in online.output


def test_online_check_refuses_a_profile_that_names_another_issuer(app, runner, tmp_path,
                                                                  issued, monkeypatch):
    credential, profile, _status_list = issued
    impostor = {**profile, "id": "https://impostor.example/issuer"}
    monkeypatch.setattr(certificates_cli, "fetch_json",
                        _serve_from(app, {credential["issuer"]["id"]: impostor}))
    result = _cli(app, runner, tmp_path, json.dumps(credential), "--online")
    assert result.exit_code == 1 and "names another issuer" in result.output
