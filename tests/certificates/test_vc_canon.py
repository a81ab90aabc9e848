"""RDFC-1.0 canonicalisation: the pitfalls of pyld that the canon module corrects.

Expected outputs were checked against Digital Bazaar's jsonld.js + rdf-canonize 5.
"""

import hashlib
from pathlib import Path

import pytest
from pyld import jsonld

from ecampus.certificates.vc import BundledContextLoader, CanonicalizationError, canonicalize
from ecampus.certificates.vc.canon import escape_literal
from ecampus.certificates.vc.loader import (
    CONTEXTS_DIR,
    CREDENTIALS_V2,
    ContextNotBundledError,
    default_loader,
)

VOCAB = {"@vocab": "https://example.org/"}


def _doc(**properties):
    return {"@context": VOCAB, "@id": "https://example.org/c", **properties}


def test_control_characters_are_escaped_as_rdfc_requires():
    text = canonicalize(_doc(label="bs\b ff\f soh\u0001 del\u007f"))
    assert text == (
        "<https://example.org/c> <https://example.org/label> "
        '"bs\\b ff\\f soh\\u0001 del\\u007F" .\n'
    )


def test_every_escape_form_matches_canonical_n_quads():
    value = 'tab\t nl\n cr\r quote" backslash\\ us\u001f é 😀'
    assert escape_literal(value) == 'tab\\t nl\\n cr\\r quote\\" backslash\\\\ us\\u001F é 😀'


def test_pyld_alone_leaves_control_characters_raw():
    """The pitfall itself: pyld's writer emits \\b raw, so its bytes differ from RDFC-1.0."""
    naive = jsonld.normalize(
        _doc(label="bs\b"), {"algorithm": "URDNA2015", "format": "application/n-quads"}
    )
    assert "\b" in naive
    assert "\b" not in canonicalize(_doc(label="bs\b"))


def test_blank_node_labels_follow_canonical_escaping():
    """Labels come from hashes of escaped quads: pyld alone would swap these two."""
    text = canonicalize(_doc(items=[{"label": "a\b"}, {"label": "b\f"}]))
    assert text == (
        "<https://example.org/c> <https://example.org/items> _:c14n0 .\n"
        "<https://example.org/c> <https://example.org/items> _:c14n1 .\n"
        '_:c14n0 <https://example.org/label> "b\\f" .\n'
        '_:c14n1 <https://example.org/label> "a\\b" .\n'
    )


def test_direction_becomes_an_i18n_datatype():
    label = {"@value": "مرحبا", "@language": "AR", "@direction": "rtl"}
    text = canonicalize(_doc(label=label, other={"@value": "Hello", "@language": "en-GB"}))
    assert text == (
        '<https://example.org/c> <https://example.org/label> "مرحبا"'
        "^^<https://www.w3.org/ns/i18n#ar_rtl> .\n"
        '<https://example.org/c> <https://example.org/other> "Hello"@en-gb .\n'
    )


def test_undefined_property_is_an_error_not_dropped():
    document = {"@context": [CREDENTIALS_V2], "id": "urn:uuid:1", "nickname": "Bob"}
    with pytest.raises(CanonicalizationError, match="'nickname' is not defined by any @context"):
        canonicalize(document)


def test_undefined_type_is_an_error():
    document = {"@context": [CREDENTIALS_V2], "id": "urn:uuid:1", "type": "Diploma"}
    with pytest.raises(CanonicalizationError, match="type 'Diploma' is not defined"):
        canonicalize(document)


def test_relative_id_is_an_error_not_resolved_against_a_made_up_base():
    with pytest.raises(CanonicalizationError, match="id 'courses/7' is not an absolute IRI"):
        canonicalize({"@context": [CREDENTIALS_V2], "id": "courses/7", "name": "x"})


def test_relative_reference_in_a_value_is_an_error():
    document = {
        "@context": [CREDENTIALS_V2],
        "id": "urn:uuid:1",
        "type": "VerifiableCredential",
        "issuer": "issuers/1",
    }
    with pytest.raises(CanonicalizationError, match="id 'issuers/1' is not an absolute IRI"):
        canonicalize(document)


def test_empty_object_is_an_error():
    document = {
        "@context": [CREDENTIALS_V2],
        "id": "urn:uuid:1",
        "type": "VerifiableCredential",
        "credentialSubject": {},
    }
    with pytest.raises(CanonicalizationError, match="empty object"):
        canonicalize(document)


def test_unbundled_context_is_refused_without_fetching():
    document = {"@context": "https://evil.example/context.jsonld", "name": "x"}
    with pytest.raises(CanonicalizationError, match="evil.example/context.jsonld' is not bundled"):
        canonicalize(document)


def test_loader_refuses_other_urls_by_name():
    with pytest.raises(ContextNotBundledError, match="refusing to fetch"):
        default_loader()("https://www.w3.org/ns/did/v1", {})


def test_loader_serves_the_bundled_contexts_unchanged():
    served = default_loader()(CREDENTIALS_V2, {})
    assert served["document"]["@context"]["VerifiableCredential"]["@id"].endswith(
        "#VerifiableCredential"
    )
    assert default_loader().urls == {
        CREDENTIALS_V2,
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        "https://w3id.org/security/data-integrity/v2",
    }


def test_a_context_file_edited_by_mistake_is_detected(tmp_path: Path):
    (tmp_path / "manifest.json").write_text(
        (CONTEXTS_DIR / "manifest.json").read_text(encoding="utf-8"), encoding="utf-8"
    )
    for name in ("ob-context-3.0.3.json", "data-integrity-v2.jsonld"):
        (tmp_path / name).write_bytes((CONTEXTS_DIR / name).read_bytes())
    (tmp_path / "credentials-v2.jsonld").write_text('{"@context": {}}', encoding="utf-8")
    document = {"@context": CREDENTIALS_V2, "id": "urn:x"}
    with pytest.raises(CanonicalizationError, match="does not match its manifest digest"):
        canonicalize(document, loader=BundledContextLoader(tmp_path))


def test_repeated_identical_objects_still_canonicalise():
    item = {"label": "x", "sub": {"n": 1}}
    text = canonicalize(_doc(items=[item, dict(item)]))
    assert text.count("\n") == 8
    assert {"_:c14n0", "_:c14n1", "_:c14n2", "_:c14n3"} <= set(text.split())


def test_poison_graph_is_refused():
    ring = [
        {"@id": "_:a", "p": {"@id": "_:b"}},
        {"@id": "_:b", "p": {"@id": "_:c"}},
        {"@id": "_:c", "p": {"@id": "_:a"}},
    ]
    with pytest.raises(CanonicalizationError, match="work limit"):
        canonicalize({"@context": VOCAB, "@graph": ring})


CREDENTIAL = {"@context": CREDENTIALS_V2, "id": "urn:uuid:5b2c", "type": "VerifiableCredential",
              "issuer": "https://issuer.example/", "validFrom": "2026-01-01T00:00:00Z",
              "credentialSubject": {"id": "urn:uuid:77aa"}}


def _counting_loader(monkeypatch) -> tuple[BundledContextLoader, list[str]]:
    loader = BundledContextLoader(CONTEXTS_DIR)
    served: list[str] = []
    original = loader.document
    monkeypatch.setattr(loader, "document", lambda url: served.append(url) or original(url))
    return loader, served


def test_contexts_are_parsed_once_per_loader_and_give_the_same_bytes(monkeypatch):
    loader, served = _counting_loader(monkeypatch)
    first = canonicalize(CREDENTIAL, loader=loader)
    assert served == [CREDENTIALS_V2]
    assert canonicalize(CREDENTIAL, loader=loader) == first
    assert served == [CREDENTIALS_V2]  # kept with the loader, not fetched again
    assert canonicalize(CREDENTIAL, loader=BundledContextLoader(CONTEXTS_DIR)) == first


def test_a_context_one_loader_resolved_never_serves_another(tmp_path: Path):
    url = "https://contexts.example/extra.jsonld"
    (tmp_path / "extra.jsonld").write_text(
        '{"@context": {"extra": "https://example.org/extra"}}', encoding="utf-8")
    digest = hashlib.sha256((tmp_path / "extra.jsonld").read_bytes()).hexdigest()
    (tmp_path / "manifest.json").write_text(
        f'{{"{url}": {{"file": "extra.jsonld", "sha256": "{digest}"}}}}', encoding="utf-8")
    document = {"@context": url, "@id": "https://example.org/c", "extra": "x"}
    assert "<https://example.org/extra>" in canonicalize(
        document, loader=default_loader().extended(tmp_path))
    with pytest.raises(CanonicalizationError, match="is not bundled"):
        canonicalize(document)


def test_the_contexts_a_loader_keeps_are_bounded(monkeypatch):
    from ecampus.certificates.vc import canon

    monkeypatch.setattr(canon, "MAX_RESOLVED_CONTEXTS", 3)
    loader = BundledContextLoader(CONTEXTS_DIR)
    for n in range(12):  # each document brings an inline context of its own
        canonicalize({"@context": {"@vocab": f"https://example.org/{n}/"},
                      "@id": "https://example.org/c", "label": "x"}, loader=loader)
    resolver, _lock = canon._resolvers[loader]
    assert 0 < len(resolver.per_op_cache) <= 4


def test_threads_sharing_a_loader_canonicalise_alike():
    from concurrent.futures import ThreadPoolExecutor

    loader = BundledContextLoader(CONTEXTS_DIR)
    documents = [CREDENTIAL, _doc(label="x"), {**CREDENTIAL, "id": "urn:uuid:other"}] * 12
    expected = [canonicalize(d, loader=BundledContextLoader(CONTEXTS_DIR)) for d in documents]
    with ThreadPoolExecutor(6) as pool:
        assert list(pool.map(lambda d: canonicalize(d, loader=loader), documents)) == expected
