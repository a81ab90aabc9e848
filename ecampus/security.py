"""Security headers, role guards and safe redirects, shared by every feature."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, make_response
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.exceptions import SecurityError

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


#: Answers whatever the Host header says: load balancers ask it by a node's own address.
HOST_FREE_PATHS = frozenset({"/healthz"})


class HostCheckedApp(Flask):
    """Flask, answering a request for a host outside TRUSTED_HOSTS with the site's 400 page.

    Flask refuses such a request but leaves it without URL routing, so the error page could
    not be drawn. Here the page is drawn for PUBLIC_URL's host instead, and the request still
    reaches no view.
    """

    def create_url_adapter(self, request):
        """Route a refused request as if it came to PUBLIC_URL, keeping the refusal."""
        try:
            return super().create_url_adapter(request)
        except SecurityError as refused:
            if request is None:
                raise
            public_host = urlsplit(self.config["PUBLIC_URL"]).netloc
            request.host = public_host
            if request.path not in HOST_FREE_PATHS:
                request.routing_exception = refused
            return self.url_map.bind_to_environ(request.environ, server_name=public_host,
                                                subdomain="")

    def ensure_sync(self, func):
        """Flask's, remembered per function: Flask asks it of each of the dozen hooks of
        every request, and the answer never changes."""
        synced = self.__dict__.setdefault("_synced", {})
        found = synced.get(func)
        if found is None:
            found = super().ensure_sync(func)
            if len(synced) < 4096:  # hooks and views, not functions made per request
                synced[func] = found
        return found


def public_cache(max_age: int):
    """Let browsers and shared caches keep a view's answer: only for what is the same for
    everyone and carries no session (no page with a form, as each holds a CSRF token)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            if response.status_code < 400:
                response.cache_control.public = True
                response.cache_control.max_age = max_age
            return response

        return wrapped

    return decorator


def _tokens(value: str | None) -> set[str]:
    """The names in a comma-separated header ("private, max-age=60" -> private, max-age),
    lowercased: read as strings, cheaper than Werkzeug's parsed header objects."""
    if not value:
        return set()
    return {part.split("=", 1)[0].strip().lower() for part in value.split(",")}


def init_security(app: Flask) -> None:
    """Send the same protective headers with every response."""
    fixed = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if app.config["SESSION_COOKIE_SECURE"]:
        fixed.append(("Strict-Transport-Security", "max-age=31536000"))
    fixed_names = [(name.lower(), name, value) for name, value in fixed]

    @app.after_request
    def _headers(response):
        headers = response.headers
        if "public" not in _tokens(headers.get("Cache-Control")):
            # Personal unless a view said otherwise (public_cache, static files, course media):
            # no proxy, shared computer's cache or back-button snapshot keeps it.
            headers["Cache-Control"] = "private, no-store"
            headers.pop("Expires", None)
            vary = headers.get("Vary")
            if not vary:
                headers["Vary"] = "Cookie"
            elif "cookie" not in _tokens(vary):
                headers["Vary"] = f"{vary}, Cookie"
        # A view may set its own (course files have a sandboxing policy): the rest are added
        # in one pass rather than one search of the headers each.
        present = {name.lower() for name, _value in headers}
        headers.extend([(name, value) for lower, name, value in fixed_names
                        if lower not in present])
        return response


def roles_required(*roles: str):
    """Guard a view: anonymous visitors sign in first; other roles get a 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_valid_form() -> None:
    """For a button-only form (just a CSRF token): refuse the request unless it validates."""
    if not FlaskForm().validate_on_submit():
        abort(400)


def safe_next_url(target: str | None) -> str | None:
    """Only follow `next` to a path on this site, never to another host."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None  # a line break would split the Location header
    return target
