"""Absolute addresses of this site, as the world reaches it.

Every link that leaves the site (in an email, a QR code or a signed credential) is built here,
from configuration, never from the address a request came in on.
"""

from __future__ import annotations

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values) -> str:
    """An absolute URL of this site as the world reaches it (ISSUER_URL, else the request)."""
    if not has_request_context():
        with current_app.test_request_context("/"):  # a shell command: no request to ask
            return public_url(endpoint, **values)
    base = current_app.config.get("ISSUER_URL", "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)
