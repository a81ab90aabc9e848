"""A JSON-LD document loader that serves bundled contexts and never touches the network.

Signing and verifying must give the same answer on every machine, offline, and must not let
a credential make the server fetch arbitrary URLs. So each context the app relies on is
copied unchanged into a folder beside a ``manifest.json`` that maps its URL to the file and
the file's SHA-256; the loader serves exactly those and refuses any other URL.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pyld import DocumentLoader, RemoteDocument

CONTEXTS_DIR = Path(__file__).parent / "contexts"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
DATA_INTEGRITY_V2 = "https://w3id.org/security/data-integrity/v2"


class ContextNotBundledError(LookupError):
    """A document asked for a JSON-LD context that is not bundled; nothing is fetched."""

    def __init__(self, url: str):
        super().__init__(
            f"JSON-LD context {url!r} is not bundled with E-Campus; refusing to fetch it "
            "(documents are only processed against bundled contexts, never the network)"
        )
        self.url = url


class ContextIntegrityError(ValueError):
    """A bundled context file no longer matches the digest recorded in its manifest."""


class BundledContextLoader(DocumentLoader):
    """Serve the contexts listed in one or more manifest folders; refuse everything else."""

    def __init__(self, *folders: Path):
        self._files: dict[str, tuple[Path, str]] = {}
        self._verified: dict[str, bytes] = {}
        for folder in folders or (CONTEXTS_DIR,):
            self._files.update(_read_manifest(Path(folder)))

    @property
    def urls(self) -> frozenset[str]:
        """The context URLs this loader answers for."""
        return frozenset(self._files)

    def extended(self, *folders: Path) -> BundledContextLoader:
        """A new loader serving these contexts plus those of the given folders (tests)."""
        loader = BundledContextLoader(*folders)
        loader._files = {**self._files, **loader._files}
        return loader

    def document(self, url: str) -> Any:
        """A fresh parse of the context for ``url``, its SHA-256 checked on first use.

        Fresh each time so that nothing pyld does to one result can leak into the next.
        """
        if url not in self._files:
            raise ContextNotBundledError(url)
        if url not in self._verified:
            path, digest = self._files[url]
            raw = path.read_bytes()
            if hashlib.sha256(raw).hexdigest() != digest:
                raise ContextIntegrityError(f"{path} does not match its manifest digest")
            self._verified[url] = raw
        return json.loads(self._verified[url])

    def __call__(self, url: str, options: dict | None = None) -> RemoteDocument:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": self.document(url),
        }


def _read_manifest(folder: Path) -> Iterable[tuple[str, tuple[Path, str]]]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for url, entry in manifest.items():
        yield url, (folder / entry["file"], entry["sha256"])


_default: BundledContextLoader | None = None


def default_loader() -> BundledContextLoader:
    """The loader for the contexts shipped in this package (created on first use)."""
    global _default
    if _default is None:
        _default = BundledContextLoader(CONTEXTS_DIR)
    return _default
