"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents to canonical N-Quads.

pyld turns JSON-LD into an RDF dataset and labels its blank nodes with URDNA2015, which is
RDFC-1.0 with SHA-256. Four things are corrected here, without patching pyld globally:

- Escaping. pyld's N-Quads writer escapes only ``\\ \\t \\n \\r "``. Canonical N-Quads also
  wants ``\\b`` and ``\\f``, and ``\\uXXXX`` (upper-case hex) for the other characters of
  U+0000-U+001F and for U+007F. Blank-node labels are chosen from hashes of serialised
  quads, so the corrected writer is used for those hashes too (a small subclass of pyld's
  ``URDNA2015``), and the output is written here rather than by pyld.
- ``@direction``. Without ``rdfDirection: 'i18n-datatype'`` pyld drops the direction of a
  value without a word; the VC data model and the JavaScript suites use that option.
- Safe mode. JSON-LD silently drops a property no context defines, and pyld resolves a
  relative IRI against ``http://example.org/base/``, so a signature would cover something
  other than the document says. Like jsonld.js's ``safe: true``, any dropped property,
  relative ``@id``/``@type``, blank-node predicate or empty object is an error.
- Poison graphs. Crafted blank-node structures make canonicalisation exponential; as in the
  JavaScript rdf-canonize, deep hashing is capped at one call per non-unique blank node.

Quads are sorted in Unicode code point order, as RDFC-1.0 says (JavaScript sorts UTF-16
units; the two differ only between astral characters and U+E000-U+FFFF).
"""

from __future__ import annotations

import copy
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from threading import Lock, RLock
from typing import Any

from pyld import ContextResolver, jsonld
from pyld.canon import URDNA2015

from .loader import (
    BundledContextLoader,
    ContextIntegrityError,
    ContextNotBundledError,
    default_loader,
)

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

_ABSOLUTE_IRI = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*|_):\S*")
_LITERAL_ESCAPES = re.compile(r'[\x00-\x1f\x7f"\\]')
_IRI_ESCAPES = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_ECHAR = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"', "\\": "\\\\"}


class CanonicalizationError(ValueError):
    """The document cannot be canonicalised as written; the message says what to fix."""


def canonicalize(document: dict, *, loader: BundledContextLoader | None = None) -> str:
    """Canonical N-Quads of a JSON-LD document: the exact bytes a Data Integrity proof signs."""
    return canonical_nquads(to_dataset(document, loader=loader))


def to_dataset(document: dict, *, loader: BundledContextLoader | None = None) -> dict:
    """Expand in safe mode and convert to a pyld RDF dataset (graph name -> list of triples)."""
    loader = loader or default_loader()
    dropped: list[str | None] = []
    with _resolving(loader) as options:
        try:
            expanded = jsonld.expand(document, options, on_property_dropped=dropped.append)
        except jsonld.JsonLdError as error:
            raise CanonicalizationError(_describe(error)) from error
        problems = [f"property {name!r} is not defined by any @context" for name in dropped]
        _check_expanded(expanded, problems)
        if problems:
            raise CanonicalizationError("; ".join(dict.fromkeys(problems)))
        try:
            return jsonld.to_rdf(expanded, {**options, "rdfDirection": "i18n-datatype"})
        except jsonld.JsonLdError as error:
            raise CanonicalizationError(_describe(error)) from error


def canonical_nquads(dataset: dict) -> str:
    """Label blank nodes with RDFC-1.0 and serialise the dataset as sorted canonical N-Quads."""
    quads = _unique_quads(dataset)
    labeller = _Rdfc10()
    labeller.main(copy.deepcopy(_as_dataset(quads)), {"format": "application/n-quads"})
    issuer = labeller.canonical_issuer

    def relabel(term: dict) -> dict:
        if term["type"] == "blank node":
            return {**term, "value": issuer.get_id(term["value"])}
        return term

    lines = {serialize_quad({key: relabel(term) for key, term in quad.items()}) for quad in quads}
    return "".join(sorted(lines))


def serialize_quad(quad: dict) -> str:
    """One quad (subject, predicate, object, optional graph ``name``) as canonical N-Quads."""
    parts = [_term(quad["subject"]), _term(quad["predicate"]), _term(quad["object"])]
    if quad.get("name") is not None:
        parts.append(_term(quad["name"]))
    return " ".join(parts) + " .\n"


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form the way canonical N-Quads requires."""
    return _LITERAL_ESCAPES.sub(
        lambda match: _ECHAR.get(match.group()) or f"\\u{ord(match.group()):04X}", value
    )


def is_absolute_iri(value: Any) -> bool:
    """True for an absolute IRI or a blank-node id: what JSON-LD keeps when it makes RDF."""
    return isinstance(value, str) and _ABSOLUTE_IRI.fullmatch(value) is not None


class _Rdfc10(URDNA2015):
    """pyld's URDNA2015 with canonical escaping in first-degree hashes and a work limit."""

    def __init__(self) -> None:
        super().__init__()
        self._deep_calls_left: int | None = None

    def hash_first_degree_quads(self, id_):
        info = self.blank_node_info[id_]
        if "hash" not in info:
            lines = sorted(
                serialize_quad(
                    {
                        key: term
                        if key == "predicate"
                        else self.modify_first_degree_component(id_, term, key)
                        for key, term in quad.items()
                    }
                )
                for quad in info["quads"]
            )
            info["hash"] = self.hash_nquads(lines)
        return info["hash"]

    def hash_n_degree_quads(self, id_, issuer):
        if self._deep_calls_left is None:
            # At the first deep call only the non-unique hashes are left in the map.
            self._deep_calls_left = sum(len(ids) for ids in self.hash_to_blank_nodes.values())
        if self._deep_calls_left <= 0:
            raise CanonicalizationError(
                "blank nodes are too alike to canonicalise within the work limit "
                "(a poison graph?); give the repeated objects ids"
            )
        self._deep_calls_left -= 1
        return super().hash_n_degree_quads(id_, issuer)


#: Contexts a loader's resolver keeps (the bundled ones, and inline contexts a document may
#: carry); past this it forgets them all and resolves afresh, so memory stays bounded.
MAX_RESOLVED_CONTEXTS = 64
_resolvers: weakref.WeakKeyDictionary[BundledContextLoader, tuple[ContextResolver, Any]] = (
    weakref.WeakKeyDictionary())
_resolvers_lock = Lock()


@contextmanager
def _resolving(loader: BundledContextLoader) -> Iterator[dict]:
    """pyld's options for one operation, with the loader's own context resolver.

    A resolver of the loader's own, so that contexts another loader cached in pyld's
    process-wide cache can never stand in for the bundled ones; kept with the loader, so
    each context is parsed and processed once per process rather than for every document
    (two thirds of what canonicalising took). pyld's caches are not made for threads, and
    this work holds the interpreter lock anyway, so one operation at a time uses a resolver.
    base=None keeps relative IRIs relative (so they are refused) where pyld would resolve
    them against its made-up http://example.org/base/.
    """
    with _resolvers_lock:
        found = _resolvers.get(loader)
        if found is None:
            found = _resolvers[loader] = (ContextResolver({}, loader), RLock())
    resolver, lock = found
    with lock:
        if len(resolver.per_op_cache) > MAX_RESOLVED_CONTEXTS:
            resolver.per_op_cache.clear()
        yield {"documentLoader": loader, "contextResolver": resolver, "base": None}


def _check_expanded(node: Any, problems: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _check_expanded(item, problems)
        return
    if not isinstance(node, dict):
        return
    if not node:
        problems.append("an empty object carries no statement")
    for key, value in node.items():
        if key == "@id" and not is_absolute_iri(value):
            problems.append(f"id {value!r} is not an absolute IRI")
        elif key == "@type":
            for type_ in value if isinstance(value, list) else [value]:
                if type_ != "@json" and not is_absolute_iri(type_):
                    problems.append(f"type {type_!r} is not defined by any @context")
        elif key == "@value":
            continue
        elif key.startswith("_:"):
            problems.append(f"blank-node property {key!r} cannot be signed")
        else:
            _check_expanded(value, problems)


def _unique_quads(dataset: dict) -> list[dict]:
    quads: dict[str, dict] = {}
    for graph_name, triples in dataset.items():
        for triple in triples:
            quad = {k: triple[k] for k in ("subject", "predicate", "object")}
            if graph_name != "@default":
                kind = "blank node" if graph_name.startswith("_:") else "IRI"
                quad["name"] = {"type": kind, "value": graph_name}
            quads.setdefault(serialize_quad(quad), quad)
    return list(quads.values())


def _as_dataset(quads: list[dict]) -> dict:
    dataset: dict[str, list[dict]] = {}
    for quad in quads:
        graph = quad["name"]["value"] if "name" in quad else "@default"
        dataset.setdefault(graph, []).append({k: v for k, v in quad.items() if k != "name"})
    return dataset


def _term(term: dict) -> str:
    if term["type"] == "IRI":
        return _iri(term["value"])
    if term["type"] == "blank node":
        return term["value"]
    text = '"' + escape_literal(term["value"]) + '"'
    if term["datatype"] == RDF_LANGSTRING and term.get("language"):
        return f"{text}@{term['language']}"
    if term["datatype"] not in (XSD_STRING, RDF_LANGSTRING):
        return f"{text}^^{_iri(term['datatype'])}"
    return text


def _iri(value: str) -> str:
    return "<" + _IRI_ESCAPES.sub(lambda m: f"\\u{ord(m.group()):04X}", value) + ">"


def _describe(error: BaseException) -> str:
    """The most useful message in a pyld error chain (ours first, then pyld's innermost)."""
    messages = []
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ContextNotBundledError | ContextIntegrityError):
            return str(cause)
        if isinstance(cause, jsonld.JsonLdError):
            detail = f" ({cause.code})" if cause.code else ""
            messages.append(f"{cause.args[0]}{detail}")
        else:
            messages.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    return "invalid JSON-LD: " + messages[-1]
