"""The site header of every page, drawn once per interface language and kind of reader.

The header is the same for every reader with the same interface language, sign-in state
and role (and the same site name and interface languages), except for two values: the
form token (CSRF) and the address to come back to after a language change. It is rendered
once per worker for each such kind of reader, with two slots, and the slots are filled on
every request; templates/_header.html holds the markup.
"""

from __future__ import annotations

from flask import Flask, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from .signing import csrf_token

HEADER_TEMPLATE = "_header.html"
#: Characters that no rendered text contains (NUL is refused in every request).
CSRF_SLOT, NEXT_SLOT = "\x00csrf\x00", "\x00next\x00"


def site_header() -> Markup:
    """The header for this request's reader, with their form token and address."""
    user = current_user._get_current_object()
    signed_in = bool(user and user.is_authenticated)
    config = current_app.config
    key = (str(get_locale()), signed_in, user.role if signed_in else None,
           request.script_root, tuple(config["LANGUAGES"]), config["SITE_NAME"])
    drawn = current_app.extensions.setdefault("ecampus.layout", {})
    html = drawn.get(key)
    if html is None:
        html = drawn[key] = str(render_template(HEADER_TEMPLATE, csrf_slot=CSRF_SLOT,
                                                next_slot=NEXT_SLOT))
    here = request.full_path if request.query_string else request.path
    # The template escaped everything around the slots; the slots are escaped here.
    return Markup(html.replace(CSRF_SLOT, str(escape(csrf_token())))  # noqa: S704
                  .replace(NEXT_SLOT, str(escape(here))))


def init_layout(app: Flask) -> None:
    """Offer `site_header()` to templates (templates/base.html)."""
    app.jinja_env.globals["site_header"] = site_header
