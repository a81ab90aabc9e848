"""Absolute addresses of this site, as the world reaches it.

Every link that leaves the site (in an email, a QR code or a signed credential) is built here,
from the configured PUBLIC_URL, never from the address a request came in on: a forged `Host`
or `X-Forwarded-Host` header must not be able to point a password-reset link elsewhere.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values) -> str:
    """An absolute URL of `endpoint` under PUBLIC_URL, inside a request or outside one."""
    app = current_app._get_current_object()
    base = urlsplit(app.config["PUBLIC_URL"])
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/",
                               url_scheme=base.scheme)
    app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)
